"""API Gateway's WebSocket API in front of the app's handlers, without sockets.

A transport (devserver/realtime/server.py for real sockets, tests/conftest.py's
``realtime`` fixture in memory) hands each client to :class:`WebSocketGateway`, which
does what API Gateway does with it:

- the upgrade request -> a ``$connect`` proxy event; anything but a 2xx answer refuses
  the upgrade with that status (a handler that raises: 500);
- each data frame -> a ``$default`` event (text as is, binary in base64); a handler that
  raises sends the client API Gateway's ``{"message": "Internal server error", ...}``;
- the socket closing -> a ``$disconnect`` event (best effort, as in AWS);
- the Management API: ``post`` (410 GoneException once the socket is gone, or before
  ``$connect`` has accepted it), ``delete`` (closes it; ``$disconnect`` follows), ``get``.

The handlers are the objects Lambda runs (``app.handler_map``: Chalice's wrappers with
the app's middleware), called with API Gateway's event shapes and a Lambda context.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from chalice import Chalice
from chalice.local import LambdaContext

log = logging.getLogger(__name__)

CONNECT, MESSAGE, DISCONNECT = "$connect", "$default", "$disconnect"
MAX_PAYLOAD = 128 * 1024  # PostToConnection's Data (botocore's model) and a client message
# A client sending this header on the upgrade request asks the local runtime to lose its
# $disconnect, as AWS may (it is best effort): its records stay behind until a post to it
# meets GoneException. Local only, for testing that path; never passed to the app.
LOSE_DISCONNECT_HEADER = "x-disqua-lose-disconnect"
INTERNAL_ERROR = "Internal server error"


class Peer(Protocol):
    """One client's socket, as the gateway writes to it."""

    def send(self, data: str | bytes) -> None:
        """Send one frame; raises once the socket is closed."""

    def close(self) -> None:
        """Close the socket (a close frame, 1000)."""


class Gone(Exception):
    """The connection does not exist (any more): the Management API's 410."""


@dataclass
class Connection:
    id: str
    peer: Peer
    source_ip: str
    user_agent: str
    connected_at: datetime
    last_active_at: datetime
    lose_disconnect: bool = False
    open: bool = False  # $connect accepted it and the upgrade is done
    disconnected: bool = False


@dataclass
class Handshake:
    """$connect's verdict: ``connection`` is None when the upgrade is refused."""

    status: int
    connection: Connection | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def new_connection_id() -> str:
    """An id like API Gateway's (``L0SM9cOFvHcCIhw=``: 11 random bytes in base64)."""
    return base64.b64encode(os.urandom(11)).decode()


def _now() -> datetime:
    return datetime.now(UTC)


def _request_time(at: datetime) -> str:
    return at.strftime("%d/%b/%Y:%H:%M:%S +0000")


