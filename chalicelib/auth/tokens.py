"""Token formats.

- Access token ``dqt_<JWT>``: HS256 (pinned; ``alg`` from the header is never
  trusted), ``kid`` for key rotation, ``iss``/``aud``/``sub``/``exp``/``iat``/``jti``,
  plus ``sid`` (the session) and ``ev`` (email verified); a token issued to an OAuth
  app also carries ``scope``, ``ws`` (its workspace) and ``app`` (the app id). Verifying it reads nothing
  from DynamoDB. HS256 keeps ``cryptography`` out of the Lambda bundle: the API both
  issues and verifies these tokens, so an asymmetric key buys nothing yet.
- Refresh token ``dqr_<ids>.<secret>``: opaque; the ids locate the session item, the
  secret is stored only as a SHA-256 hash.
- API token ``dqa_<30 base62><6 base62 CRC32>``: the checksum rejects a mistyped
  token without a database read, and the prefix lets secret scanners find leaks.
  Stored only as a SHA-256 hash.
- Public key ``dqp_<32 base62>`` (a workspace's Disqus ``api_key``): ~190 random bits,
  not a secret (it ships in web pages; the request's Origin or Referer must match one
  of its domains), so stored as is and found with one GetItem.
- OAuth client id ``dqc_<22 urlsafe base64>``: the app id's 16 UUID bytes, so the id
  decodes to the app without a lookup and a malformed one costs no read.
- OAuth client secret ``dqs_<43 urlsafe chars>``: 256 random bits, stored only as a
  SHA-256 hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

import jwt

from chalicelib.config import get_signing_keys
from chalicelib.errors import InvalidToken, TokenExpired
from chalicelib.ids import epoch_seconds, new_id

ACCESS_PREFIX = "dqt_"
REFRESH_PREFIX = "dqr_"
API_TOKEN_PREFIX = "dqa_"
CLIENT_ID_PREFIX = "dqc_"
CLIENT_SECRET_PREFIX = "dqs_"
PUBLIC_KEY_PREFIX = "dqp_"
PUBLIC_KEY_LENGTH = len(PUBLIC_KEY_PREFIX) + 32
ISSUER = "https://api.disqua.com"
AUDIENCE = "disqua-api"
ALGORITHM = "HS256"
ACCESS_TTL_SECONDS = 15 * 60
REFRESH_TTL_SECONDS = 7 * 24 * 3600

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- access tokens -------------------------------------------------------------


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    email_verified: bool
    scopes: frozenset[str] | None
    expires_at: int
    # Set on tokens issued to an OAuth app: the workspace it is confined to and the app.
    workspace_id: str | None = None
    app_id: str | None = None


def issue_access_token(
    user_id: str,
    session_id: str,
    *,
    email_verified: bool,
    scopes: list[str] | None = None,
    workspace_id: str | None = None,
    app_id: str | None = None,
) -> str:
    keys = get_signing_keys()
    now = epoch_seconds()
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "iat": now,
        "exp": now + ACCESS_TTL_SECONDS,
        "jti": new_id(),
        "sid": session_id,
        "ev": email_verified,
    }
    if scopes is not None:
        claims["scope"] = " ".join(scopes)
    if app_id is not None:
        claims["ws"] = workspace_id
        claims["app"] = app_id
    token = jwt.encode(claims, keys.keys[keys.active], algorithm=ALGORITHM, headers={"kid": keys.active})
    return ACCESS_PREFIX + token


def verify_access_token(token: str) -> AccessClaims:
    if not token.startswith(ACCESS_PREFIX):
        raise InvalidToken()
    raw = token[len(ACCESS_PREFIX) :]
    keys = get_signing_keys()
    try:
        header = jwt.get_unverified_header(raw)
        key = keys.keys.get(header.get("kid", ""))
        if key is None:
            raise InvalidToken()
        claims = jwt.decode(
            raw,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "sid", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired() from None
    except jwt.PyJWTError:
        raise InvalidToken() from None
    scope = claims.get("scope")
    return AccessClaims(
        user_id=claims["sub"],
        session_id=claims["sid"],
        email_verified=bool(claims.get("ev", False)),
        scopes=frozenset(scope.split()) if isinstance(scope, str) else None,
        expires_at=claims["exp"],
        workspace_id=claims.get("ws") if isinstance(claims.get("ws"), str) else None,
        app_id=claims.get("app") if isinstance(claims.get("app"), str) else None,
    )


# --- refresh tokens ------------------------------------------------------------


@dataclass(frozen=True)
class RefreshToken:
    user_id: str
    session_id: str
    secret: str

    def __str__(self) -> str:
        ids = uuid.UUID(self.user_id).bytes + uuid.UUID(self.session_id).bytes
        return f"{REFRESH_PREFIX}{base64.urlsafe_b64encode(ids).rstrip(b'=').decode()}.{self.secret}"

    @property
    def secret_hash(self) -> str:
        return sha256_hex(self.secret)


def new_refresh_token(user_id: str, session_id: str) -> RefreshToken:
    return RefreshToken(user_id, session_id, secrets.token_urlsafe(32))


def parse_refresh_token(token: str) -> RefreshToken:
    try:
        if not token.startswith(REFRESH_PREFIX):
            raise ValueError
        ids_text, secret = token[len(REFRESH_PREFIX) :].split(".")
        ids = base64.urlsafe_b64decode(ids_text + "=" * (-len(ids_text) % 4))
        if len(ids) != 32 or len(secret) != 43:
            raise ValueError
        return RefreshToken(str(uuid.UUID(bytes=ids[:16])), str(uuid.UUID(bytes=ids[16:])), secret)
    except ValueError:
        raise InvalidToken("The refresh token is invalid.") from None


# --- API tokens ----------------------------------------------------------------


def _base62(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        out.append(_BASE62[digit])
    return "".join(reversed(out))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), 6)


def new_api_token() -> str:
    body = "".join(secrets.choice(_BASE62) for _ in range(30))
    return f"{API_TOKEN_PREFIX}{body}{_checksum(body)}"


def is_well_formed_api_token(token: str) -> bool:
    if not token.startswith(API_TOKEN_PREFIX) or len(token) != len(API_TOKEN_PREFIX) + 36:
        return False
    body, check = token[len(API_TOKEN_PREFIX) : -6], token[-6:]
    return all(c in _BASE62 for c in body) and secrets.compare_digest(check, _checksum(body))


# --- public keys ---------------------------------------------------------------


def new_public_key() -> str:
    return PUBLIC_KEY_PREFIX + "".join(secrets.choice(_BASE62) for _ in range(PUBLIC_KEY_LENGTH - 4))


def is_well_formed_public_key(key: object) -> bool:
    """Shape only: a malformed key is refused without a read."""
    return (
        isinstance(key, str)
        and len(key) == PUBLIC_KEY_LENGTH
        and key.startswith(PUBLIC_KEY_PREFIX)
        and all(c in _BASE62 for c in key[len(PUBLIC_KEY_PREFIX) :])
    )


# --- OAuth clients -------------------------------------------------------------

_CLIENT_ID_BODY = re.compile(r"^[A-Za-z0-9_-]{22}$")


def client_id_for(app_id: str) -> str:
    return CLIENT_ID_PREFIX + base64.urlsafe_b64encode(uuid.UUID(app_id).bytes).rstrip(b"=").decode()


def app_id_from_client_id(client_id: object) -> str | None:
    """The app id a client id encodes, or None for anything malformed (no exception)."""
    if not isinstance(client_id, str) or not client_id.startswith(CLIENT_ID_PREFIX):
        return None
    body = client_id[len(CLIENT_ID_PREFIX) :]
    if not _CLIENT_ID_BODY.match(body):
        return None
    raw = base64.urlsafe_b64decode(body + "==")
    app_id = str(uuid.UUID(bytes=raw))
    # 22 characters carry 132 bits: only the canonical spelling of the 128 is accepted,
    # so one app has exactly one client id.
    return app_id if client_id_for(app_id) == client_id else None


def new_client_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
