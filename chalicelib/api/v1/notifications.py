"""/v1/notifications (the caller's in-app notifications) and the per-channel setting
``PATCH /v1/channels/{id}/members/me``. The push routes (/v1/notifications/push/...)
live in chalicelib/api/v1/push.py."""

from __future__ import annotations

import time
from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call
from chalicelib.api.v1 import views
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.errors import ValidationError
from chalicelib.http.schema import Bool, Enum, Id, List, Obj
from chalicelib.services import notifications

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Notifications")
channel_routes = V1Surface(bp, tag="Channels")

MAX_IDS = 100


@v1.route(
    "/v1/notifications",
    "GET",
    summary="List your notifications, newest first (unread=true: unread only; workspaceId: one workspace)",
    scope=scopes.USERS_READ,
    query=page_query(
        unread=Bool(required=False, default=False, from_string=True),
        workspaceId=Id(required=False),
    ),
)
def list_notifications(call: Call) -> Any:
    items, position = notifications.list_notifications(
        call.user,
        workspace_id=call.query.get("workspaceId"),
        unread=call.query["unread"],
        limit=call.query["limit"],
        position=call.position(),
    )
    return call.page([views.notification(s) for s in items], position)


@v1.route(
    "/v1/notifications/count",
    "GET",
    summary="How many of your notifications are unread (exact)",
    scope=scopes.USERS_READ,
)
def count_notifications(call: Call) -> Any:
    return {"unread": notifications.unread_count(call.user)}


@v1.route(
    "/v1/notifications/mark-read",
    "POST",
    summary="Mark notifications read: {ids: [...]} (at most 100, all yours) or {all: true}",
    scope=scopes.USERS_WRITE,
    body=Obj(
        {
            "ids": List(Id(), required=False, min_items=1, max_items=MAX_IDS, unique=True),
            "all": Bool(required=False),
        }
    ),
)
def mark_read(call: Call) -> Any:
    body = call.body
    if "ids" in body and "all" in body:
        raise ValidationError("Send either ids or all, not both.", field="all")
    if "ids" in body:
        return {"unread": notifications.mark_read(call.user, body["ids"])}
    if body.get("all") is not True:
        field = "all" if "all" in body else "ids"
        raise ValidationError("Send ids (a list of notification ids) or all: true.", field=field)
    return {"unread": notifications.mark_all_read(call.user, time.time_ns() // 1_000_000)}


@channel_routes.route(
    "/v1/channels/{channelId}/members/me",
    "PATCH",
    summary="Your notification setting in a channel: all, mentions or none",
    scope=scopes.CHANNELS_WRITE,
    body=Obj({"notifications": Enum(notifications.CHANNEL_LEVELS)}),
)
def set_channel_notifications(call: Call) -> Any:
    level = notifications.set_channel_level(call.user, call.params["channelId"], call.body["notifications"])
    return {"channelId": call.params["channelId"], "notifications": level}
