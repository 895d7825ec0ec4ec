"""Workspace members: list, profiles, roles, removal.

Roles: owner > admin > member. Admins remove members; only owners change roles and
remove admins or owners. There is always at least one
owner: the owner count changes in the same transaction as the role, under a
condition. Removing a member also removes their channel memberships and revokes
their API tokens in that workspace.
"""

from __future__ import annotations

from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, Forbidden, NotFound
from chalicelib.services import authz
from chalicelib.services.authn import forget_cached_tokens
from chalicelib.store import api_tokens as token_store
from chalicelib.store import channels as channel_store
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import Membership, User
from chalicelib.store.outbox import new_event

ROLES = ("member", "admin", "owner")


def list_members(
    principal: Principal, workspace_id: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[tuple[Membership, User]], dict[str, Any] | None]:
    """Two calls per page: the memberships (Query), then their profiles and the access
    check in one batch (nothing is returned unless the caller is a member)."""
    authz.require_token_workspace(principal, workspace_id)
    authz.require_scope(principal, scopes.USERS_READ)
    page = workspace_store.list_members(workspace_id, limit=limit, position=position)
    wanted = [user_store.key_of(m.user_id) for m in page.items]
    workspace, membership, found = workspace_store.get_with_membership_and(workspace_id, principal.user_id, wanted)
    authz.check_access(workspace, membership)
    users = {k: found[k] for k in wanted if isinstance(found.get(k), User)}
    return [
        (m, users[user_store.key_of(m.user_id)]) for m in page.items if user_store.key_of(m.user_id) in users
    ], page.position


def profile(principal: Principal, workspace_id: str, user_id: str) -> tuple[Membership, User]:
    authz.workspace_access(principal, workspace_id, scope=scopes.USERS_READ)
    membership = workspace_store.get_membership(workspace_id, user_id)
    user = user_store.get_user(user_id) if membership else None
    if membership is None or user is None:
        raise NotFound("User not found in this workspace.")
    return membership, user


def _target(workspace_id: str, user_id: str) -> Membership:
    membership = workspace_store.get_membership(workspace_id, user_id)
    if membership is None:
        raise NotFound("User not found in this workspace.")
    return membership


def _may_remove(actor: Membership, target_role: str) -> None:
    """Admins remove members; owners remove anyone."""
    if actor.role != "owner" and authz.ROLE_RANK[target_role] >= authz.ROLE_RANK["admin"]:
        raise Forbidden("Only owners may remove admins and owners.")


def change_role(principal: Principal, workspace_id: str, user_id: str, role: str) -> Membership:
    authz.require_session(principal)
    workspace, _ = authz.workspace_access(principal, workspace_id, role="owner")
    target = _target(workspace_id, user_id)
    if target.role == role:
        return target
    event = new_event(
        "member.role_changed",
        {"workspaceId": workspace_id, "userId": user_id, "from": target.role, "to": role, "by": principal.user_id},
        workspace_id=workspace_id,
    )
    try:
        workspace_store.change_role(workspace, target, role, event)
    except ConditionFailed:
        raise Conflict("A workspace needs at least one owner (or the member changed meanwhile).") from None
    target.role = role
    return target


def remove(principal: Principal, workspace_id: str, user_id: str) -> None:
    """Admins remove members; anyone may leave (except the last owner)."""
    leaving = user_id == principal.user_id
    workspace, actor = authz.workspace_access(principal, workspace_id, role="member" if leaving else "admin")
    target = actor if leaving else _target(workspace_id, user_id)
    if not leaving:
        _may_remove(actor, target.role)
        if target.banned:  # the ban lives on the membership: removing it would lift the ban
            raise Conflict("This user is globally banned here: unban them (Admin v2) before removing them.")
    # Leaving is member.left, being removed member.removed (webhooks tell them apart);
    # both carry removedBy, as member.left did for both before.
    event = new_event(
        "member.left" if leaving else "member.removed",
        {"workspaceId": workspace_id, "userId": user_id, "removedBy": principal.user_id},
        workspace_id=workspace_id,
    )
    try:
        workspace_store.remove_member(workspace, target, event)
    except ConditionFailed:
        raise Conflict("A workspace needs at least one owner: make someone else owner first.") from None
    _clean_up_after(workspace_id, user_id)


def _clean_up_after(workspace_id: str, user_id: str) -> None:
    """Channel memberships and API tokens of a member who left. Runs after the
    membership is gone, so a crash here leaves nothing the user can still use:
    every channel and token check requires the workspace membership."""
    from chalicelib.services import realtime

    realtime.revoke(workspace_id, user_id)  # no more realtime events from here, at once
    channels = channel_store.get_many(
        [m.channel_id for m in channel_store.memberships_in_workspace(user_id, workspace_id)]
    )
    for channel in channels.values():
        try:
            channel_store.remove_member(channel, user_id, None, still_in_workspace=False)
        except ConditionFailed:
            continue
    position = None
    while True:
        page = token_store.list_for_workspace(workspace_id, user_id, limit=100, position=position)
        for token in page.items:
            event = new_event(
                "token.revoked", {"tokenId": token.id, "reason": "member.left"}, workspace_id=workspace_id
            )
            try:
                token_store.revoke(token, event)
            except ConditionFailed:
                continue  # revoked meanwhile
        if page.position is None:
            break
        position = page.position
    forget_cached_tokens()
