"""OAuth authorization codes and grants.

A code is ``OAUTHCODE#sha256(code)`` / ``GUARD`` with a TTL; exchanging it is a conditional
update (``used_by`` absent), so of two exchanges exactly one wins. A grant is a refresh-token
family (``store.sessions``: rotation and reuse detection are the login sessions' own) carrying
the app, the workspace and the scopes, listed under the app through GSI1 so deleting or
uninstalling the app revokes every grant.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.store import keys, sessions
from chalicelib.store.db import fetch, update_existing
from chalicelib.store.models import AuthorizationCode, Session

CODE_TTL_SECONDS = 600


def save_code(code_hash: str, *, expires_at: int, **attributes: Any) -> AuthorizationCode:
    code = AuthorizationCode(
        keys.oauth_code(code_hash),
        keys.GUARD,
        expires_at=expires_at,
        # Kept a day past expiry: a late second exchange is still recognised (and revokes).
        ttl=datetime.fromtimestamp(expires_at, UTC) + timedelta(days=1),
        **attributes,
    )
    code.save(condition=AuthorizationCode.PK.does_not_exist())
    return code


def get_code(code_hash: str) -> AuthorizationCode | None:
    return fetch(AuthorizationCode, keys.oauth_code(code_hash), keys.GUARD, consistent=True)


def consume_code(code: AuthorizationCode, session_id: str) -> None:
    """Mark the code used by this grant; ConditionFailed if it was used already."""
    update_existing(
        code, [AuthorizationCode.used_by.set(session_id)], condition=AuthorizationCode.used_by.does_not_exist()
    )


def new_grant(
    session_id: str,
    user_id: str,
    *,
    token_hash: str,
    created_at: str,
    expires_at: int,
    app_id: str,
    workspace_id: str,
    scopes: set[str],
) -> Session:
    """A refresh-token family for an app (save it with ``store.sessions`` or in a transaction)."""
    return sessions.new_session(
        session_id,
        user_id,
        token_hash,
        created_at,
        expires_at,
        GSI1PK=keys.app_grants(app_id),
        GSI1SK=keys.app_grant_ref(workspace_id, session_id),
        app_id=app_id,
        workspace_id=workspace_id,
        scopes=scopes,
    )


def grants_of(app_id: str, workspace_id: str | None = None) -> Iterator[Session]:
    """The app's grants (every workspace, or one), a Query page at a time."""
    condition = Session.GSI1SK.startswith(keys.app_grant_ref(workspace_id)) if workspace_id else None
    for item in Session.gsi1.query(keys.app_grants(app_id), condition):
        if isinstance(item, Session):
            yield item
