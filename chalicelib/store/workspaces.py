"""Workspaces, slug claims and memberships.

A membership lives in the workspace's partition (``WS#id`` / ``MEMBER#user``) and
is indexed under the user (GSI1 ``USER#id`` / ``WS#id``) for "my workspaces".
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.store import keys, quotas
from chalicelib.store.db import fetch, set_or_remove, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import Entity, Event, Membership, SlugClaim, Workspace
from chalicelib.store.pages import Page, query_page


def new_membership(workspace_id: str, user_id: str, role: str, joined_at: str) -> Membership:
    return Membership(
        keys.workspace(workspace_id),
        keys.member(user_id),
        GSI1PK=keys.user(user_id),
        GSI1SK=keys.workspace(workspace_id),
        workspace_id=workspace_id,
        user_id=user_id,
        role=role,
        joined_at=joined_at,
    )


def create(
    workspace: Workspace,
    owner: Membership,
    events: list[Event],
    extra: list[Any] = (),
    quota: quotas.Quota | None = None,
) -> None:
    """Workspace, slug claim, the owner's membership, anything else the workspace is
    born with (``extra``), the events and the creator's quota charge, in one transaction.
    AlreadyExists("slug"); quotas.Reached."""
    claim = SlugClaim(keys.workspace_slug(workspace.slug), keys.GUARD, workspace_id=workspace.id)
    with quotas.charged_transaction(quota, taken=("slug",)) as tx:
        tx.save(claim, condition=SlugClaim.PK.does_not_exist(), label="slug")
        tx.save(workspace, condition=Workspace.PK.does_not_exist(), label="workspace")
        tx.save(owner)
        for item in extra:
            tx.save(item)
        for event in events:
            tx.save(event)


def new_workspace(workspace_id: str, name: str, slug: str, owner_id: str, created_at: str) -> Workspace:
    return Workspace(
        keys.workspace(workspace_id),
        keys.META,
        id=workspace_id,
        name=name,
        slug=slug,
        owner_id=owner_id,
        created_at=created_at,
        plan="free",
    )


def get(workspace_id: str) -> Workspace | None:
    return fetch(Workspace, keys.workspace(workspace_id), keys.META)


def get_membership(workspace_id: str, user_id: str) -> Membership | None:
    return fetch(Membership, keys.workspace(workspace_id), keys.member(user_id))


def get_with_membership(workspace_id: str, user_id: str) -> tuple[Workspace | None, Membership | None]:
    """Both items in one BatchGetItem call."""
    workspace, membership, _ = get_with_membership_and(workspace_id, user_id, [])
    return workspace, membership


def get_with_membership_and(
    workspace_id: str, user_id: str, more: list[tuple[str, str]]
) -> tuple[Workspace | None, Membership | None, dict[tuple[str, str], Entity]]:
    """The workspace, the user's membership and ``more`` keys, in one BatchGetItem
    (a list reads its page first, then its details and the access check together)."""
    workspace_key = (keys.workspace(workspace_id), keys.META)
    membership_key = (keys.workspace(workspace_id), keys.member(user_id))
    found = {(item.PK, item.SK): item for item in Entity.batch_get([workspace_key, membership_key, *more])}
    workspace, membership = found.get(workspace_key), found.get(membership_key)
    return (
        workspace if isinstance(workspace, Workspace) else None,
        membership if isinstance(membership, Membership) else None,
        found,
    )


def memberships_of_user(user_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[Membership]:
    return query_page(
        Membership,
        keys.user(user_id),
        Membership.GSI1SK.startswith(keys.WORKSPACE_PREFIX),
        index="GSI1",
        limit=limit,
        position=position,
    )


def workspace_id_for_slug(slug: str) -> str | None:
    """The workspace that holds this slug (one GetItem on its claim), or None."""
    claim = fetch(SlugClaim, keys.workspace_slug(slug), keys.GUARD)
    return claim.workspace_id if claim else None


def get_many(workspace_ids: list[str]) -> dict[str, Workspace]:
    if not workspace_ids:
        return {}
    items = Workspace.batch_get([(keys.workspace(w), keys.META) for w in workspace_ids])
    return {item.id: item for item in items}


def update(workspace: Workspace, changes: dict[str, Any], event: Event, *, old_slug: str | None = None) -> None:
    """Set (None: remove) attributes; a slug change swaps the claims atomically
    (AlreadyExists("slug"))."""
    actions = set_or_remove(Workspace, changes)
    with transaction(taken=("slug",)) as tx:
        if old_slug is not None:
            claim = SlugClaim(keys.workspace_slug(changes["slug"]), keys.GUARD, workspace_id=workspace.id)
            tx.save(claim, condition=SlugClaim.PK.does_not_exist(), label="slug")
            tx.delete(SlugClaim(keys.workspace_slug(old_slug), keys.GUARD))
        tx.update(workspace, actions=actions, condition=Workspace.PK.exists(), label="workspace")
        tx.save(event)


def set_plan(workspace_id: str, plan: str) -> None:
    """ConditionFailed if there is no such workspace."""
    try:
        Workspace(keys.workspace(workspace_id), keys.META).update(
            actions=[Workspace.plan.set(plan)], condition=Workspace.PK.exists()
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise ConditionFailed() from None
        raise


def list_members(workspace_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[Membership]:
    return query_page(
        Membership,
        keys.workspace(workspace_id),
        Membership.SK.startswith(keys.MEMBER_PREFIX),
        limit=limit,
        position=position,
    )


def _owner_delta(old_role: str | None, new_role: str | None) -> int:
    return (new_role == "owner") - (old_role == "owner")


def change_role(workspace: Workspace, membership: Membership, role: str, event: Event) -> None:
    """The role and the owner count move together; ConditionFailed if this would
    leave the workspace without an owner (or the member is gone)."""
    delta = _owner_delta(membership.role, role)
    try:
        with transaction() as tx:
            tx.update(
                membership,
                actions=[Membership.role.set(role)],
                condition=Membership.PK.exists() & (Membership.role == membership.role),
            )
            if delta:
                condition = Workspace.owner_count > 1 if delta < 0 else Workspace.PK.exists()
                tx.update(workspace, actions=[Workspace.owner_count.add(delta)], condition=condition)
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def remove_member(workspace: Workspace, membership: Membership, event: Event) -> None:
    """ConditionFailed if the member is gone or is the last owner."""
    delta = _owner_delta(membership.role, None)
    try:
        with transaction() as tx:
            tx.delete(membership, condition=Membership.PK.exists() & (Membership.role == membership.role))
            if delta:
                tx.update(workspace, actions=[Workspace.owner_count.add(delta)], condition=Workspace.owner_count > 1)
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def join(
    membership: Membership, extra_updates: list[tuple[Any, list[Any], Any]], extra_items: list[Any], event: Event
) -> None:
    """A new membership plus what comes with it (an invite's use, the #general
    membership and its count) in one transaction. Conditions of ``extra_updates``
    are (item, actions, condition) triples. AlreadyExists("member") if already in;
    ConditionFailed if another condition failed."""
    try:
        with transaction(taken=("member",)) as tx:
            tx.save(membership, condition=Membership.PK.does_not_exist(), label="member")
            for item, actions, condition in extra_updates:
                tx.update(item, actions=actions, condition=condition)
            for item in extra_items:
                tx.save(item)
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def memberships_of(workspace_id: str, user_ids: list[str]) -> dict[str, Membership]:
    """The memberships of these users in the workspace (absent ones are missing)."""
    if not user_ids:
        return {}
    found = Membership.batch_get([(keys.workspace(workspace_id), keys.member(uid)) for uid in set(user_ids)])
    return {m.user_id: m for m in found if isinstance(m, Membership)}
