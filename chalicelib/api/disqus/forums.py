"""/api/3.0/forums/*: forum = workspace, its id the workspace slug (docs/disqus.md)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.categories import LIST_ARGUMENTS as CATEGORY_LIST_ARGUMENTS
from chalicelib.api.disqus.categories import forum_categories
from chalicelib.api.disqus.objects import forum_view, user_view
from chalicelib.api.disqus.surface import DisqusSurface
from chalicelib.api.disqus.threads import threads_page
from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1.workspaces import slug as slug_field
from chalicelib.auth import scopes
from chalicelib.errors import Conflict
from chalicelib.http.schema import Text, Url
from chalicelib.services import forums, workspaces

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


@disqus.endpoint(
    "forums/create",
    "POST",
    summary="Create a forum: a workspace owned by the access token's user",
    scope=scopes.SESSION,
    arguments={
        "name": "required: the forum's name (1 to 80 characters)",
        "short_name": "required: its id, the workspace slug (3 to 40: lowercase letters, digits, inner hyphens)",
        "website": "the site's URL (accepted and checked; not stored)",
    },
)
def create_forum(call: Call) -> Any:
    """The rules are v1's workspace creation (services/workspaces.py): a login session
    (an access token; an API token is code 12) of a verified user (else code 17)."""
    args = call.query
    # v1's field rules, named by the Disqus arguments (code 2 naming them).
    name = Text(min_len=1, max_len=80).clean(protocol.one(args, "name", required=True), "name")
    slug = slug_field().clean(protocol.one(args, "short_name", required=True), "short_name")
    website = protocol.one(args, "website")
    if website is not None:
        Url().clean(website, "website")
    try:
        created = workspaces.create(call.user, name, slug)
    except Conflict as exc:
        raise Conflict(exc.message, field="short_name") from None
    return forum_view(created.workspace)


@disqus.endpoint(
    "forums/listUsers",
    "GET",
    summary="The forum's members (the workspace's) as Disqus users",
    scope=scopes.COMMENTS_READ,
    arguments=FORUM,
    lists=True,
)
def list_forum_users(call: Call) -> Reply:
    slug = protocol.one(call.query, "forum", required=True) or ""
    position = call.position() or {}
    _, users, more = forums.members(call.user, slug, offset=position["offset"], limit=position["limit"])
    return call.page([user_view(u) for u in users], {**position, "more": more})


@disqus.endpoint(
    "forums/listThreads",
    "GET",
    summary="A forum's threads in creation order (threads/list with forum)",
    scope=scopes.COMMENTS_READ,
    arguments={
        "forum": "required: the forum id (workspace slug)",
        "thread": "only these threads: ids, ident:<identifier> or link:<url> (several allowed)",
        "since": "Unix seconds or ISO 8601: from that moment on, in the order asked",
        "order": "desc (default) or asc, by creation",
        "include": "open, closed (default both) or killed (removed threads, on their own)",
    },
    lists=True,
)
def list_forum_threads(call: Call) -> Reply:
    protocol.one(call.query, "forum", required=True)
    return threads_page(call)
