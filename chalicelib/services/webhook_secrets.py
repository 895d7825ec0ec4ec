"""Webhook signing secrets: minting, checking, storing encrypted, and signing.

A secret is ``whsec_`` + base64 of 32 random bytes (the Standard Webhooks format).
It cannot be stored as a hash like our other secrets: every delivery is signed with
it. It is stored AES-256-GCM encrypted, under a key derived (HKDF-SHA256) from the
app's active signing key, whose id is recorded next to the ciphertext: after a key
rotation the old key still verifies (config.SigningKeys), so it still decrypts, and
the next write re-encrypts under the new one. The webhook id is the associated data,
so a ciphertext copied onto another webhook does not decrypt.

Two signatures per delivery, each over the exact bytes sent:

- ``X-Disqua-Signature-256: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``,
  keyed with the secret string as UTF-8 (what a receiver has in its configuration);
- ``webhook-signature: v1,<base64 HMAC-SHA256(base64-decoded secret, "<id>.<timestamp>.<body>")>``
  (Standard Webhooks, verifiable with its libraries).

During the 24 h after a rotation both secrets sign: ``sha256=<new>,sha256=<old>`` and
``v1,<new> v1,<old>`` (a space separates them, as Standard Webhooks specifies).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from chalicelib.config import get_signing_keys
from chalicelib.errors import ValidationError

PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_BYTES, MAX_BYTES = 32, 64
_HKDF_INFO = b"disqua webhook secrets v1"
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def generate() -> str:
    return PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def check(secret: str, field: str = "secret") -> str:
    """A caller-supplied secret: ``whsec_`` + standard base64 of 32 to 64 bytes."""
    body = secret.removeprefix(PREFIX)
    if body == secret or not _B64.fullmatch(body) or len(body) % 4:
        raise ValidationError(f"{field} must be whsec_ followed by base64 (Standard Webhooks format).", field=field)
    if not MIN_BYTES <= len(base64.b64decode(body)) <= MAX_BYTES:
        raise ValidationError(f"{field} must encode {MIN_BYTES} to {MAX_BYTES} random bytes.", field=field)
    return secret


def _key(kid: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    material = get_signing_keys().keys[kid]  # KeyError: the key was retired
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(material)


def encrypt(secret: str, webhook_id: str) -> tuple[str, str]:
    """(ciphertext, key id): base64 of nonce + AES-GCM ciphertext and tag."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kid = get_signing_keys().active
    nonce = os.urandom(12)
    sealed = AESGCM(_key(kid)).encrypt(nonce, secret.encode(), webhook_id.encode())
    return base64.b64encode(nonce + sealed).decode(), kid


def decrypt(ciphertext: str, kid: str, webhook_id: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = base64.b64decode(ciphertext)
    return AESGCM(_key(kid)).decrypt(raw[:12], raw[12:], webhook_id.encode()).decode()


def disqua_signature(secrets: list[str], timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return ",".join("sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest() for secret in secrets)


def standard_signature(secrets: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digests = [hmac.new(base64.b64decode(s.removeprefix(PREFIX)), signed, hashlib.sha256).digest() for s in secrets]
    return " ".join("v1," + base64.b64encode(d).decode() for d in digests)
