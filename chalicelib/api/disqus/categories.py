"""/api/3.0/categories/*: a forum's categories and the threads in each (docs/disqus.md).

categories/listPosts is the posts module's (chalicelib/api/disqus/posts.py).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.paging import key_page, key_position
from chalicelib.api.disqus.surface import DisqusSurface
from chalicelib.api.disqus.threads import thread_view
from chalicelib.api.routing import Call, Reply
from chalicelib.auth import scopes
from chalicelib.errors import ValidationError
from chalicelib.services import categories
from chalicelib.store.models import Category, Workspace

bp = Blueprint(__name__)
disqus = DisqusSurface(bp, tag="Disqus 3.0: categories")

CATEGORY = {"category": "required: the category id"}
LIST_ARGUMENTS = {
    "forum": "required: the forum id (workspace slug)",
    "order": "asc (default: by order, which is creation order) or desc",
    "since": "Unix seconds or ISO 8601: categories made from that moment on, in the order asked",
}


def category_view(category: Category, workspace: Workspace) -> dict[str, Any]:
    return {
        "id": category.id,
        "forum": workspace.slug,
        "title": category.title,
        "order": int(category.order or 0),
        "isDefault": bool(category.is_default),
    }


def flag(args: dict[str, list[str]], name: str) -> bool:
    value = (protocol.one(args, name) or "0").lower()
    if value not in ("0", "1", "true", "false"):
        raise ValidationError("is 0, 1, true or false.", field=name)
    return value in ("1", "true")


@disqus.endpoint(
    "categories/create",
    "POST",
    summary="Create a category in a forum (moderators)",
    scope=scopes.COMMENTS_MODERATE,
    arguments={
        "forum": "required: the forum id (workspace slug)",
        "title": f"required: up to {categories.MAX_TITLE} characters",
        "default": "1 to make it the forum's default category (the previous default stops being one)",
    },
)
def create_category(call: Call) -> Any:
    args = call.query
    title = protocol.one(args, "title", required=True) or ""
    forum = protocol.one(args, "forum", required=True) or ""
    workspace, category = categories.create(call.user, forum, title, default=flag(args, "default"))
    return category_view(category, workspace)


@disqus.endpoint(
    "categories/details",
    "GET",
    summary="A category by id",
    scope=scopes.COMMENTS_READ,
    arguments=CATEGORY,
)
def category_details(call: Call) -> Any:
    workspace, category = categories.details(call.user, protocol.one(call.query, "category", required=True) or "")
    return category_view(category, workspace)


def forum_categories(call: Call) -> Reply:
    """categories/list and forums/listCategories: the forum's categories by ``order``."""
    position = key_position(call, default_order="asc")
    page = categories.list_categories(
        call.user,
        protocol.one(call.query, "forum", required=True) or "",
        newest_first=position.newest_first,
        from_ms=position.from_ms,
        skip=position.skip,
        limit=position.limit,
    )
    views = [category_view(c, page.workspace) for c in page.categories]
    return key_page(position, [c.id for c in page.categories], views, page.more)


@disqus.endpoint(
    "categories/list",
    "GET",
    summary="A forum's categories, by order",
    scope=scopes.COMMENTS_READ,
    arguments=LIST_ARGUMENTS,
    lists=True,
)
def list_categories(call: Call) -> Reply:
    return forum_categories(call)


@disqus.endpoint(
    "categories/listThreads",
    "GET",
    summary="The threads in a category, newest first",
    scope=scopes.COMMENTS_READ,
    arguments={
        **CATEGORY,
        "order": "desc (default) or asc, by creation",
        "since": "Unix seconds or ISO 8601: threads made from that moment on, in the order asked",
    },
    lists=True,
)
def list_category_threads(call: Call) -> Reply:
    position = key_position(call)
    _, read, shown, more = categories.list_threads(
        call.user,
        protocol.one(call.query, "category", required=True) or "",
        newest_first=position.newest_first,
        from_ms=position.from_ms,
        skip=position.skip,
        limit=position.limit,
    )
    return key_page(position, read, [thread_view(f) for f in shown], more)
