"""/api/3.0/users/*: a user by id or ``user:username=``, and the forums they are in."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.objects import forum_view, user_view
from chalicelib.api.disqus.surface import DisqusSurface
from chalicelib.api.routing import Call, Reply
from chalicelib.auth import scopes
from chalicelib.services import forum_users

bp = Blueprint(__name__)
disqus = DisqusSurface(bp, tag="Disqus 3.0: users")

USER = {
    "user": "the user's id (default: the access_token's user)",
    "user:username": "or the user's username",
}


def _named(call: Call) -> tuple[str | None, str | None]:
    return protocol.one(call.query, "user"), protocol.one(call.query, "user:username")


@disqus.endpoint(
    "users/details",
    "GET",
    summary="A user (one who shares a workspace with the caller, or the caller)",
    scope=scopes.COMMENTS_READ,
    arguments=USER,
)
def user_details(call: Call) -> Any:
    seen = forum_users.details(call.user, *_named(call))
    return user_view(seen.user, with_email=seen.with_email)


def _forums(call: Call) -> Reply:
    position = call.position() or {}
    found, more = forum_users.forums_of(call.user, *_named(call), offset=position["offset"], limit=position["limit"])
    return call.page([forum_view(w) for w in found], {**position, "more": more})


@disqus.endpoint(
    "users/listForums",
    "GET",
    summary="The user's forums (workspaces) the caller shares",
    scope=scopes.COMMENTS_READ,
    arguments=USER,
    lists=True,
)
def list_user_forums(call: Call) -> Reply:
    return _forums(call)


@disqus.endpoint(
    "users/listActiveForums",
    "GET",
    summary="The user's forums (workspaces) the caller shares (every membership is active)",
    scope=scopes.COMMENTS_READ,
    arguments=USER,
    lists=True,
)
def list_user_active_forums(call: Call) -> Reply:
    return _forums(call)
