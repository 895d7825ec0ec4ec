"""The v1 envelope: ``{"ok": true, "data": ...}`` / ``{"ok": false, "error": ...}``."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import DisquaError


def ok(data: Any, pagination: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": True, "data": data}
    if pagination is not None:
        body["pagination"] = pagination
    return body


def error(exc: DisquaError, request_id: str) -> dict[str, Any]:
    err: dict[str, Any] = {"code": exc.code, "message": exc.message, "requestId": request_id}
    if exc.field:
        err["field"] = exc.field
    return {"ok": False, "error": err}
