"""The Admin v2 surface: what is Admin v2 about a /api/v2 request and its answer (docs/admin-v2.md).

- ``Authorization: Bearer <Admin Access Token>``: a workspace API token (``dqa_``) whose scopes
  include ``admin``. No token or a bad one: 401; a login session or an app's OAuth token:
  401 (this API takes Admin Access Tokens only); an API token without ``admin``: 403. On
  this surface the token acts with every scope in its workspace, as its creator, whose
  role (admin or owner) the services check on each request.
- Bodies form-encoded or JSON on every route (``forms.py``); fields may also come in the
  query string (a DELETE body is optional for some clients), never the same one twice.
- Answers: the route's bundle as the body (``{channels[], channelUsers[], ...}``), lists with
  ``paging {next, previous}``: opaque signed tokens the client passes back as
  ``options[token]``.
- Errors, every one, the unknown paths and methods included:
  ``{"status": "error", "code": <HTTP status>, "type": "E_...", "message", "field", "requestId"}``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.admin import forms
from chalicelib.api.routing import Call, Reply, RouteSpec, Surface, json_response, response_headers
from chalicelib.auth import scopes
from chalicelib.auth.principal import ADMIN_TOKEN, Principal
from chalicelib.config import get_settings
from chalicelib.errors import (
    DisquaError,
    InsufficientScope,
    InvalidToken,
    MethodNotAllowed,
    NotFound,
    UnsupportedMediaType,
    ValidationError,
)
from chalicelib.http import cursors
from chalicelib.http.request import header, raw_body

PREFIX = "/api/v2"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
TOKEN_FIELD = "options[token]"


def error_body(exc: DisquaError, request_id: str) -> dict[str, Any]:
    return {
        "status": "error",
        "code": exc.status,
        "type": exc.code,
        "message": exc.message,
        "field": forms.dotted_to_brackets(exc.field),
        "requestId": request_id,
    }


def error_response(exc: DisquaError, request_id: str) -> Response:
    return json_response(error_body(exc, request_id), exc.status, {**response_headers(request_id), **exc.headers})


def _query_pairs(request: Any) -> str:
    """The raw query string, re-encoded from what the runtime parsed (every value kept)."""
    from urllib.parse import urlencode

    query = request.query_params or {}
    return urlencode(
        [
            (name, value)
            for name in query
            for value in (query.getlist(name) if hasattr(query, "getlist") else [query[name]])
        ]
    )


class AdminSurface(Surface):
    name = "admin"
    prefixes = (PREFIX,)

    def default_callers(self, method: str, path: str, scope: str | None) -> tuple[str, ...]:
        return (ADMIN_TOKEN,)  # every route: the Admin Access Token only

    def authenticate(self, spec: RouteSpec, request: Any) -> Principal:
        from chalicelib.services import authn

        principal = authn.authenticate(header(request, "authorization"))
        if principal.kind != "api_token":
            raise InvalidToken("Admin v2 takes an Admin Access Token: a workspace API token with the admin scope.")
        if not principal.has_scope(scopes.ADMIN):
            raise InsufficientScope("An Admin Access Token needs the admin scope.")
        # The admin console acts with every scope of its workspace; its creator's role
        # (admin or owner, now) is what the services check.
        return replace(principal, scopes=frozenset(scopes.ALL))

    def parse_body(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
        raw = raw_body(request)
        uploads = spec.body is not None and any(isinstance(f, forms.Upload) for f in spec.body.fields.values())
        max_bytes = forms.MAX_UPLOAD_BYTES if uploads else get_settings().max_body_bytes
        content_type = header(request, "content-type")
        if raw.strip() and (forms.media_type(content_type) == "multipart") != uploads:
            wanted = forms.MULTIPART if uploads else f"{forms.FORM} or {forms.JSON}"
            raise UnsupportedMediaType(f"Send {wanted}.", field="Content-Type")
        body = forms.parse_body(raw, content_type, max_bytes) if raw.strip() else {}
        from_form = not raw.strip() or forms.media_type(content_type) in ("form", "multipart")
        query = forms.parse_form(_query_pairs(request)) if request.query_params else {}
        for name in sorted(set(body) & set(query)):
            raise ValidationError(f"{name} is given both in the query string and in the body.", field=name)
        if spec.body is None:
            if body or query:
                name = sorted({**body, **query})[0]
                raise ValidationError(f"Unknown field: {name}.", field=name)
            return {}
        shaped = {**forms.shape(spec.body, query, from_form=True), **forms.shape(spec.body, body, from_form=from_form)}
        return spec.body.clean(shaped, "")

    def parse_query(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
        return {}  # read with the body (parse_body)

    def position(self, call: Call) -> dict[str, Any] | None:
        """The decoded ``options[token]`` (None: the first page)."""
        token = (call.body.get("options") or {}).get("token")
        try:
            return cursors.decode(token, call.list_identity())
        except ValidationError:
            raise ValidationError("options[token] is invalid or belongs to another list.", field=TOKEN_FIELD) from None

    def token(self, call: Call, position: dict[str, Any] | None) -> str | None:
        return cursors.encode(position, call.list_identity())

    def page(self, call: Call, items: list[Any], position: dict[str, Any] | None) -> Reply:
        """``items``: the bundle; ``position``: {"next": ..., "previous": ...} positions."""
        position = position or {}
        paging = {
            "next": self.token(call, position.get("next")),
            "previous": self.token(call, position.get("previous")),
        }
        return Reply(items, pagination=paging)

    def render(self, reply: Reply, request_id: str) -> Response:
        headers = {**response_headers(request_id), **reply.headers}
        if isinstance(reply.data, bytes):  # an image or a file (headers carry its Content-Type)
            return Response(body=reply.data, status_code=reply.status, headers=headers)
        if reply.status == 204:
            return Response(body="", status_code=204, headers=headers)
        body = dict(reply.data) if isinstance(reply.data, dict) else {"data": reply.data}
        if reply.pagination is not None:
            body["paging"] = reply.pagination
        return json_response(body, reply.status, headers)

    def render_error(self, exc: DisquaError, request_id: str) -> Response:
        return error_response(exc, request_id)

    @classmethod
    def not_found(cls, request_id: str) -> Response:
        return error_response(NotFound("No Admin v2 route matches this path."), request_id)

    @classmethod
    def method_not_allowed(cls, allowed: str, request_id: str) -> Response:
        exc = MethodNotAllowed(f"Allowed methods: {allowed}.", headers={"Allow": allowed})
        return error_response(exc, request_id)


# -- every other path under /api/v2 --------------------------------------------------------

bp = Blueprint(__name__)


def _unknown(**_params: str) -> Response:
    from chalicelib.ids import new_id

    return AdminSurface.not_found(f"req_{new_id()}")


# On API Gateway an unknown path would get the gateway response (the v1 envelope): this
# {proxy+} answers it in Admin v2's shape (API Gateway prefers the literal routes). Locally
# devserver/gateway.py asks fallback.not_found, which picks this surface by prefix.
bp.route(f"{PREFIX}/{{proxy+}}", methods=list(METHODS), content_types=["*/*"], name="admin_unknown")(_unknown)
