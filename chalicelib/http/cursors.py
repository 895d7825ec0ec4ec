"""Opaque, tamper-evident pagination cursors.

A cursor carries the store's last evaluated key (so pages are stable under
concurrent inserts: the next page starts strictly after the last item seen) and the
identity of the list it belongs to, under an HMAC. A cursor edited by hand, or taken
from another list, is a 400 naming the ``cursor`` field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.config import get_signing_keys
from chalicelib.errors import ValidationError

_TAG_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(kid: str, body: bytes, scope: str) -> bytes:
    key = get_signing_keys().keys[kid]
    return hmac.new(key, b"cursor\x00" + scope.encode() + b"\x00" + body, hashlib.sha256).digest()[:_TAG_BYTES]


def encode(position: dict[str, Any] | None, scope: str) -> str | None:
    if not position:
        return None
    kid = get_signing_keys().active
    body = json.dumps({"k": kid, "p": position}, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(body)}.{_b64(_tag(kid, body, scope))}"


def decode(cursor: str | None, scope: str) -> dict[str, Any] | None:
    if cursor is None or cursor == "":
        return None
    invalid = ValidationError("cursor is invalid or belongs to another list.", field="cursor")
    try:
        body_text, tag_text = cursor.split(".")
        body = _unb64(body_text)
        doc = json.loads(body)
        kid = doc["k"]
        if kid not in get_signing_keys().keys:
            raise invalid
        if not hmac.compare_digest(_unb64(tag_text), _tag(kid, body, scope)):
            raise invalid
        position = doc["p"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(position, dict):
        raise invalid
    return position
