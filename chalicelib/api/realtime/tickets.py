"""POST /v1/realtime/tickets: a single-use, 60-second ticket to connect the WebSocket with
(``?ticket=``), so no token ends up in a URL or an access log (docs/realtime.md)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.services import realtime

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Realtime")


@v1.route(
    "/v1/realtime/tickets",
    "POST",
    summary="A single-use ticket (60 s) to open the realtime WebSocket with: connect to url?ticket=...",
    scope=scopes.ANY_TOKEN,
    status=201,
    idempotent=False,
)
def create_ticket(call: Call) -> Any:
    issued = realtime.issue_ticket(call.user)
    return Reply({"ticket": issued.ticket, "expiresIn": issued.expires_in, "url": issued.url}, status=201)
