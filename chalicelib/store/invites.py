"""Workspace invites: ``INVITE#id`` / ``META``, listed per workspace through GSI1
(``WS#wid`` / ``INVITE#id``). Using one is a conditional counter increment inside the
joining transaction (chalicelib/store/workspaces.join)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.store import keys, throttle
from chalicelib.store.db import fetch, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import Event, Invite
from chalicelib.store.pages import Page, query_page


def new_invite(invite_id: str, workspace_id: str, **attributes: Any) -> Invite:
    return Invite(
        keys.invite(invite_id),
        keys.META,
        GSI1PK=keys.workspace(workspace_id),
        GSI1SK=keys.invite(invite_id),
        id=invite_id,
        workspace_id=workspace_id,
        # Kept a week past expiry so a late click still gets "expired", not "unknown".
        ttl=datetime.fromtimestamp(attributes["expires_at"], UTC) + timedelta(days=7),
        **attributes,
    )


def create(invite: Invite, event: Event, quota: throttle.Limit | None = None) -> None:
    """throttle.Exceeded when ``quota`` (invites created per workspace and window) is full."""
    try:
        with transaction() as tx:
            tx.save(invite, condition=Invite.PK.does_not_exist())
            tx.save(event)
            if quota is not None:
                throttle.count_in(tx, quota)
    except TransactionCancelled as cancelled:
        full = throttle.exceeded(cancelled, [quota] if quota else [])
        if full is not None:
            raise full from None
        raise


def get(invite_id: str) -> Invite | None:
    return fetch(Invite, keys.invite(invite_id), keys.META)


def set_secret(invite: Invite, secret_hash: str) -> None:
    """Mint (or re-mint, before it was ever sent) the code of an email invite."""
    invite.update(actions=[Invite.secret_hash.set(secret_hash)], condition=Invite.revoked == False)  # noqa: E712


def list_for_workspace(workspace_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[Invite]:
    return query_page(
        Invite,
        keys.workspace(workspace_id),
        Invite.GSI1SK.startswith(keys.INVITE_PREFIX),
        index="GSI1",
        limit=limit,
        position=position,
        newest_first=True,
    )


def use_update(invite: Invite) -> tuple[Invite, list[Any], Any]:
    """The conditional update that spends one use (for the joining transaction)."""
    usable = (Invite.revoked == False) & (Invite.expires_at > int(time.time()))  # noqa: E712
    if invite.max_uses is not None:
        usable = usable & (Invite.uses < invite.max_uses)
    return invite, [Invite.uses.add(1)], usable


def revoke(invite: Invite, event: Event) -> None:
    try:
        with transaction() as tx:
            tx.update(invite, actions=[Invite.revoked.set(True)], condition=Invite.PK.exists())
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None
