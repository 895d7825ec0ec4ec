"""Reading a Chalice request safely: body size, JSON, headers, client address."""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError


def header(request: Any, name: str) -> str | None:
    headers = request.headers or {}
    value = headers.get(name.lower())
    return value if value is None else str(value)


def raw_body(request: Any) -> bytes:
    body = request.raw_body
    return body or b""


# Bodies are JSON; form and plain-text types are accepted for clients that send JSON
# without the right header (browsers' simple requests), but always read as UTF-8 JSON.
BODY_MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/plain")


def check_content_type(content_type: str | None) -> None:
    """A body must be JSON in UTF-8: another media type or declared charset is a 415,
    never silently decoded as something else (RFC 8259 section 8.1)."""
    if not content_type:
        return
    media_type, *params = (part.strip().lower() for part in content_type.split(";"))
    if media_type not in BODY_MEDIA_TYPES and not media_type.endswith("+json"):
        raise UnsupportedMediaType(field="Content-Type")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(
                "Request bodies must be UTF-8: no other charset is accepted.", field="Content-Type"
            )


# Deeper than any body we accept needs; far below what would exhaust the stack.
MAX_JSON_DEPTH = 32
# A JSON number longer than this is refused before Python converts it (int() of a
# huge literal is quadratic, and its error text would leak interpreter internals).
MAX_NUMBER_CHARS = 40
_NESTING = re.compile(rb"[\[{]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(raw: bytes, max_bytes: int) -> Any:
    """The body as JSON; an absent body is ``{}``. Errors name ``body`` or the field.

    Strict UTF-8 (no CESU-8 or lone surrogates, raw or escaped), bounded nesting and
    number length, no NaN/Infinity: hostile bodies are a 400 before any handler runs,
    and the messages never echo the parser's internals."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The request body exceeds {max_bytes} bytes.", field="body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("The request body is not valid UTF-8.", field="body") from None
    if not text.strip():
        return {}
    if len(_NESTING.findall(raw)) > MAX_JSON_DEPTH:
        _check_depth(text)  # cheap pre-check first: most bodies have few brackets at all
    try:
        payload = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"The request body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).",
            field="body",
        ) from None
    except (ValueError, RecursionError):
        raise ValidationError("The request body is not valid JSON.", field="body") from None
    _check_strings(payload)
    return payload


def _parse_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise ValidationError(f"Numbers may have at most {MAX_NUMBER_CHARS} characters.", field="body")
    return int(literal)


def _parse_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise ValidationError(f"Numbers may have at most {MAX_NUMBER_CHARS} characters.", field="body")
    return float(literal)


def _refuse_constant(name: str) -> Any:
    raise ValidationError(f"{name} is not a JSON value.", field="body")


def _check_depth(text: str) -> None:
    """Nesting depth without recursion, skipping brackets inside strings."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValidationError(f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.", field="body")
        elif char in "]}":
            depth -= 1


def _check_strings(payload: Any) -> None:
    """No lone surrogates (``"\\ud800"``) in any key or string: they are not Unicode
    text, and fail deep inside renderers, hashers and the database."""
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise ValidationError(
                    f"{path or 'body'} contains an invalid character (a lone surrogate).", field=path or "body"
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else key
                if _SURROGATE.search(key):
                    raise ValidationError(
                        "body has a key with an invalid character (a lone surrogate).", field=path or "body"
                    )
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))


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
