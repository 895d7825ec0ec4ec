"""WebSocket clients and the Management API on one port, with ``websockets``.

An accepted socket is peeked at (MSG_PEEK, nothing consumed) until its request head
is in: an upgrade request goes to ``websockets``' threaded server, which hands the
client to the gateway (``$connect`` decides the upgrade in ``process_request``); any
other request goes to http.server's handler for the Management API stand-in and the
page (devserver/realtime/management.py). One thread per client, as the handlers are
synchronous; the app's handlers run on those threads, as chalice.local's do.
"""

from __future__ import annotations

import contextlib
import http
import logging
import re
import socket
import threading
import time
from types import SimpleNamespace
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from devserver.realtime.gateway import MAX_PAYLOAD, Connection, WebSocketGateway
from devserver.realtime.management import ManagementHandler

log = logging.getLogger(__name__)

HEAD_LIMIT = 16 * 1024
HEAD_TIMEOUT = 10.0  # seconds for a client to send its request head
UPGRADE = re.compile(rb"^upgrade:[ \t]*websocket[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)


class SocketPeer:
    """A websockets connection as the gateway's :class:`~devserver.realtime.gateway.Peer`."""

    def __init__(self, connection: ServerConnection) -> None:
        self._connection = connection

    def send(self, data: str | bytes) -> None:
        self._connection.send(data)  # thread-safe; raises ConnectionClosed once closed

    def close(self) -> None:
        # DeleteConnection answers at once in AWS: the close handshake goes on meanwhile.
        threading.Thread(target=self._connection.close, name="ws-close", daemon=True).start()


class RealtimeServer:
    """Binds ``host:port`` (0: any free port) at once; :meth:`serve_forever` serves."""

    def __init__(self, gateway: WebSocketGateway, host: str, port: int) -> None:
        self.gateway = gateway
        listener = socket.create_server((host, port))
        self.port: int = listener.getsockname()[1]
        self.url = f"ws://{host}:{self.port}"
        self.endpoint = f"http://{host}:{self.port}"  # the Management API's (REALTIME_ENDPOINT)
        quiet = logging.getLogger("devserver.realtime.websockets")  # handshake noise
        quiet.setLevel(logging.WARNING)
        self._ws: Server = serve(
            self._session,
            sock=listener,
            process_request=self._upgrade,
            process_response=self._upgraded,
            max_size=MAX_PAYLOAD,  # a larger message closes the socket (1009), as API Gateway does
            server_header=None,
            logger=quiet,
        )
        self._websocket_handler = self._ws.handler
        self._ws.handler = self._dispatch
        self._http = SimpleNamespace(gateway=gateway)
        self._http_sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def serve_forever(self) -> None:
        self._ws.serve_forever()

    def shutdown(self) -> None:
        """Stop accepting, close every client (1001) and idle keep-alive HTTP connection."""
        with self._lock:
            for sock in self._http_sockets:
                with contextlib.suppress(OSError):  # closed meanwhile
                    sock.shutdown(socket.SHUT_RDWR)
        self._ws.shutdown()

    # --- one accepted socket --------------------------------------------------------

    def _dispatch(self, sock: socket.socket, address: Any) -> None:
        try:
            head = peek_head(sock)
        except OSError:
            head = b""
        if head and UPGRADE.search(head):
            self._websocket_handler(sock, address)  # websockets' own: closes and unregisters
            return
        with self._lock:
            self._http_sockets.add(sock)
        try:
            if head:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
                ManagementHandler(sock, address, self._http)
        except OSError:
            log.debug("management API connection failed", exc_info=True)
        finally:
            with self._lock:
                self._http_sockets.discard(sock)
            sock.close()
            with self._ws.lock:  # as websockets' handler does for its threads
                self._ws.handler_threads.discard(threading.current_thread())

    # --- websockets hooks -------------------------------------------------------------

    def _upgrade(self, connection: ServerConnection, request: Request) -> Response | None:
        """$connect decides: None completes the upgrade, a response refuses it."""
        source_ip = connection.remote_address[0]
        handshake = self.gateway.connect(SocketPeer(connection), request.path, request.headers.raw_items(), source_ip)
        if handshake.connection is None:
            headers = Headers([*handshake.headers.items(), ("Content-Length", str(len(handshake.body)))])
            return Response(handshake.status, http.HTTPStatus(handshake.status).phrase, headers, handshake.body)
        connection.gateway_connection = handshake.connection  # type: ignore[attr-defined]
        return None

    def _upgraded(self, connection: ServerConnection, request: Request, response: Response) -> None:
        accepted: Connection | None = getattr(connection, "gateway_connection", None)
        if accepted is not None and response.status_code != 101:  # websockets refused the handshake itself
            self.gateway.closed(accepted, None)

    def _session(self, connection: ServerConnection) -> None:
        accepted: Connection = connection.gateway_connection  # type: ignore[attr-defined]
        self.gateway.opened(accepted)
        try:
            for message in connection:
                self.gateway.receive(accepted, message)
        except ConnectionClosed:
            pass  # an abnormal close (no close frame): 1006 below
        finally:
            rcvd = connection.protocol.close_rcvd
            code = rcvd.code if rcvd is not None else None
            self.gateway.closed(accepted, code, rcvd.reason if rcvd is not None else "")


def peek_head(sock: socket.socket, limit: int = HEAD_LIMIT, timeout: float = HEAD_TIMEOUT) -> bytes:
    """The bytes received so far, up to the end of the request head (not consumed)."""
    deadline = time.monotonic() + timeout
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(limit, socket.MSG_PEEK)
            if not data or b"\r\n\r\n" in data or len(data) >= limit or time.monotonic() > deadline:
                return data
            time.sleep(0.002)  # the rest of the head is on its way
    finally:
        sock.settimeout(None)
