"""Turning a Bearer credential into a Principal.

An access token (JWT) is verified with no DynamoDB read. An API token is checked for
shape and checksum first (a typo costs no read), then looked up by its hash: one
GetItem, cached per container for a short time (API_TOKEN_CACHE_SECONDS, default
30 s; revocation takes effect within that window).

An access token issued to an OAuth app (claims ``app`` and ``ws``) becomes an "oauth"
principal: its scopes, its workspace, never a session. Unlike a login's access token it
is checked against its grant (one GetItem of the session, cached like API tokens), so
revoking the grant, uninstalling or deleting the app stops its access tokens too.
"""

from __future__ import annotations

import time

from chalicelib.auth import tokens
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import InvalidToken
from chalicelib.store import api_tokens as token_store
from chalicelib.store import sessions as session_store

_token_cache: dict[str, tuple[float, Principal | None]] = {}
# Grant (session) id -> (valid until, still active): the revocation check of OAuth tokens.
_grant_cache: dict[str, tuple[float, bool]] = {}
_CACHE_MAX = 1024


def authenticate(authorization: str | None) -> Principal:
    if not authorization:
        raise InvalidToken("Missing Bearer token.")
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise InvalidToken("The Authorization header must be 'Bearer <token>'.")
    if credential.startswith(tokens.ACCESS_PREFIX):
        claims = tokens.verify_access_token(credential)
        if claims.app_id is not None:
            return _oauth_principal(claims)
        return Principal(
            user_id=claims.user_id,
            kind="session",
            email_verified=claims.email_verified,
            scopes=claims.scopes,
            session_id=claims.session_id,
        )
    if credential.startswith(tokens.API_TOKEN_PREFIX):
        return _api_token_principal(credential)
    raise InvalidToken()


def _api_token_principal(credential: str) -> Principal:
    if not tokens.is_well_formed_api_token(credential):
        raise InvalidToken("The API token is malformed (checksum mismatch).")
    token_hash = tokens.sha256_hex(credential)
    now = time.monotonic()
    cached = _token_cache.get(token_hash)
    if cached is not None and cached[0] > now:
        principal = cached[1]
    else:
        record = token_store.get_by_hash(token_hash)
        principal = (
            Principal(
                user_id=record.user_id,
                kind="api_token",
                email_verified=True,
                scopes=frozenset(record.scopes),
                workspace_id=record.workspace_id,
                token_id=record.id,
                is_bot=bool(record.bot),
            )
            if record is not None
            else None
        )
        if len(_token_cache) >= _CACHE_MAX:
            _token_cache.clear()
        _token_cache[token_hash] = (now + get_settings().api_token_cache_seconds, principal)
    if principal is None:
        raise InvalidToken()
    return principal


def _oauth_principal(claims: tokens.AccessClaims) -> Principal:
    if claims.workspace_id is None or claims.scopes is None:
        raise InvalidToken()
    if not _grant_active(claims.user_id, claims.session_id, claims.app_id or ""):
        raise InvalidToken("The app's access was revoked.")
    return Principal(
        user_id=claims.user_id,
        kind="oauth",
        email_verified=claims.email_verified,
        scopes=claims.scopes,
        workspace_id=claims.workspace_id,
        session_id=claims.session_id,
        app_id=claims.app_id,
    )


def _grant_active(user_id: str, session_id: str, app_id: str) -> bool:
    now = time.monotonic()
    cached = _grant_cache.get(session_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    grant = session_store.get(user_id, session_id)
    active = grant is not None and not grant.revoked and grant.app_id == app_id
    if len(_grant_cache) >= _CACHE_MAX:
        _grant_cache.clear()
    _grant_cache[session_id] = (now + get_settings().api_token_cache_seconds, active)
    return active


def forget_grant(session_id: str) -> None:
    """Drop a grant's cached verdict (this container learns a revocation at once)."""
    _grant_cache.pop(session_id, None)


def forget_cached_tokens() -> None:
    _token_cache.clear()
    _grant_cache.clear()
