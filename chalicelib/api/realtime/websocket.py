"""The WebSocket routes ($connect, $default, $disconnect) over API Gateway's proxy events.

``$connect`` authenticates (``?ticket=`` from POST /v1/realtime/tickets, or ``?token=``) and
answers 401/403 to refuse the upgrade. ``$default`` takes one JSON frame (subscribe,
unsubscribe, typing, ping) and answers on the same socket through the Management API: API
Gateway sends nothing back from a route without a route response. Errors are the v1 codes in
``{"type": "error", "error": {"code", "message", "field"?}, "frame": <the frame's type>}``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from typing import Any

from chalicelib.errors import DisquaError, InvalidToken, ValidationError
from chalicelib.http.schema import Enum, Id, Obj, validate
from chalicelib.observability import logger
from chalicelib.services import realtime

MAX_FRAME_BYTES = 4096  # frames are small commands; API Gateway itself allows 128 KB
FRAME_TYPES = ("subscribe", "unsubscribe", "typing", "ping")
FRAME = Obj(
    {
        "type": Enum(FRAME_TYPES),
        "workspaceId": Id(required=False),
        "channelId": Id(required=False),
    }
)


def _context(event: dict[str, Any]) -> dict[str, Any]:
    return event.get("requestContext") or {}


def connect(event: dict[str, Any]) -> dict[str, Any]:
    params = event.get("queryStringParameters") or {}
    try:
        principal = realtime.authenticate(ticket=params.get("ticket"), token=params.get("token"))
    except DisquaError as refused:
        # Only the status reaches the client (API Gateway refuses the upgrade).
        return {"statusCode": refused.status if refused.status in (401, 403) else 401}
    realtime.connect(_context(event)["connectionId"], principal)
    return {"statusCode": 200}


def disconnect(event: dict[str, Any]) -> dict[str, Any]:
    realtime.disconnect(_context(event)["connectionId"])
    return {"statusCode": 200}


def parse_frame(event: dict[str, Any]) -> dict[str, Any]:
    body = event.get("body") or ""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("The frame is not valid base64.", field="body") from None
    if len(raw) > MAX_FRAME_BYTES:
        raise ValidationError(f"A frame is at most {MAX_FRAME_BYTES} bytes.", field="body")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError("A frame is one JSON object in UTF-8.", field="body") from None
    frame = validate(FRAME, payload)
    kind = frame["type"]
    if kind in ("subscribe", "unsubscribe"):
        if ("workspaceId" in frame) == ("channelId" in frame):
            raise ValidationError(f"{kind} takes either workspaceId or channelId.", field="channelId")
    elif kind == "typing":
        if "channelId" not in frame:
            raise ValidationError("typing needs channelId.", field="channelId")
        if "workspaceId" in frame:
            raise ValidationError("Unknown field: workspaceId.", field="workspaceId")
    elif len(frame) > 1:
        name = sorted(k for k in frame if k != "type")[0]
        raise ValidationError(f"Unknown field: {name}.", field=name)
    return frame


def _answer(frame: dict[str, Any], connection_id: str) -> bytes | None:
    kind = frame["type"]
    if kind == "ping":
        realtime.principal_of(connection_id)  # a ping keeps nothing alive but tells a dead session
        return realtime.frame("pong")
    principal = realtime.principal_of(connection_id)
    if kind == "typing":
        realtime.typing(principal, frame["channelId"])
        return None  # relayed to the others (or throttled): nothing to answer
    scope_of = realtime.subscribe if kind == "subscribe" else realtime.unsubscribe
    scope = scope_of(connection_id, principal, workspace_id=frame.get("workspaceId"), channel_id=frame.get("channelId"))
    return realtime.frame(f"{kind}d", **scope.as_dict())


def message(event: dict[str, Any]) -> dict[str, Any]:
    connection_id = _context(event)["connectionId"]
    kind = None
    try:
        frame = parse_frame(event)
        kind = frame["type"]
        answer = _answer(frame, connection_id)
    except realtime.Gone:
        # The connection's record is gone (expired after 2 h, or a ban's cleanup): say so, and close.
        error = InvalidToken("This connection is no longer authorized: connect again.")
        answer = realtime.frame("error", error=_error_body(error), frame=kind)
        if realtime.send(connection_id, answer):
            _close(connection_id)
        return {"statusCode": 200}
    except DisquaError as refused:
        answer = realtime.frame("error", error=_error_body(refused), frame=kind)
    except Exception:
        logger().exception("realtime frame failed", extra={"frame": kind})
        answer = realtime.frame("error", error=_error_body(DisquaError()), frame=kind)
    if answer is not None:
        realtime.send(connection_id, answer)
    return {"statusCode": 200}


def _error_body(error: DisquaError) -> dict[str, Any]:
    return {"code": error.code, "message": error.message, **({"field": error.field} if error.field else {})}


def _close(connection_id: str) -> None:
    from chalicelib.aws import MANAGEMENT_API, client

    api = client(MANAGEMENT_API)
    with contextlib.suppress(api.exceptions.GoneException):
        api.delete_connection(ConnectionId=connection_id)
