"""The API Gateway Management API over HTTP, as API Gateway answers it.

botocore's ``apigatewaymanagementapi`` model (rest-json) is the reference: POST
``/@connections/{connectionId}`` with the data as the body (200, empty), DELETE (204),
GET (200, ``connectedAt``/``identity``/``lastActiveAt``); a connection that is gone is
410 with ``x-amzn-ErrorType: GoneException`` (and no message, as AWS: boto3 reports
"Unknown"), data over 128 KB is 413 PayloadTooLargeException. The path may carry the
stage first (``/local/@connections/...``), as an endpoint URL copied from AWS would.
Requests are not authenticated (the local runtime only listens on 127.0.0.1).

Local additions on the same port: ``GET /@local/calls`` (the last Management API calls
and their statuses, for tests) and the live channel page (``GET /realtime``).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from devserver.realtime.gateway import MAX_PAYLOAD, Gone, WebSocketGateway

log = logging.getLogger(__name__)

CONNECTION_PATH = re.compile(r"^(?:/[^/@]+)?/@connections/(?P<id>[^/]+)$")
STATIC = Path(__file__).resolve().parent / "static"
# The page and its files (no inline script or style: the CSP below forbids them).
PAGES = {
    "/realtime": ("realtime.html", "text/html; charset=utf-8"),
    "/realtime.js": ("realtime.js", "text/javascript; charset=utf-8"),
    "/realtime.css": ("realtime.css", "text/css; charset=utf-8"),
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

Answer = tuple[int, dict[str, str], bytes]


def answer(gateway: WebSocketGateway, method: str, target: str, body: bytes) -> Answer:
    """One HTTP request to the stand-in -> (status, headers, body)."""
    path = urlsplit(target).path
    found = CONNECTION_PATH.match(path)
    if found is None:
        return _local(gateway, method, path)
    connection_id = unquote(found.group("id"))
    status, headers, out = _connection_call(gateway, method, connection_id, body)
    gateway.calls.append({"method": method, "connectionId": connection_id, "status": status})
    return status, headers, out


def _connection_call(gateway: WebSocketGateway, method: str, connection_id: str, body: bytes) -> Answer:
    try:
        if method == "POST":
            if len(body) > MAX_PAYLOAD:
                return _error(413, "PayloadTooLargeException", "Message too long")
            gateway.post(connection_id, body)
            return 200, _headers(), b""
        if method == "DELETE":
            gateway.delete(connection_id)
            return 204, _headers(), b""
        if method == "GET":
            return 200, _headers("application/json"), json.dumps(gateway.get(connection_id)).encode()
    except Gone:
        return _error(410, "GoneException", None)
    return _error(403, "ForbiddenException", "Forbidden")  # API Gateway: no such route


def _local(gateway: WebSocketGateway, method: str, path: str) -> Answer:
    if method == "GET" and path == "/@local/calls":
        return 200, _headers("application/json"), json.dumps(list(gateway.calls)).encode()
    if method == "GET" and path in PAGES:
        name, content_type = PAGES[path]
        headers = _headers(content_type)
        headers.update({"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff"})
        return 200, headers, (STATIC / name).read_bytes()
    if method == "GET" and path == "/favicon.ico":  # browsers ask for it on their own
        return 204, _headers(), b""
    if method == "GET" and path in ("", "/"):
        text = b"This is the WebSocket API: connect with a WebSocket client (see docs/realtime.md).\n"
        return 426, {**_headers("text/plain; charset=utf-8"), "Upgrade": "websocket"}, text
    return _error(403, "ForbiddenException", "Forbidden")


def _headers(content_type: str | None = None) -> dict[str, str]:
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def _error(status: int, error_type: str, message: str | None) -> Answer:
    headers = {**_headers("application/json"), "x-amzn-ErrorType": error_type}
    body: dict[str, Any] = {} if message is None else {"message": message}
    return status, headers, json.dumps(body).encode()


class ManagementHandler(BaseHTTPRequestHandler):
    """http.server's handler for the stand-in; ``server.gateway`` is the gateway."""

    protocol_version = "HTTP/1.1"  # keep-alive, as boto3's connection pool expects
    disable_nagle_algorithm = True

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        gateway: WebSocketGateway = self.server.gateway  # type: ignore[attr-defined]
        try:
            status, headers, out = answer(gateway, self.command, self.path, body)
        except Exception:
            log.exception("management API: %s %s failed", self.command, self.path)
            status, headers, out = _error(500, "InternalServerErrorException", "Internal server error")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD" and status != 204:
            self.wfile.write(out)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("management API: " + format, *args)
