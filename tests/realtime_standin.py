"""The local runtime's WebSocket gateway in-process, for tests without sockets.

The gateway is devserver/realtime/gateway.py, the one `make run` serves; here its
clients are in memory (:class:`Client`: what the app posts to it is in ``received``),
and the Management API stand-in (devserver/realtime/management.py) listens on
127.0.0.1 on one port per test process, so the app's unchanged boto3
``apigatewaymanagementapi`` client reaches it through ``REALTIME_ENDPOINT``. moto lets
requests to 127.0.0.1 through. tests/conftest.py's ``realtime`` fixture wires it.
"""

from __future__ import annotations

import json
import threading
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

from chalice import Chalice

from devserver.realtime.gateway import Connection, WebSocketGateway
from devserver.realtime.management import ManagementHandler


class StandInServer(ThreadingHTTPServer):
    """The Management API on a free port; ``gateway`` is swapped per test."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ManagementHandler)
        self.gateway: WebSocketGateway | None = None
        self.endpoint = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, name="realtime-standin", daemon=True).start()


class MemoryPeer:
    """A client's socket in memory: frames the gateway sends land in ``received``."""

    def __init__(self) -> None:
        self.received: list[str | bytes] = []
        self.closed = False
        self.gateway: WebSocketGateway | None = None
        self.connection: Connection | None = None

    def send(self, data: str | bytes) -> None:
        if self.closed:
            raise ConnectionError("closed")
        self.received.append(data)

    def close(self) -> None:
        """DeleteConnection: the socket closes, then $disconnect runs."""
        self.closed = True
        if self.gateway is not None and self.connection is not None:
            self.gateway.closed(self.connection, 1000)


class Client:
    """One accepted connection; ``frames()`` parses what it received."""

    def __init__(self, gateway: WebSocketGateway, peer: MemoryPeer, connection: Connection) -> None:
        self.gateway = gateway
        self.peer = peer
        self.connection = connection
        self.id = connection.id

    @property
    def received(self) -> list[str | bytes]:
        return self.peer.received

    def send(self, frame: dict[str, Any] | str | bytes) -> None:
        """One message from the client: ``$default`` runs before this returns."""
        self.gateway.receive(self.connection, json.dumps(frame) if isinstance(frame, dict) else frame)

    def ask(self, frame: dict[str, Any] | str | bytes) -> list[dict[str, Any]]:
        """Send a frame; the frames received since the last ``take`` (taken), its answer among them."""
        self.send(frame)
        return self.take()

    def frames(self) -> list[dict[str, Any]]:
        return [json.loads(f) for f in self.peer.received]

    def take(self) -> list[dict[str, Any]]:
        """The frames received so far, forgetting them."""
        frames = self.frames()
        self.peer.received.clear()
        return frames

    def close(self, code: int = 1000) -> None:
        """The client closes the socket: $disconnect runs before this returns."""
        self.peer.closed = True
        self.gateway.closed(self.connection, code)

    def drop(self) -> None:
        """The socket is gone and its $disconnect lost (best effort in AWS): its records
        stay until a post meets GoneException."""
        self.peer.closed = True
        self.connection.lose_disconnect = True
        self.gateway.closed(self.connection, None)


class Refused(AssertionError):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"$connect refused the upgrade: {status} {body!r}")
        self.status = status
        self.body = body


class LocalRealtime:
    """The WebSocket API of ``app`` with in-memory clients."""

    def __init__(self, app: Chalice, server: StandInServer, stage: str = "test") -> None:
        self.gateway = WebSocketGateway(app, stage=stage, domain_name=server.endpoint.split("//", 1)[1])
        self.endpoint = server.endpoint
        server.gateway = self.gateway

    def connect(
        self,
        query: dict[str, str] | None = None,
        headers: list[tuple[str, str]] | None = None,
        source_ip: str = "127.0.0.1",
    ) -> Client:
        """Connect (``?token=``/``?ticket=`` in ``query``); raises :class:`Refused` if $connect refuses."""
        peer = MemoryPeer()
        path = "/" + (f"?{urlencode(query)}" if query else "")
        handshake = self.gateway.connect(peer, path, headers or [("User-Agent", "tests")], source_ip)
        if handshake.connection is None:
            raise Refused(handshake.status, handshake.body)
        peer.gateway, peer.connection = self.gateway, handshake.connection
        self.gateway.opened(handshake.connection)
        return Client(self.gateway, peer, handshake.connection)

    def refusal(self, query: dict[str, str] | None = None) -> int:
        """The status $connect refuses with (fails if it accepts)."""
        try:
            client = self.connect(query)
        except Refused as refused:
            return refused.status
        client.close()
        raise AssertionError("$connect accepted the connection")
