"""Admin v2 channel routes: /api/v2/channels (query), /api/v2/channel (create, displayName, users).

A channel's Admin v2 id (``channelId``) is its v1 name; users are user ids. Every route
answers the channel bundle (services/admin_channels.py); bodies form-encoded or JSON.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.admin.forms import AnyObject, FormInt
from chalicelib.api.admin.surface import AdminSurface
from chalicelib.api.routing import Call
from chalicelib.auth import scopes
from chalicelib.http.schema import Enum, Id, List, Obj, Str, Text
from chalicelib.services import admin_channels

bp = Blueprint(__name__)
admin = AdminSurface(bp, tag="Admin v2: channels")

CHANNEL_ID = Str(min_len=1, max_len=80, description="The channel's name (unique in the workspace)")
PATH = {"channelId": CHANNEL_ID}
TAG = Str(min_len=1, max_len=64)
TAGS = List(TAG, required=False, max_items=20, unique=True)
USER_IDS = List(Id(), min_items=1, max_items=100, unique=True, description="Repeated keys or userIds[]")
OPTIONS = Obj(
    {
        "skip": FormInt(required=False, minimum=0, maximum=admin_channels.MAX_SKIP, description="First page only"),
        "limit": FormInt(required=False, minimum=1, maximum=100, description="Default 20"),
        "token": Str(
            required=False, nullable=True, max_len=8192, description="paging.next or paging.previous of an earlier page"
        ),
    },
    required=False,
    description="options[skip]=...&options[limit]=... or a JSON object",
)
DISPLAY_NAME = Text(min_len=1, max_len=100)


@admin.route(
    "/api/v2/channels",
    "POST",
    summary="Query channels (filter all|member|notMember relative to the token's user, userId, tags, excludeTags)",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "filter": Enum(admin_channels.FILTERS, required=False, default="all"),
            "userId": Id(required=False, description="Channels this user is in"),
            "tags": List(TAG, required=False, max_items=20, unique=True, description="Channels carrying all of them"),
            "excludeTags": List(TAG, required=False, max_items=20, unique=True),
            "options": OPTIONS,
        }
    ),
    idempotent=False,  # a read
    limit="read",
)
def query_channels(call: Call) -> Any:
    body = call.body
    options = body.get("options") or {}
    wanted = admin_channels.Query(
        filter=body["filter"],
        user_id=body.get("userId"),
        tags=tuple(body.get("tags") or ()),
        exclude_tags=tuple(body.get("excludeTags") or ()),
    )
    position = call.position()
    limit = options.get("limit") or (position or {}).get("limit") or 20  # a token keeps its page size
    bundle, following, previous = admin_channels.query(
        call.user, wanted, skip=options.get("skip", 0), limit=limit, position=position
    )
    return call.page(bundle.as_dict(), {"next": following, "previous": previous})


@admin.route(
    "/api/v2/channel",
    "POST",
    summary="Create a channel (channelId: its name, unique: 409 E_CONFLICT when taken)",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "channelId": CHANNEL_ID,
            "type": Enum(("standard",), required=False, default="standard"),
            "displayName": Text(required=False, max_len=100),
            "metadata": AnyObject(required=False, description="metadata[key]=value or a JSON object (4 KB)"),
            "tags": TAGS,
            "userIds": List(Id(), required=False, max_items=100, unique=True),
        }
    ),
)
def create_channel(call: Call) -> Any:
    body = call.body
    bundle = admin_channels.create(
        call.user,
        body["channelId"],
        display_name=body.get("displayName"),
        tags=body.get("tags") or [],
        metadata=body.get("metadata"),
        user_ids=body.get("userIds") or [],
    )
    return bundle.as_dict()


@admin.route(
    "/api/v2/channel/displayName",
    "POST",
    summary="Set a channel's displayName",
    scope=scopes.ADMIN,
    body=Obj({"channelId": CHANNEL_ID, "displayName": DISPLAY_NAME}),
)
def set_display_name(call: Call) -> Any:
    return admin_channels.set_display_name(call.user, call.body["channelId"], call.body["displayName"]).as_dict()


@admin.route(
    "/api/v2/channel/{channelId}/users",
    "POST",
    summary="Add users to a channel (users already in are passed over)",
    scope=scopes.ADMIN,
    params=PATH,
    body=Obj({"userIds": USER_IDS}),
)
def add_users(call: Call) -> Any:
    return admin_channels.add_users(call.user, call.params["channelId"], call.body["userIds"]).as_dict()


@admin.route(
    "/api/v2/channel/{channelId}/users",
    "DELETE",
    summary="Remove users from a channel (users not in it are passed over)",
    scope=scopes.ADMIN,
    params=PATH,
    body=Obj({"userIds": USER_IDS}),
)
def remove_users(call: Call) -> Any:
    return admin_channels.remove_users(call.user, call.params["channelId"], call.body["userIds"]).as_dict()


MUTE_PERIOD = FormInt(
    required=False,
    default=-1,
    minimum=-1,
    description="Milliseconds: -1 (the default) until unmuted, 0 unmutes; other negatives are refused",
)


@admin.route(
    "/api/v2/channel/{channelId}/mute",
    "PUT",
    summary="Mute (mutePeriod ms; -1 until unmuted) or unmute (0) a channel: only workspace admins post "
    "while it is muted (E_CHANNEL_MUTED on every surface)",
    scope=scopes.ADMIN,
    params=PATH,
    body=Obj({"mutePeriod": MUTE_PERIOD}),
)
def mute_channel(call: Call) -> Any:
    return admin_channels.mute(call.user, call.params["channelId"], call.body["mutePeriod"]).as_dict()


@admin.route(
    "/api/v2/channel/{channelId}/users/mute",
    "PUT",
    summary="Mute (mutePeriod ms; -1 until unmuted) or unmute (0) users in a channel: they may not post",
    scope=scopes.ADMIN,
    params=PATH,
    body=Obj({"mutePeriod": MUTE_PERIOD, "userIds": USER_IDS}),
)
def mute_users(call: Call) -> Any:
    body = call.body
    return admin_channels.mute_users(call.user, call.params["channelId"], body["userIds"], body["mutePeriod"]).as_dict()
