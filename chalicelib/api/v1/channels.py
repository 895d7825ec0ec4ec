"""/v1/workspaces/{id}/channels and /v1/channels/{id}: channels and their members."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1 import views
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Bool, Enum, Id, List, Obj, Text
from chalicelib.services import channels

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Channels")

NAME = Text(
    min_len=1,
    max_len=80,
    doc_pattern=channels.NAME_PATTERN.pattern,
    description="Lowercase letters, digits, '-' and '_'; unique in the workspace",
)
TOPIC = Text(required=False, nullable=True, max_len=250)
DESCRIPTION = Text(required=False, nullable=True, max_len=1000, multiline=True)


@v1.route(
    "/v1/workspaces/{workspaceId}/channels",
    "GET",
    summary="List channels: public ones, then your private ones (archived ones only when asked); "
    "type=comments: the Disqus threads",
    scope=scopes.CHANNELS_READ,
    query=page_query(
        type=Enum(("public", "private", "comments"), required=False),
        archived=Bool(required=False, default=False, from_string=True),
    ),
)
def list_channels(call: Call) -> Any:
    items, position = channels.list_channels(
        call.user,
        call.params["workspaceId"],
        channel_type=call.query.get("type"),
        archived=call.query["archived"],
        limit=call.query["limit"],
        position=call.position(),
    )
    return call.page([views.channel(c) for c in items], position)


@v1.route(
    "/v1/workspaces/{workspaceId}/channels",
    "POST",
    summary="Create a channel (the creator joins it as its manager)",
    scope=scopes.CHANNELS_WRITE,
    status=201,
    body=Obj(
        {
            "name": NAME,
            "type": Enum(("public", "private"), default="public"),
            "topic": TOPIC,
            "description": DESCRIPTION,
        }
    ),
)
def create_channel(call: Call) -> Any:
    b = call.body
    created = channels.create(
        call.user, call.params["workspaceId"], b["name"], b["type"], b.get("topic"), b.get("description")
    )
    return views.channel(created)


@v1.route("/v1/channels/{channelId}", "GET", summary="Get channel details", scope=scopes.CHANNELS_READ)
def get_channel(call: Call) -> Any:
    return views.channel(channels.get(call.user, call.params["channelId"]).channel)


@v1.route(
    "/v1/channels/{channelId}",
    "PATCH",
    summary="Update a channel's name, topic or description (channel managers and admins)",
    scope=scopes.CHANNELS_WRITE,
    body=Obj(
        {"name": Text(required=False, min_len=1, max_len=80), "topic": TOPIC, "description": DESCRIPTION},
        at_least_one=True,
    ),
)
def update_channel(call: Call) -> Any:
    return views.channel(channels.update(call.user, call.params["channelId"], dict(call.body)))


@v1.route(
    "/v1/channels/{channelId}",
    "DELETE",
    summary="Archive a channel (soft delete; channel managers and admins)",
    scope=scopes.CHANNELS_WRITE,
)
def archive_channel(call: Call) -> Any:
    return views.channel(channels.set_archived(call.user, call.params["channelId"], True))


@v1.route(
    "/v1/channels/{channelId}/unarchive",
    "POST",
    summary="Unarchive a channel (workspace admins)",
    scope=scopes.CHANNELS_WRITE,
)
def unarchive_channel(call: Call) -> Any:
    return views.channel(channels.set_archived(call.user, call.params["channelId"], False))


@v1.route(
    "/v1/channels/{channelId}/members",
    "GET",
    summary="List a channel's members",
    scope=scopes.CHANNELS_READ,
    query=page_query(),
)
def list_channel_members(call: Call) -> Any:
    items, position = channels.list_members(
        call.user, call.params["channelId"], limit=call.query["limit"], position=call.position()
    )
    return call.page([views.channel_member(member, user) for member, user in items], position)


@v1.route(
    "/v1/channels/{channelId}/members",
    "POST",
    summary="Add workspace members to a channel (yourself: join a public channel)",
    scope=scopes.CHANNELS_WRITE,
    body=Obj({"userIds": List(Id(), min_items=1, max_items=channels.MAX_USERS_PER_ADD, unique=True)}),
)
def add_channel_members(call: Call) -> Any:
    return {"added": channels.add_members(call.user, call.params["channelId"], call.body["userIds"])}


@v1.route(
    "/v1/channels/{channelId}/members/{userId}",
    "DELETE",
    summary="Remove a member from a channel (yourself: leave)",
    scope=scopes.CHANNELS_WRITE,
    status=204,
)
def remove_channel_member(call: Call) -> Any:
    channels.remove_member(call.user, call.params["channelId"], call.params["userId"])
    return Reply(status=204)


@v1.route("/v1/channels/{channelId}/join", "POST", summary="Join a public channel", scope=scopes.CHANNELS_WRITE)
def join_channel(call: Call) -> Any:
    return {"joined": channels.join(call.user, call.params["channelId"])}


@v1.route("/v1/channels/{channelId}/leave", "POST", summary="Leave a channel", scope=scopes.CHANNELS_WRITE, status=204)
def leave_channel(call: Call) -> Any:
    channels.leave(call.user, call.params["channelId"])
    return Reply(status=204)
