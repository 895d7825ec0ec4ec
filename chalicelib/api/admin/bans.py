"""Admin v2 channel bans: POST /api/v2/channel/:channelId/users/ban and .../users/unban.

A banned member is removed at once (``member.removed``) and may not join (v1) or be added
(v1 add members, Admin v2 add users) until unbanned: E_CHANNEL_BANNED (403). Both answer the
channel bundle with these users' ``channelUsers`` (``membership`` banned | member | none).
Rules in services/channels.py (``ban_members``, ``unban_members``, ``add_members``).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.admin.channels import PATH, USER_IDS
from chalicelib.api.admin.surface import AdminSurface
from chalicelib.api.routing import Call
from chalicelib.auth import scopes
from chalicelib.http.schema import Obj
from chalicelib.services import admin_channels

bp = Blueprint(__name__)
admin = AdminSurface(bp, tag="Admin v2: channels")


@admin.route(
    "/api/v2/channel/{channelId}/users/ban",
    "POST",
    summary="Ban users from a channel: members are removed at once; no rejoining or re-adding until "
    "unbanned (E_CHANNEL_BANNED)",
    scope=scopes.ADMIN,
    params=PATH,
    body=Obj({"userIds": USER_IDS}),
)
def ban_channel_users(call: Call) -> Any:
    return admin_channels.ban_users(call.user, call.params["channelId"], call.body["userIds"]).as_dict()


@admin.route(
    "/api/v2/channel/{channelId}/users/unban",
    "POST",
    summary="Unban users from a channel (users not banned are passed over; nobody is added back)",
    scope=scopes.ADMIN,
    params=PATH,
    body=Obj({"userIds": USER_IDS}),
)
def unban_channel_users(call: Call) -> Any:
    return admin_channels.unban_users(call.user, call.params["channelId"], call.body["userIds"]).as_dict()