def _millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class WebSocketGateway:
    """The connections of one WebSocket API stage, and the handlers they reach."""

    def __init__(self, app: Chalice, *, stage: str, domain_name: str, api_id: str = "local") -> None:
        self.stage = stage
        self.domain_name = domain_name
        self.api_id = api_id
        self._handlers: dict[str, tuple[str, Callable[..., Any]]] = {
            route: (config.name, app.handler_map[config.name]) for route, config in app.websocket_handlers.items()
        }
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        # The last Management API calls, for tests and debugging (GET /@local/calls).
        self.calls: deque[dict[str, Any]] = deque(maxlen=1000)

    # --- the client side (a transport calls these) -------------------------------

    def connect(self, peer: Peer, path: str, headers: Iterable[tuple[str, str]], source_ip: str) -> Handshake:
        """The upgrade request: run ``$connect``; the caller completes the upgrade only
        on a 2xx and then calls :meth:`opened`."""
        pairs = list(headers)
        header_list = [(k, v) for k, v in pairs if k.lower() != LOSE_DISCONNECT_HEADER]
        lose = any(k.lower() == LOSE_DISCONNECT_HEADER and v.strip() == "1" for k, v in pairs)
        user_agent = next((v for k, v in header_list if k.lower() == "user-agent"), "")
        at = _now()
        connection = Connection(new_connection_id(), peer, source_ip, user_agent, at, at, lose_disconnect=lose)
        with self._lock:
            self._connections[connection.id] = connection
        event = self._event(connection, CONNECT, "CONNECT", at)
        event.update(_headers(header_list))
        event.update(_query(urlsplit(path).query))
        event["isBase64Encoded"] = False
        status, body = 200, b""
        if CONNECT in self._handlers:  # API Gateway accepts every client without a $connect route
            try:
                answer = self._invoke(CONNECT, event)
            except Exception:
                log.exception("%s raised: upgrade refused", CONNECT)
                status, body = 500, b'{"message": "Internal server error"}'
            else:
                status = int(answer.get("statusCode") or 200) if isinstance(answer, dict) else 200
                body = str(answer.get("body") or "").encode() if isinstance(answer, dict) else b""
        if not 200 <= status < 300:
            self._forget(connection.id)
            return Handshake(status, None, body, {"Content-Type": "application/json"} if body else {})
        return Handshake(status, connection)

    def opened(self, connection: Connection) -> None:
        """The upgrade is done: posts reach the client from now on."""
        connection.open = True

    def receive(self, connection: Connection, data: str | bytes) -> None:
        """One message from the client -> ``$default`` (if the API has that route)."""
        at = _now()
        connection.last_active_at = at
        if MESSAGE not in self._handlers:
            return
        event = self._event(connection, MESSAGE, "MESSAGE", at)
        event["requestContext"]["messageId"] = base64.b64encode(os.urandom(12)).decode()
        if isinstance(data, bytes):
            event.update(body=base64.b64encode(data).decode(), isBase64Encoded=True)
        else:
            event.update(body=data, isBase64Encoded=False)
        try:
            self._invoke(MESSAGE, event)
        except Exception:
            log.exception("%s raised", MESSAGE)
            # What API Gateway sends the client when the integration fails.
            error = {"message": INTERNAL_ERROR, "connectionId": connection.id, "requestId": _request_id()}
            try:
                connection.peer.send(_json(error))
            except Exception:
                log.debug("could not tell %s about the error", connection.id, exc_info=True)

    def closed(self, connection: Connection, code: int | None, reason: str = "") -> None:
        """The socket closed (either side): forget it, then ``$disconnect`` once."""
        self._forget(connection.id)
        with self._lock:
            if connection.disconnected:
                return
            connection.disconnected = True
        if connection.lose_disconnect or DISCONNECT not in self._handlers or not connection.open:
            return
        event = self._event(connection, DISCONNECT, "DISCONNECT", _now())
        event.update(_headers([("Host", self.domain_name), ("x-api-key", ""), ("X-Forwarded-For", "")]))
        event["requestContext"]["disconnectStatusCode"] = code if code is not None else 1006
        event["requestContext"]["disconnectReason"] = reason or (
            "Client-side close frame status not set" if code is None else ""
        )
        event["isBase64Encoded"] = False
        try:
            self._invoke(DISCONNECT, event)
        except Exception:
            log.exception("%s raised", DISCONNECT)

    # --- the Management API -------------------------------------------------------

    def post(self, connection_id: str, data: bytes) -> None:
        """PostToConnection: a text frame (binary if the bytes are not UTF-8)."""
        connection = self._open(connection_id)
        try:
            text: str | bytes = data.decode()
        except UnicodeDecodeError:
            text = data
        try:
            connection.peer.send(text)
        except Exception as exc:  # the socket closed under us: it is gone
            raise Gone(connection_id) from exc

    def delete(self, connection_id: str) -> None:
        """DeleteConnection: close the socket; its $disconnect follows."""
        self._open(connection_id).peer.close()

    def get(self, connection_id: str) -> dict[str, Any]:
        """GetConnection's answer (the model's JSON names)."""
        connection = self._open(connection_id)
        return {
            "connectedAt": _iso(connection.connected_at),
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            "lastActiveAt": _iso(connection.last_active_at),
        }

    def connection_ids(self) -> list[str]:
        with self._lock:
            return [c.id for c in self._connections.values() if c.open]

    # --- internals ------------------------------------------------------------------

    def _open(self, connection_id: str) -> Connection:
        with self._lock:
            connection = self._connections.get(connection_id)
        if connection is None or not connection.open:
            raise Gone(connection_id)
        return connection

    def _forget(self, connection_id: str) -> None:
        with self._lock:
            self._connections.pop(connection_id, None)

    def _invoke(self, route: str, event: dict[str, Any]) -> Any:
        name, handler = self._handlers[route]
        return handler(event, LambdaContext(name, memory_size=128, max_runtime_ms=29_000))

    def _event(self, connection: Connection, route: str, event_type: str, at: datetime) -> dict[str, Any]:
        request_id = _request_id()
        return {
            "requestContext": {
                "routeKey": route,
                "eventType": event_type,
                "extendedRequestId": request_id,
                "requestTime": _request_time(at),
                "messageDirection": "IN",
                "stage": self.stage,
                "connectedAt": _millis(connection.connected_at),
                "requestTimeEpoch": _millis(at),
                "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
                "requestId": request_id,
                "domainName": self.domain_name,
                "connectionId": connection.id,
                "apiId": self.api_id,
            }
        }


def _request_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:6]).decode().rstrip("=") + "="


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _json(value: Any) -> str:
    return json.dumps(value)


def _single_and_multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """API Gateway's two forms: the last value of each name, and all of them."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _headers(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    single, multi = _single_and_multi(pairs)
    return {"headers": single, "multiValueHeaders": multi}


def _query(query: str) -> dict[str, Any]:
    """Absent without a query string, as in AWS."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return {}
    single, multi = _single_and_multi(pairs)
    return {"queryStringParameters": single, "multiValueQueryStringParameters": multi}
