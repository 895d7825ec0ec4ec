"""Workspaces: create (the creator is the owner), list mine, read one."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict
from chalicelib.ids import new_id, now_iso
from chalicelib.observability import count
from chalicelib.services import authz, quotas
from chalicelib.store import channels as channel_store
from chalicelib.store import quotas as quota_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import AlreadyExists
from chalicelib.store.models import Membership, Workspace
from chalicelib.store.outbox import new_event


@dataclass(frozen=True)
class WorkspaceView:
    workspace: Workspace
    role: str


def slug_from_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    if len(slug) < 3:
        slug = f"{slug or 'workspace'}-{secrets.token_hex(3)}"
    return slug


def create(principal: Principal, name: str, slug: str | None) -> WorkspaceView:
    authz.require_session(principal)
    authz.require_verified(principal)
    workspace_id = new_id()
    created_at = now_iso()
    explicit = slug is not None
    slug = slug or slug_from_name(name)
    workspace = workspace_store.new_workspace(workspace_id, name, slug, principal.user_id, created_at)
    owner = workspace_store.new_membership(workspace_id, principal.user_id, "owner", created_at)
    # Every workspace is born with #general, which every member joins.
    general = channel_store.new_channel(
        new_id(),
        workspace_id,
        "general",
        "public",
        principal.user_id,
        created_at,
        is_default=True,
        topic="Company-wide announcements and work-based matters",
    )
    workspace.general_channel_id = general.id
    extra = channel_store.birth_items(
        general, channel_store.new_member(general, principal.user_id, "manager", created_at)
    )
    data = {"workspaceId": workspace_id, "name": name, "slug": slug, "ownerId": principal.user_id}
    events = [
        new_event("workspace.created", data, workspace_id=workspace_id),
        new_event(
            "channel.created",
            {
                "workspaceId": workspace_id,
                "channelId": general.id,
                "createdBy": principal.user_id,
                "name": "general",
                "type": "public",
                "topic": general.topic,
                "archived": False,
            },
            workspace_id=workspace_id,
        ),
    ]
    quota = quotas.workspaces_of(principal.user_id)
    try:
        try:
            workspace_store.create(workspace, owner, events, extra, quota)
        except AlreadyExists:
            if explicit:
                raise Conflict("This workspace slug is taken.", field="slug") from None
            # A derived slug collided: add a short random suffix once.
            workspace.slug = f"{slug[:33]}-{secrets.token_hex(3)}"
            try:
                workspace_store.create(workspace, owner, events, extra, quota)
            except AlreadyExists:
                raise Conflict("This workspace slug is taken.", field="slug") from None
    except quota_store.Reached as reached:
        raise quotas.refused(reached) from None
    count("WorkspaceCreated")
    return WorkspaceView(workspace, "owner")


def list_mine(
    principal: Principal, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[WorkspaceView], dict[str, Any] | None]:
    """Two calls per page: the memberships (GSI1 Query) and their workspaces (batch).

    An API token sees only its own workspace.
    """
    if principal.workspace_id is not None:
        workspace, membership = workspace_store.get_with_membership(principal.workspace_id, principal.user_id)
        views = [WorkspaceView(workspace, membership.role)] if workspace and membership and position is None else []
        return views, None
    page = workspace_store.memberships_of_user(principal.user_id, limit=limit, position=position)
    found = workspace_store.get_many([m.workspace_id for m in page.items])
    views = [WorkspaceView(found[m.workspace_id], m.role) for m in page.items if m.workspace_id in found]
    return views, page.position


def get(principal: Principal, workspace_id: str) -> WorkspaceView:
    workspace, membership = authz.workspace_access(principal, workspace_id)
    return WorkspaceView(workspace, membership.role)


def membership_of(principal: Principal, workspace_id: str) -> Membership:
    return authz.workspace_access(principal, workspace_id)[1]


def update(principal: Principal, workspace_id: str, changes: dict[str, Any]) -> WorkspaceView:
    """Name, slug and icon; admins and owners. A taken slug is E_CONFLICT."""
    workspace, membership = authz.workspace_access(principal, workspace_id, role="admin")
    old_slug = workspace.slug if changes.get("slug") not in (None, workspace.slug) else None
    if old_slug is None:
        changes.pop("slug", None)
    if changes:
        event = new_event(
            "workspace.updated",
            {"workspaceId": workspace_id, "changes": sorted(changes), "updatedBy": principal.user_id},
            workspace_id=workspace_id,
        )
        try:
            workspace_store.update(workspace, changes, event, old_slug=old_slug)
        except AlreadyExists:
            raise Conflict("This workspace slug is taken.", field="slug") from None
        for name, value in changes.items():
            setattr(workspace, name, value)
    return WorkspaceView(workspace, membership.role)
