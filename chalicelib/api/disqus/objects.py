"""Disqus's forum and user objects, built once for every /api/3.0 endpoint that returns them."""

from __future__ import annotations

from typing import Any

from chalicelib.api.disqus import protocol
from chalicelib.store.models import User, Workspace


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


# Disqus always sends an avatar URL (widgets show it as an <img>): without one of their own,
# a user gets this neutral silhouette, inline so no request leaves the page.
DEFAULT_AVATAR = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E"
    "%3Crect width='32' height='32' fill='%23c8ccd2'/%3E%3Ccircle cx='16' cy='12' r='6' fill='%23fff'/%3E"
    "%3Cpath d='M5 30c1-7 6-10 11-10s10 3 11 10z' fill='%23fff'/%3E%3C/svg%3E"
)


def user_view(user: User, *, with_email: bool = False) -> dict[str, Any]:
    """Disqus's user object. ``email`` only when the caller decided it may be shown (Disqus:
    users/details to the user themselves, requests page "Data Availability"); never emailHash."""
    avatar = user.avatar_url or DEFAULT_AVATAR
    view = {
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
        "avatar": {"permalink": avatar, "cache": avatar, "isCustom": bool(user.avatar_url)},
    }
    if with_email:
        view["email"] = user.email
    return view
