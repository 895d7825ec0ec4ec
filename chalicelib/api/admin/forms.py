"""Admin v2 request bodies: one parser for form-encoded and JSON bodies, then the route's schema.

Form bodies (``application/x-www-form-urlencoded``) take the shapes the family's clients send:

- a scalar: ``displayName=Lobby``;
- an array: repeated keys ``userIds=a&userIds=b`` or ``userIds[]=a&userIds[]=b``, or a
  single ``userIds=a`` where the schema wants an array;
- an object: bracket form ``options[limit]=10&options[skip]=20`` or a JSON string
  ``options={"limit":10}`` (one level of brackets: ``options[a][b]`` is refused).

JSON bodies (``application/json``) are read by the v1 JSON reader (strict UTF-8, bounded
depth and number length). Both become one dict that the route's ``Obj`` schema validates
(form values are strings: integers and booleans are read from them there). Hostile input
is a 400 naming the field, before any handler runs: at most ``MAX_PAIRS`` pairs, arrays of
at most ``MAX_ITEMS``, keys of at most ``MAX_KEY`` characters, no deeper brackets.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from chalicelib.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError
from chalicelib.http.request import parse_json
from chalicelib.http.schema import Field, Int, List, Obj

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MULTIPART = "multipart/form-data"
# The one place bytes pass through the API (image and file messages): API Gateway's payload cap.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PAIRS = 1000
MAX_ITEMS = 100
MAX_KEY = 100
# name, name[] or name[key]: one level of brackets.
_KEY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<sub>[A-Za-z0-9_]*)\])?")


def media_type(content_type: str | None) -> str:
    """``json``, ``form`` or ``multipart`` (anything else: 415; no header: form, the spec's
    default). Only routes with an ``Upload`` field take multipart (the surface checks)."""
    if not content_type:
        return "form"
    kind, *params = (part.strip().lower() for part in content_type.split(";"))
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise UnsupportedMediaType("Bodies must be UTF-8.", field="Content-Type")
    if kind == FORM:
        return "form"
    if kind == JSON or kind.endswith("+json"):
        return "json"
    if kind == MULTIPART:
        return "multipart"
    raise UnsupportedMediaType(f"Send {FORM} or {JSON}.", field="Content-Type")


def parse_body(raw: bytes, content_type: str | None, max_bytes: int) -> dict[str, Any]:
    """The body as a dict of name -> str | list | dict (form) or JSON values."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The request body exceeds {max_bytes} bytes.", field="body")
    kind = media_type(content_type)
    if kind == "multipart":
        return parse_multipart(raw, content_type or "")
    if kind == "json":
        payload = parse_json(raw, max_bytes)
        if not isinstance(payload, dict):
            raise ValidationError("The body must be a JSON object.", field="body")
        return payload
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("The form body is not valid UTF-8.", field="body") from None
    return parse_form(text)


def parse_form(text: str) -> dict[str, Any]:
    if text.count("&") >= MAX_PAIRS:
        raise ValidationError(f"A form body holds at most {MAX_PAIRS} fields.", field="body")
    pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_PAIRS)
    parsed: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.fullmatch(key) if len(key) <= MAX_KEY else None
        if match is None:
            name = key[:MAX_KEY]
            raise ValidationError(
                f"Unsupported field name {name!r}: name, name[] or name[key] (one level of brackets).",
                field=name,
            )
        name, sub = match["name"], match["sub"]
        if sub is None:  # name=value: a scalar, or an array when repeated
            _put(parsed, name, value, name)
        elif sub == "":  # name[]=value: always an array
            current = parsed.setdefault(name, [])
            if not isinstance(current, list):
                current = parsed[name] = [current] if isinstance(current, str) else _mixed(name)
            _append(current, value, name)
        else:  # name[key]=value: an object
            current = parsed.setdefault(name, {})
            if not isinstance(current, dict):
                _mixed(name)
            _put(current, sub, value, f"{name}[{sub}]")
    return parsed


@dataclass(frozen=True)
class Uploaded:
    """A file part of a multipart body."""

    filename: str
    content_type: str
    data: bytes


