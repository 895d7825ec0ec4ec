"""Wrong method on a known route: 405 in the envelope (with ``Allow``), on every
stage. Unknown paths never reach Lambda: API Gateway answers them with the gateway
response declared in infra/ (the same envelope), and the local runtime mirrors it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Chalice, Response

from chalicelib.api.routing import v1_error_response
from chalicelib.errors import MethodNotAllowed, NotFound

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def not_found_body(request_id: str) -> dict[str, Any]:
    from chalicelib.http.envelope import error

    return error(NotFound("No route matches this path."), request_id)


def register_method_not_allowed(app: Chalice) -> None:
    for index, (path, entries) in enumerate(sorted(app.routes.items())):
        missing = [m for m in METHODS if m not in entries]
        if not missing:
            continue
        allowed = ", ".join(sorted(entries))
        app.route(path, methods=missing, name=f"method_not_allowed_{index}")(_view(allowed))


def _view(allowed: str) -> Callable[..., Response]:
    def method_not_allowed(**_params: str) -> Response:
        from chalicelib.ids import new_id

        error = MethodNotAllowed(f"Allowed methods: {allowed}.", headers={"Allow": allowed})
        return v1_error_response(error, f"req_{new_id()}")

    return method_not_allowed
