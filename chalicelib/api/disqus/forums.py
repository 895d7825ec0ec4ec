"""/api/3.0/forums/*: forum = workspace, its id the workspace slug (docs/disqus.md)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.categories import LIST_ARGUMENTS as CATEGORY_LIST_ARGUMENTS
from chalicelib.api.disqus.categories import forum_categories
from chalicelib.api.disqus.objects import forum_view, user_view
from chalicelib.api.disqus.surface import DisqusSurface
from chalicelib.api.routing import Call, Reply
from chalicelib.auth import scopes
from chalicelib.services import forums

bp = Blueprint(__name__)
disqus = DisqusSurface(bp, tag="Disqus 3.0: forums")


FORUM = {"forum": "required: the forum id (the workspace slug)"}


@disqus.endpoint(
    "forums/details",
    "GET",
    summary="A forum (workspace) by its id, the slug",
    scope=scopes.COMMENTS_READ,
    arguments=FORUM,
)
def forum_details(call: Call) -> Any:
    return forum_view(forums.readable(call.user, protocol.one(call.query, "forum", required=True) or ""))


@disqus.endpoint(
    "forums/listModerators",
    "GET",
    summary="The forum's moderators (workspace admins and owners) as Disqus users",
    scope=scopes.COMMENTS_READ,
    arguments=FORUM,
    lists=True,
)
def list_forum_moderators(call: Call) -> Reply:
    slug = protocol.one(call.query, "forum", required=True) or ""
    position = call.position() or {}
    _, found = forums.moderators(call.user, slug)
    start, limit = position["offset"], position["limit"]
    page = found[start : start + limit]
    return call.page([user_view(m.user) for m in page], {**position, "more": start + limit < len(found)})


@disqus.endpoint(
    "forums/listCategories",
    "GET",
    summary="A forum's categories, by order (as categories/list)",
    scope=scopes.COMMENTS_READ,
    arguments=CATEGORY_LIST_ARGUMENTS,
    lists=True,
)
def list_forum_categories(call: Call) -> Reply:
    return forum_categories(call)
