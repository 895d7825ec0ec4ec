"""The v1 surface: what is v1 about a v1 request and its answer.

Bearer tokens (``dqt_`` access tokens, ``dqa_`` API tokens, apps' OAuth tokens), JSON bodies,
single-valued query parameters validated against the route's schema, signed opaque cursors
with ``pagination {hasMore, nextCursor}``, and the ``{"ok": ..., "data"|"error": ...}``
envelope with a requestId (chalicelib/http/envelope.py).
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.api.routing import Call, Reply, RouteSpec, Surface, json_response, response_headers
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import DisquaError, MethodNotAllowed, NotFound, ValidationError
from chalicelib.http import cursors
from chalicelib.http.request import check_content_type, header, parse_json, query_params, raw_body
from chalicelib.http.schema import validate


def error_response(exc: DisquaError, request_id: str) -> Response:
    """An error in the v1 envelope, with the requestId in the body and the header."""
    from chalicelib.http.envelope import error

    return json_response(error(exc, request_id), exc.status, {**response_headers(request_id), **exc.headers})


def not_found_body(request_id: str) -> dict[str, Any]:
    """What an unknown v1 path answers (the app, the local gateway and API Gateway alike)."""
    from chalicelib.http.envelope import error

    return error(NotFound("No route matches this path."), request_id)


class V1Surface(Surface):
    name = "v1"
    prefixes = ("/v1",)

    def authenticate(self, spec: RouteSpec, request: Any) -> Principal:
        from chalicelib.services import authn

        return authn.authenticate(header(request, "authorization"))

    def parse_body(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
        raw = raw_body(request)
        if raw:
            check_content_type(header(request, "content-type"))
        if spec.body is None:
            payload = parse_json(raw, get_settings().max_body_bytes)
            if payload not in ({}, None):
                raise ValidationError("This route takes no request body.", field="body")
            return {}
        return validate(spec.body, parse_json(raw, get_settings().max_body_bytes))

    def parse_query(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
        params = query_params(request)
        if spec.query is None:
            if params:
                name = sorted(params)[0]
                raise ValidationError(f"Unknown query parameter: {name}.", field=name)
            return {}
        return validate(spec.query, params)

    def position(self, call: Call) -> dict[str, Any] | None:
        return cursors.decode(call.query.get("cursor"), call.list_identity())

    def page(self, call: Call, items: list[Any], position: dict[str, Any] | None) -> Reply:
        cursor = cursors.encode(position, call.list_identity())
        return Reply(items, pagination={"hasMore": cursor is not None, "nextCursor": cursor})

    def render(self, reply: Reply, request_id: str) -> Response:
        from chalicelib.http.envelope import ok

        headers = {**response_headers(request_id), **reply.headers}
        if reply.status == 204:
            return Response(body="", status_code=204, headers=headers)
        return json_response(ok(reply.data, reply.pagination), reply.status, headers)

    def render_error(self, exc: DisquaError, request_id: str) -> Response:
        return error_response(exc, request_id)

    @classmethod
    def not_found(cls, request_id: str) -> Response:
        return json_response(not_found_body(request_id), 404, response_headers(request_id))

    @classmethod
    def method_not_allowed(cls, allowed: str, request_id: str) -> Response:
        return error_response(MethodNotAllowed(f"Allowed methods: {allowed}.", headers={"Allow": allowed}), request_id)
