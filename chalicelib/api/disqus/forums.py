"""/api/3.0/forums/*: forum = workspace, its id the workspace slug (docs/disqus.md)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.surface import DisqusSurface
from chalicelib.api.routing import Call, Reply
from chalicelib.auth import scopes
from chalicelib.services import forums
from chalicelib.store.models import User, Workspace

bp = Blueprint(__name__)
disqus = DisqusSurface(bp, tag="Disqus 3.0: forums")


def forum_view(workspace: Workspace) -> dict[str, Any]:
    """Disqus's forum object, with the fields we have data for (the others are left out)."""
    icon = workspace.icon_url or ""
    return {
        "id": workspace.slug,
        "name": workspace.name,
        "founder": workspace.owner_id,
        "pk": workspace.id,
        "createdAt": protocol.render_timestamp(workspace.created_at),
        "favicon": {"permalink": icon, "cache": icon},
    }


def user_view(user: User) -> dict[str, Any]:
    """Disqus's user object. No email and no emailHash here: Disqus gives e-mail only on
    users/details to a token with the email scope (requests page, Data Availability)."""
    avatar = user.avatar_url or ""
    return {
        "id": user.id,
        "username": user.username,
        "name": user.display_name,
        "about": user.bio or "",
        "url": "",
        "profileUrl": "",
        "isFollowing": False,
        "isFollowedBy": False,
        "isAnonymous": False,
        "joinedAt": protocol.render_timestamp(user.created_at),
        "avatar": {"permalink": avatar, "cache": avatar, "isCustom": bool(avatar)},
    }


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
