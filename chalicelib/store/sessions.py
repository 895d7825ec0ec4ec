"""Refresh-token sessions (one item per login, under the user's partition).

Rotation is a conditional update on the current token hash, so of two concurrent
refreshes with the same token exactly one wins. Hashes of rotated tokens are kept
(bounded) so a replayed old token is recognised as reuse (RFC 9700 section 4.14).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.store import keys, throttle
from chalicelib.store.db import fetch, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import Entity, Session, User

PREVIOUS_HASHES_KEPT = 50


def _is_conditional(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def new_session(
    session_id: str, user_id: str, token_hash: str, created_at: str, expires_at: int, **attributes: Any
) -> Session:
    """A refresh-token family's first state (``attributes``: an OAuth grant's app, workspace,
    scopes and index keys, store/oauth.py)."""
    return Session(
        keys.user(user_id),
        keys.session(session_id),
        id=session_id,
        user_id=user_id,
        token_hash=token_hash,
        previous_hashes=[],
        generation=0,
        created_at=created_at,
        expires_at=expires_at,
        # Kept a day past expiry so a late replay is still recognised as reuse.
        ttl=datetime.fromtimestamp(expires_at, UTC) + timedelta(days=1),
        **attributes,
    )


def create(
    session_id: str,
    user_id: str,
    token_hash: str,
    created_at: str,
    expires_at: int,
    within: Sequence[throttle.Limit] = (),
) -> Session:
    """Put the session; with ``within``, only while those throttles are under their
    limits (one TransactWriteItems with their condition checks; raises
    throttle.Exceeded)."""
    session = new_session(session_id, user_id, token_hash, created_at, expires_at)
    if not within:
        session.save(condition=Session.PK.does_not_exist())
        return session
    try:
        with transaction() as tx:
            tx.save(session, condition=Session.PK.does_not_exist(), label="session")
            throttle.guard(tx, within)
    except TransactionCancelled as cancelled:
        raise throttle.exceeded(cancelled, within) or cancelled from None
    return session


def get(user_id: str, session_id: str) -> Session | None:
    return fetch(Session, keys.user(user_id), keys.session(session_id))


def get_with_user(user_id: str, session_id: str) -> tuple[Session | None, User | None]:
    """The session and its user's profile in one BatchGetItem."""
    found = {
        (i.PK, i.SK): i
        for i in Entity.batch_get([(keys.user(user_id), keys.session(session_id)), (keys.user(user_id), keys.PROFILE)])
    }
    session = found.get((keys.user(user_id), keys.session(session_id)))
    user = found.get((keys.user(user_id), keys.PROFILE))
    return (session if isinstance(session, Session) else None, user if isinstance(user, User) else None)


def rotate(session: Session, new_hash: str, expires_at: int) -> None:
    """Replace the current token hash; ConditionFailed if another refresh won."""
    kept = ([session.token_hash, *list(session.previous_hashes or [])])[:PREVIOUS_HASHES_KEPT]
    try:
        session.update(
            actions=[
                Session.token_hash.set(new_hash),
                Session.previous_hashes.set(kept),
                Session.generation.add(1),
                Session.expires_at.set(expires_at),
            ],
            condition=(Session.token_hash == session.token_hash) & (Session.revoked == False),  # noqa: E712
        )
    except UpdateError as error:
        if _is_conditional(error):
            raise ConditionFailed() from None
        raise


def revoke(user_id: str, session_id: str, reason: str) -> None:
    session = Session(keys.user(user_id), keys.session(session_id))
    try:
        session.update(
            actions=[Session.revoked.set(True), Session.revoked_reason.set(reason)], condition=Session.PK.exists()
        )
    except UpdateError as error:
        if not _is_conditional(error):
            raise


def list_for_user(user_id: str) -> list[Session]:
    return list(Session.query(keys.user(user_id), Session.SK.startswith(keys.SESSION_PREFIX)))
