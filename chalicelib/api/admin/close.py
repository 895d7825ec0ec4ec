"""Admin v2 channel close: POST /api/v2/channel/:channelId/close (irreversible).

Every member is removed at once (the channel answers E_CHANNEL_CLOSED, 410, on every surface)
and a background job deletes its messages, reactions, pins, members and the messages' files in
batches (services/channel_close.py). A second close answers the same bundle, with the job's
progress (``channels[].close``). A comments thread: 400 (Disqus closes threads itself);
#general: 403.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.admin.channels import PATH
from chalicelib.api.admin.surface import AdminSurface
from chalicelib.api.routing import Call
from chalicelib.auth import scopes
from chalicelib.http.schema import Obj
from chalicelib.services import channel_close

bp = Blueprint(__name__)
admin = AdminSurface(bp, tag="Admin v2: channels")


@admin.route(
    "/api/v2/channel/{channelId}/close",
    "POST",
    summary="Close a channel (irreversible): members removed at once, E_CHANNEL_CLOSED (410) on every "
    "surface; its messages and their files are deleted by a background job (progress in close)",
    scope=scopes.ADMIN,
    params=PATH,
    body=Obj({}),
)
def close_channel(call: Call) -> Any:
    return channel_close.close(call.user, call.params["channelId"])
