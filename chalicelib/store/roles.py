"""Admin v2 roles: ``WS#wid`` / ``ROLE#<name>`` items (their permissions); a workspace's roles
are one Query of the ``ROLE#`` prefix (at most MAX_ROLES of them)."""

from __future__ import annotations

from chalicelib.store import keys
from chalicelib.store.models import WorkspaceRole
from chalicelib.store.pages import query_page

MAX_ROLES = 100


def all_roles(workspace_id: str) -> list[WorkspaceRole]:
    """Every role of the workspace: one Query (MAX_ROLES items fit in one page)."""
    page = query_page(
        WorkspaceRole, keys.workspace(workspace_id), WorkspaceRole.SK.startswith(keys.role()), limit=MAX_ROLES
    )
    return list(page.items)


def put(workspace_id: str, name: str, permissions: set[str], at: str) -> WorkspaceRole:
    role = WorkspaceRole(
        keys.workspace(workspace_id),
        keys.role(name),
        name=name,
        workspace_id=workspace_id,
        permissions=permissions or None,
        updated_at=at,
    )
    role.save()
    return role
