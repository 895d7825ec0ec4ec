"""Answers for requests no route takes, in the envelope of the surface that owns the path.

A wrong method on a known route: 405 (with ``Allow``), on every stage. Unknown paths never
reach Lambda on AWS: API Gateway answers them with the gateway response declared in infra/
(the v1 envelope), and a surface with another envelope declares its own catch-all route;
the local runtime mirrors both (devserver/gateway.py asks ``not_found``).
"""

from __future__ import annotations

from collections.abc import Callable

from chalice import Chalice, Response

from chalicelib.api.routing import Surface, surface_for_path
from chalicelib.api.v1.surface import V1Surface

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Paths outside every surface (/oauth, /.well-known) answer in the v1 envelope.
DEFAULT_SURFACE: type[Surface] = V1Surface


def owner_of(path: str) -> type[Surface]:
    return surface_for_path(path) or DEFAULT_SURFACE


def not_found(path: str) -> Response:
    """What an unknown path answers, in its surface's envelope."""
    from chalicelib.ids import new_id

    return owner_of(path).not_found(f"req_{new_id()}")


def register_method_not_allowed(app: Chalice) -> None:
    for index, (path, entries) in enumerate(sorted(app.routes.items())):
        missing = [m for m in METHODS if m not in entries]
        if not missing:
            continue
        allowed = ", ".join(sorted(m for m in entries if m != "OPTIONS"))  # a CORS preflight is no method of it
        # Any media type: a wrong method with a form body is a 405 too, not Chalice's own 415.
        app.route(path, methods=missing, name=f"method_not_allowed_{index}", content_types=["*/*"])(
            _view(owner_of(path), allowed)
        )


def _view(surface: type[Surface], allowed: str) -> Callable[..., Response]:
    def method_not_allowed(**_params: str) -> Response:
        from chalicelib.ids import new_id

        return surface.method_not_allowed(allowed, f"req_{new_id()}")

    return method_not_allowed