def parse_multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    """Text parts read as a form's fields (the same shapes), file parts as ``Uploaded``."""
    from email.parser import BytesParser
    from email.policy import HTTP
    from urllib.parse import urlencode

    if "boundary=" not in content_type:
        raise ValidationError("A multipart body needs its boundary.", field="Content-Type")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        raise ValidationError("The multipart body is malformed.", field="body")
    pairs: list[tuple[str, str]] = []
    files: dict[str, Uploaded] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise ValidationError("Every part needs a name (Content-Disposition).", field="body")
        data = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = Uploaded(part.get_filename() or "upload", part.get_content_type(), data)
            continue
        try:
            pairs.append((name, data.decode("utf-8")))
        except UnicodeDecodeError:
            raise ValidationError(f"{name} is not valid UTF-8.", field=name) from None
    parsed = parse_form(urlencode(pairs))
    for name, uploaded in files.items():
        if name in parsed:
            raise ValidationError(f"{name} is given twice.", field=name)
        parsed[name] = uploaded
    return parsed


class Upload(Field):
    """A file part of a multipart body (the route takes multipart/form-data)."""

    json_type = "string"

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, Uploaded):
            raise ValidationError(f"{path} must be a file part of a multipart/form-data body.", field=path)
        if not value.data:
            raise ValidationError(f"{path} is empty.", field=path)
        return value

    def json_schema(self) -> dict[str, Any]:
        return {**super().json_schema(), "format": "binary"}


def _put(target: dict[str, Any], name: str, value: str, path: str) -> None:
    if name not in target:
        target[name] = value
    elif isinstance(target[name], str):
        target[name] = [target[name], value]
    elif isinstance(target[name], list):
        _append(target[name], value, path)
    else:
        _mixed(path)


def _append(items: list[Any], value: str, path: str) -> None:
    if len(items) >= MAX_ITEMS:
        raise ValidationError(f"{path} holds at most {MAX_ITEMS} values.", field=path)
    items.append(value)


def _mixed(path: str) -> Any:
    raise ValidationError(f"{path} is given both as an object and as a value.", field=path)


def shape(schema: Obj, payload: dict[str, Any], *, from_form: bool) -> dict[str, Any]:
    """Bring a form body to the schema's shapes before validation: a lone value where an
    array is wanted is a one-item array, a JSON string where an object is wanted is parsed.
    Names are reported as the client wrote them (``options[limit]``)."""
    if not from_form:
        return payload
    return {name: _shape(schema.fields.get(name), value, name) for name, value in payload.items()}


def _shape(spec: Field | None, value: Any, path: str) -> Any:
    if isinstance(spec, List) and isinstance(value, str):
        return [value]
    if isinstance(spec, (Obj, AnyObject)) and isinstance(value, str):
        try:
            decoded = json.loads(value) if value.strip() else {}
        except ValueError:
            raise ValidationError(
                f"{path} must be an object: {path}[key]=value or a JSON object.", field=path
            ) from None
        if not isinstance(decoded, dict):
            raise ValidationError(f"{path} must be a JSON object.", field=path)
        return decoded
    if isinstance(spec, Obj) and isinstance(value, dict):
        return {k: _shape(spec.fields.get(k), v, f"{path}[{k}]") for k, v in value.items()}
    return value


class FormInt(Int):
    """An integer, from a JSON number or a form's string."""

    def __init__(self, **kw: Any):
        super().__init__(from_string=True, **kw)


class AnyObject(Field):
    """A free-form JSON object (``metadata``), bounded in size once serialized."""

    json_type = "object"

    def __init__(self, *, max_bytes: int = 4096, **kw: Any):
        super().__init__(**kw)
        self.max_bytes = max_bytes

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise ValidationError(f"{path} must be an object.", field=path)
        if len(json.dumps(value, separators=(",", ":")).encode()) > self.max_bytes:
            raise ValidationError(f"{path} must be at most {self.max_bytes} bytes as JSON.", field=path)
        return value


def dotted_to_brackets(field: str | None) -> str | None:
    """``options.limit`` (the schema's path) as the client wrote it: ``options[limit]``."""
    if not field or "." not in field:
        return field
    head, *rest = field.split(".")
    return head + "".join(f"[{part}]" for part in rest)
