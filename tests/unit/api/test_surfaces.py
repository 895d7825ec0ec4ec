"""The surface-neutral pipeline: which surface answers a path no route takes, and that the
pipeline asks its surface for everything surface-specific (authentication, parsing, paging,
rendering)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice import Blueprint, Chalice, Response
from chalice.test import Client

from chalicelib.api import fallback, routing
from chalicelib.api.routing import Call, Reply, RouteSpec, Surface
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth.principal import Principal
from chalicelib.errors import DisquaError, ValidationError


@pytest.fixture
def plain_surface():
    """A toy surface with another envelope, registered for the test only."""

    class PlainSurface(Surface):
        name = "plain"
        prefixes = ("/plain",)

        def authenticate(self, spec: RouteSpec, request: Any) -> Principal:
            return Principal(user_id="U1", kind="session")

        def parse_body(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
            return {}

        def parse_query(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
            query = dict(request.query_params or {})
            if "bad" in query:
                raise ValidationError("bad argument", field="bad")
            return query

        def position(self, call: Call) -> dict[str, Any] | None:
            return {"offset": int(call.query.get("offset", 0))}

        def page(self, call: Call, items: list[Any], position: dict[str, Any] | None) -> Reply:
            return Reply({"items": items, "next": position})

        def render(self, reply: Reply, request_id: str) -> Response:
            return Response(body=json.dumps({"code": 0, "response": reply.data}), status_code=reply.status)

        def render_error(self, exc: DisquaError, request_id: str) -> Response:
            return Response(body=json.dumps({"code": 2, "response": exc.message}), status_code=400)

        @classmethod
        def not_found(cls, request_id: str) -> Response:
            return Response(body=json.dumps({"code": 1, "response": "unknown"}), status_code=404)

        @classmethod
        def method_not_allowed(cls, allowed: str, request_id: str) -> Response:
            return Response(body=json.dumps({"code": 7, "response": allowed}), status_code=405)

    yield PlainSurface
    routing.SURFACES.remove(PlainSurface)
    routing.ROUTES[:] = [r for r in routing.ROUTES if r.surface != "plain"]


def test_the_owner_of_a_path_is_the_longest_matching_prefix(plain_surface):
    assert routing.surface_for_path("/plain/threads/list.json") is plain_surface
    assert routing.surface_for_path("/plain") is plain_surface
    assert routing.surface_for_path("/plainly") is None  # a prefix is a whole path segment
    assert routing.surface_for_path("/v1/channels") is V1Surface
    assert fallback.owner_of("/oauth/token") is V1Surface  # outside every surface: v1's envelope
    assert json.loads(fallback.not_found("/plain/nope").body) == {"code": 1, "response": "unknown"}
    assert json.loads(fallback.not_found("/v1/nope").body)["error"]["code"] == "E_NOT_FOUND"


def test_the_pipeline_asks_the_surface_to_read_page_render_and_answer_wrong_methods(plain_surface):
    app = Chalice(app_name="surfaces")
    bp = Blueprint(__name__)
    plain = plain_surface(bp, tag="Plain")

    @plain.route("/plain/items", "GET", summary="a page", scope="@any")
    def items(call: Call) -> Reply:
        assert call.surface is plain and call.principal is not None
        return call.page(["a", "b"], call.position())

    app.register_blueprint(bp)
    fallback.register_method_not_allowed(app)
    with Client(app) as client:
        answer = client.http.get("/plain/items?offset=3")
        assert json.loads(answer.body) == {"code": 0, "response": {"items": ["a", "b"], "next": {"offset": 3}}}
        refused = client.http.get("/plain/items?bad=1")
        assert (refused.status_code, json.loads(refused.body)) == (400, {"code": 2, "response": "bad argument"})
        wrong = client.http.post("/plain/items")
        assert (wrong.status_code, json.loads(wrong.body)) == (405, {"code": 7, "response": "GET"})
    spec = next(r for r in routing.ROUTES if r.path == "/plain/items")
    assert spec.surface == "plain" and spec.tag == "Plain"
