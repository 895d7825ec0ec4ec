"""OWASP API9:2023 Improper Inventory Management.

The inventory is the route table: every route the app serves is declared (a RouteSpec with
its callers and scope, or one of the few non-surface routes named in tools/permissions.py,
or a view that runs no handler: 404/405 answers and CORS preflights), and the OpenAPI
document lists exactly the served routes, each with the callers and scope it declares. No
undocumented, debug or leftover route; no second API version that escapes the rules.
"""

from __future__ import annotations

import json
from pathlib import Path

from app import app
from chalicelib.api.routing import ROUTES
from tools import permissions
from tools.permissions import OTHER_ROUTES

DOCUMENT = Path(__file__).parents[2] / "docs" / "openapi.json"
PREFIXES = ("/v1/", "/api/3.0/", "/api/v2/", "/oauth/", "/.well-known/")


def _served() -> dict[tuple[str, str], str]:
    return {
        (path, method): entry.view_name for path, entries in app.routes.items() for method, entry in entries.items()
    }


def test_every_served_route_is_declared():
    """API9, a route nobody declared (shadow API): each is a RouteSpec, a named non-surface
    route, or a view that runs no handler."""
    declared = {(r.path, r.method) for r in ROUTES}
    stray = [
        (method, path, view)
        for (path, method), view in _served().items()
        if (path, method) not in declared
        and view not in OTHER_ROUTES
        and not view.startswith(permissions.NO_HANDLER_PREFIXES)
    ]
    assert stray == []


def test_the_openapi_document_equals_the_route_table():
    """API9, documentation drift: the document's paths and methods are the served routes
    (no more, no fewer), and each declared route carries its callers and scope."""
    paths = json.loads(DOCUMENT.read_text())["paths"]
    documented = {(path, method.upper()) for path, operations in paths.items() for method in operations}
    served = {(path, method) for (path, method), view in _served().items() if not view.startswith("method_not_allowed")}
    assert documented == served
    for route in ROUTES:
        operation = paths[route.path][route.method.lower()]
        assert operation["x-disqua-callers"] == list(route.callers), route.path
        assert ("x-disqua-scope" in operation) == route.auth, route.path


def test_no_debug_test_or_unversioned_routes():
    """API9, leftovers: every path lives under a known prefix (one version per surface),
    none names a debug, test or internal endpoint, and Chalice's debug mode (tracebacks in
    answers) is off."""
    for path, _method in _served():
        assert path.startswith(PREFIXES), path
        segments = path.lower().strip("/").split("/")
        leftovers = {"debug", "test", "tests", "internal", "swagger", "docs", "health", "admin-debug", "v0", "beta"}
        # (POST /v1/webhooks/{id}/test is the webhook ping the spec defines, under its webhook.)
        assert not leftovers & set(segments) or path == "/v1/webhooks/{webhookId}/test", path
    assert app.debug is False


def test_every_stage_is_known_and_none_is_a_leftover():
    """The stages deployed are the ones .chalice/config.json names (local, dev, prod), each
    with its own settings: no stage inherits another's (CORS, mail)."""
    config = json.loads((Path(__file__).parents[2] / ".chalice" / "config.json").read_text())
    assert set(config["stages"]) == {"local", "dev", "prod"}
    for name, stage in config["stages"].items():
        assert stage["environment_variables"]["DISQUA_STAGE"] == name
