"""How v1 shows domain objects (the spec's field names, camelCase)."""

from __future__ import annotations

from typing import Any

from chalicelib.services.users import preferences_of
from chalicelib.services.workspaces import WorkspaceView
from chalicelib.store.models import ApiToken, User


def user_profile(user: User) -> dict[str, Any]:
    """What any member of a shared workspace may see."""
    return {
        "id": user.id,
        "username": user.username,
        "displayName": user.display_name,
        "avatarUrl": user.avatar_url,
        "bio": user.bio,
        "status": "offline" if user.status == "invisible" else user.status,
        "createdAt": user.created_at,
    }


def me(user: User) -> dict[str, Any]:
    """The caller's own profile: with email, true status and preferences."""
    return {
        **user_profile(user),
        "email": user.email,
        "status": user.status,
        "emailVerified": bool(user.email_verified),
        "preferences": preferences_of(user),
    }


def workspace(view: WorkspaceView) -> dict[str, Any]:
    ws = view.workspace
    return {
        "id": ws.id,
        "name": ws.name,
        "slug": ws.slug,
        "iconUrl": ws.icon_url,
        "plan": ws.plan,
        "ownerId": ws.owner_id,
        "role": view.role,
        "createdAt": ws.created_at,
    }


def api_token(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "workspaceId": token.workspace_id,
        "userId": token.user_id,
        "scopes": sorted(token.scopes),
        "hint": f"dqa_…{token.hint}",
        "createdAt": token.created_at,
    }
