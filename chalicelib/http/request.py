"""Reading a Chalice request safely: body size, JSON, headers, client address."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import PayloadTooLarge, ValidationError


def header(request: Any, name: str) -> str | None:
    headers = request.headers or {}
    value = headers.get(name.lower())
    return value if value is None else str(value)


def raw_body(request: Any) -> bytes:
    body = request.raw_body
    return body or b""


def parse_json(raw: bytes, max_bytes: int) -> Any:
    """The body as JSON; an absent body is ``{}``. Errors name the ``body`` field."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The request body exceeds {max_bytes} bytes.", field="body")
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError(f"The request body is not valid JSON: {error}.", field="body") from None


def client_address(request: Any) -> str:
    context = request.context or {}
    identity = context.get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def query_params(request: Any) -> dict[str, str]:
    """Single-valued query parameters; a repeated parameter is a 400."""
    params = request.query_params or {}
    flat: dict[str, str] = {}
    for name in params:
        values = params.getlist(name) if hasattr(params, "getlist") else [params[name]]
        if len(values) > 1:
            raise ValidationError(f"{name} is given more than once.", field=name)
        flat[name] = values[0]
    return flat
