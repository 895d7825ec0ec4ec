"""Workspaces, slug claims and memberships.

A membership lives in the workspace's partition (``WS#id`` / ``MEMBER#user``) and
is indexed under the user (GSI1 ``USER#id`` / ``WS#id``) for "my workspaces".
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.store import keys
from chalicelib.store.db import failed_conditions, transaction
from chalicelib.store.errors import AlreadyExists
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


def create(workspace: Workspace, owner: Membership, events: list[Event], extra: list[Any] = ()) -> None:
    """Workspace, slug claim, the owner's membership, anything else the workspace is
    born with (``extra``) and the events, in one transaction. AlreadyExists("slug")."""
    claim = SlugClaim(keys.workspace_slug(workspace.slug), keys.GUARD, workspace_id=workspace.id)
    try:
        with transaction() as tx:
            tx.save(claim, condition=SlugClaim.PK.does_not_exist())
            tx.save(workspace, condition=Workspace.PK.does_not_exist())
            tx.save(owner)
            for item in extra:
                tx.save(item)
            for event in events:
                tx.save(event)
    except TransactWriteError as error:
        if failed_conditions(error)[:1] == [True]:
            raise AlreadyExists("slug") from None
        raise


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
    try:
        return Workspace.get(keys.workspace(workspace_id), keys.META)
    except DoesNotExist:
        return None


def get_membership(workspace_id: str, user_id: str) -> Membership | None:
    try:
        return Membership.get(keys.workspace(workspace_id), keys.member(user_id))
    except DoesNotExist:
        return None


def get_with_membership(workspace_id: str, user_id: str) -> tuple[Workspace | None, Membership | None]:
    """Both items in one BatchGetItem call."""
    found = {
        (item.PK, item.SK): item
        for item in Entity.batch_get(
            [(keys.workspace(workspace_id), keys.META), (keys.workspace(workspace_id), keys.member(user_id))]
        )
    }
    workspace = found.get((keys.workspace(workspace_id), keys.META))
    membership = found.get((keys.workspace(workspace_id), keys.member(user_id)))
    return (
        workspace if isinstance(workspace, Workspace) else None,
        membership if isinstance(membership, Membership) else None,
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


def get_many(workspace_ids: list[str]) -> dict[str, Workspace]:
    if not workspace_ids:
        return {}
    items = Workspace.batch_get([(keys.workspace(w), keys.META) for w in workspace_ids])
    return {item.id: item for item in items}
