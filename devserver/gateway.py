"""Serving the Chalice app over HTTP with chalice.local, as `chalice local` does.

Differences, on purpose:
- A path that matches no route gets the answer of the surface that owns it: the v1 404
  envelope, which is what API Gateway's gateway response (declared in infra/) answers in
  AWS, or under /api/3.0 Disqus's code 1 (HTTP 400), which its {proxy+} route answers
  there. chalice.local would answer 403 "Missing Authentication Token" (API Gateway's
  default).
- Any other method on a known path (HEAD, TRACE, CONNECT, PROPFIND, FOO, ...) gets
  the v1 405 envelope with ``Allow``, as GET/POST/PUT/PATCH/DELETE do from the app's
  fallback routes (chalicelib/api/fallback.py). http.server would answer a method
  the handler has no ``do_<METHOD>`` for with an HTML 501, and chalice.local HEAD
  with its own 405 body. OPTIONS keeps chalice.local's CORS preflight answer, except under
  /api/3.0, whose routes answer it (the Disqus surface's preflight, at any depth).
- Responses leave without Nagle's delay: http.server writes the headers and the
  body separately, and on a keep-alive connection the body then waited for the
  client's delayed ACK, 40 ms on every response.
"""

from __future__ import annotations

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


class RouteMethodNotAllowed(LocalGatewayException):
    CODE = 405


class EnvelopeGateway(LocalGateway):
    """chalice's fake API Gateway, with our gateway responses for unknown paths and
    for methods no route declares."""

    def _generate_lambda_event(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            event = super()._generate_lambda_event(method, path, headers, body)
        except ValueError:  # chalice.local's RouteMatcher: no route matches the path
            if method == "OPTIONS":  # API Gateway's {proxy+} takes these under /api/3.0
                preflight = disqus_preflight(path.split("?", 1)[0], headers)
                if preflight is not None:
                    raise preflight from None
            raise not_found(path.split("?", 1)[0]) from None
        resource = event["requestContext"]["resourcePath"]
        entries = self._app_object.routes[resource]
        if method not in entries and method != "OPTIONS":  # OPTIONS: chalice.local's preflight
            raise method_not_allowed(resource, entries)
        return event


def not_found(path: str) -> RouteNotFound:
    """An unknown path, in the envelope of the surface that owns it (chalicelib/api/fallback.py)."""
    from chalicelib.api import fallback

    response = fallback.not_found(path).to_dict()
    error = RouteNotFound(response["headers"], response["body"].encode())
    error.CODE = response["statusCode"]  # the surface's status (Disqus code 1 is a 400)
    return error


class Preflight(LocalGatewayException):
    CODE = 204


def disqus_preflight(path: str, headers: Any) -> Preflight | None:
    """The Disqus surface's CORS preflight for a path at a depth its routes do not match
    (``/api/3.0/a/b/c``): on AWS its ``{proxy+}`` route answers OPTIONS; None elsewhere."""
    from types import SimpleNamespace

    from chalicelib.api.disqus.surface import PREFIX, preflight_response

    if not path.startswith(PREFIX + "/"):
        return None
    request = SimpleNamespace(headers={str(k).lower(): v for k, v in headers.items()})
    response = preflight_response(request).to_dict()
    return Preflight(response["headers"], response["body"].encode())


def method_not_allowed(path: str, entries: dict[str, Any]) -> RouteMethodNotAllowed:
    """The app's own 405 (chalicelib/api/fallback.py), for a method it has no route for.

    ``Allow`` lists the methods the path really has: not the fallback's own routes."""
    from chalicelib.api import fallback
    from chalicelib.ids import new_id

    real = [
        m for m, entry in entries.items() if entry.view_function.__module__ != fallback.__name__ and m != "OPTIONS"
    ]  # OPTIONS: a CORS preflight (the Disqus surface's), not a method of the resource
    allowed = ", ".join(sorted(real))
    response = fallback.owner_of(path).method_not_allowed(allowed, f"req_{new_id()}").to_dict()
    return RouteMethodNotAllowed(response["headers"], response["body"].encode())


class RequestHandler(ChaliceRequestHandler):
    disable_nagle_algorithm = True  # TCP_NODELAY: see the module docstring

    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Chalice, config: Config) -> None:
        # ChaliceRequestHandler.__init__ would build a plain LocalGateway; the request
        # is handled inside BaseHTTPRequestHandler.__init__, so set ours first.
        self.local_gateway = EnvelopeGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        # http.server looks up do_<METHOD> and answers an HTML 501 when there is none:
        # every method goes to the gateway instead (chalice.local defines the usual seven).
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)

    def _send_http_response_with_body(self, code: int, headers: Any, body: str | bytes) -> None:
        if self.command != "HEAD":
            super()._send_http_response_with_body(code, headers, body)
            return
        # A HEAD answer has the headers a GET would have, and no body.
        self.send_response(code)
        self.send_header("Content-Length", str(len(body.encode() if isinstance(body, str) else body)))
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self._send_headers(headers)


def create_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """chalice.local.create_local_server, with our request handler (binds the port)."""
    # As chalice.local does: make app.current_request thread-local, since the
    # server handles requests on several threads.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=RequestHandler)
