"""The application server's VAPID key (RFC 8292) and the claims it signs.

CloudFormation cannot generate an EC key, but Secrets Manager's GenerateSecretString
can generate a random string: the stack's ``VapidKeysSecret`` holds
``{"seed": "<64 random characters>"}`` and the P-256 private key is derived from it
deterministically (HKDF-SHA256 to 48 bytes, reduced mod n-1, plus 1: FIPS 186-5
A.2.1's "extra random bits" method, so the bias is below 2^-64). Every function
derives the same key; the seed never leaves Secrets Manager and the functions.

The key is never rotated by itself: browsers bind their subscriptions to it
(applicationServerKey), so a new key means every browser must subscribe again.
The local runtime keeps a seed in var/ (devserver/local_secrets.py); the test
stage, given none, generates one per process.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from email.utils import parseaddr
from functools import lru_cache
from typing import Any

from chalicelib.config import get_settings

HKDF_SALT = b"disqua vapid"
HKDF_INFO = b"p256 private key v1"
MIN_SEED_CHARS = 32
# RFC 8292 section 2: exp at most 24 h ahead; push services such as FCM want less.
TOKEN_LIFETIME_SECONDS = 12 * 3600


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_key_from_seed(seed: str) -> Any:
    """The P-256 private key a seed stands for (the same on every call)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if len(seed) < MIN_SEED_CHARS:
        raise RuntimeError(f"VAPID seed: at least {MIN_SEED_CHARS} characters")
    # n, the order of P-256's base point
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    okm = HKDF(algorithm=hashes.SHA256(), length=48, salt=HKDF_SALT, info=HKDF_INFO).derive(seed.encode())
    scalar = int.from_bytes(okm, "big") % (order - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def parse_seed(raw: str) -> str:
    doc = json.loads(raw)
    if not isinstance(doc, dict) or not isinstance(doc.get("seed"), str):
        raise RuntimeError('VAPID keys: expected {"seed": "<random string>"}')
    return doc["seed"]


@lru_cache(maxsize=1)
def _generated_seed() -> str:
    return secrets.token_urlsafe(48)


@lru_cache(maxsize=4)
def _key_for(seed: str) -> Any:
    return private_key_from_seed(seed)


_seed_cache: tuple[str, str] | None = None  # (where it came from, the seed)


def _seed() -> str:
    """From ``VAPID_KEYS`` (JSON), or the stack's secret (read once per container: the
    key does not rotate), or, in the test stage only, a key made for this process."""
    global _seed_cache
    settings = get_settings()
    source = settings.vapid_keys_json or settings.vapid_keys_secret or f"generated:{settings.stage}"
    if _seed_cache is not None and _seed_cache[0] == source:
        return _seed_cache[1]
    if settings.vapid_keys_json:
        seed = parse_seed(settings.vapid_keys_json)
    elif settings.vapid_keys_secret:
        from chalicelib.aws import client

        value = client("secretsmanager").get_secret_value(SecretId=settings.vapid_keys_secret)
        seed = parse_seed(value["SecretString"])
    elif settings.stage == "test":
        seed = _generated_seed()
    else:
        raise RuntimeError("no VAPID keys: set VAPID_KEYS or VAPID_KEYS_SECRET_ARN")
    _seed_cache = (source, seed)
    return seed


def private_key() -> Any:
    return _key_for(_seed())


def public_key_bytes() -> bytes:
    """The uncompressed point (65 bytes): the browser's applicationServerKey."""
    from cryptography.hazmat.primitives import serialization

    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def public_key() -> str:
    return b64url(public_key_bytes())


def subject() -> str:
    """VAPID ``sub``: VAPID_SUBJECT, else mailto: the sender's address, else the API's
    https URL (how a push service contacts us about our traffic)."""
    settings = get_settings()
    if settings.vapid_subject:
        return settings.vapid_subject
    address = parseaddr(settings.email_sender)[1]
    if "@" in address:
        return f"mailto:{address}"
    return settings.public_base_url


def claims(endpoint: str, now: float | None = None) -> dict[str, Any]:
    """The JWT claims for one push: aud is the endpoint's origin (RFC 8292 section 2)."""
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    issued = int(now if now is not None else time.time())
    return {
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": issued + TOKEN_LIFETIME_SECONDS,
        "sub": subject(),
    }


def signer() -> Any:
    """A py_vapid signer (RFC 8292 ``vapid t=<jwt>, k=<key>``) over our key."""
    from py_vapid import Vapid02

    return Vapid02(private_key=private_key())


def forget() -> None:
    """Tests and the local runtime change the settings."""
    global _seed_cache
    _seed_cache = None
