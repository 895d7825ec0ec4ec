"""Turning a Bearer credential into a Principal.

An access token (JWT) is verified with no DynamoDB read. An API token is checked for
shape and checksum first (a typo costs no read), then looked up by its hash: one
GetItem, cached per container for a short time (API_TOKEN_CACHE_SECONDS, default
30 s; revocation takes effect within that window).
"""

from __future__ import annotations

import time

from chalicelib.auth import tokens
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import InvalidToken
from chalicelib.store import api_tokens as token_store

_token_cache: dict[str, tuple[float, Principal | None]] = {}
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


def forget_cached_tokens() -> None:
    _token_cache.clear()
