"""Serving the Chalice app over HTTP with chalice.local, as `chalice local` does.

One difference, on purpose: a path that matches no route gets the v1 404 envelope,
which is what API Gateway's gateway response (declared in infra/) answers in AWS.
chalice.local would answer 403 "Missing Authentication Token" (API Gateway's default).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
)


class RouteNotFound(LocalGatewayException):
    CODE = 404


class EnvelopeGateway(LocalGateway):
    """chalice's fake API Gateway, with our gateway response for unknown paths."""

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            return super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # chalice.local's RouteMatcher: no route matches the path
            raise not_found() from None


def not_found() -> RouteNotFound:
    from chalicelib.api.fallback import not_found_body
    from chalicelib.ids import new_id

    request_id = f"req_{new_id()}"
    body = json.dumps(not_found_body(request_id), separators=(",", ":")).encode()
    return RouteNotFound({"Content-Type": "application/json", "X-Request-Id": request_id}, body)


class RequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Chalice, config: Config) -> None:
        # ChaliceRequestHandler.__init__ would build a plain LocalGateway; the request
        # is handled inside BaseHTTPRequestHandler.__init__, so set ours first.
        self.local_gateway = EnvelopeGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)


def create_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """chalice.local.create_local_server, with our request handler (binds the port)."""
    # As chalice.local does: make app.current_request thread-local, since the
    # server handles requests on several threads.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=RequestHandler)
