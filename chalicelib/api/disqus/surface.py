"""The Disqus 3.0 surface: what is Disqus about a /api/3.0 request and its answer.

- Paths ``/api/3.0/{resource}/{verb}.{json|jsonp|rss}``: ``DisqusSurface.endpoint`` declares
  an endpoint once and registers its formats (jsonp on GET endpoints, rss on lists); every
  other path under /api/3.0 reaches ``catch_all``, which answers an endpoint's bare
  ``{resource}/{verb}`` as its .json (the disqusjs widget calls ``threads/listPostsThreaded``
  so), else code 1 (or HTTP 415 for a format).
- CORS: a public-key request whose Origin matched the key is answered with
  ``Access-Control-Allow-Origin: <that origin>`` and ``Vary: Origin`` (never ``*``, never for
  api_secret/access_token); OPTIONS on any /api/3.0 path is a preflight (204).
- Arguments from the query string (and, on POST, a form-encoded body too), every value kept:
  ``a=1&a=2`` and ``a[]=1&a[]=2`` are one list (``Call.query``: name -> [values]).
- Credentials: ``access_token`` (or ``Authorization: Bearer``) a user's token, ``api_secret``
  a workspace API token, ``api_key`` a public key checked against Origin/Referer (reads only).
- ``{"code": 0, "response": ...}`` plus a Disqus ``cursor`` on lists; errors in the same
  envelope with the notes' codes and statuses (protocol.py); JSONP and RSS renderings.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.protocol import Cursor, WrongKind
from chalicelib.api.routing import (
    SECURITY_HEADERS,
    Call,
    Reply,
    RouteSpec,
    Surface,
    json_response,
    response_headers,
)
from chalicelib.auth import scopes
from chalicelib.auth.principal import PUBLIC_KEY, Principal
from chalicelib.errors import DisquaError, InvalidToken, MethodNotAllowed, ValidationError
from chalicelib.http.request import header, raw_body

PREFIX = "/api/3.0"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PERSONAL_CREDENTIALS = ("api_secret", "access_token")
FORM = "application/x-www-form-urlencoded"
# What a cross-origin page may send (preflight answers): the widget's GETs need no
# preflight; a page posting a form or sending Authorization does.
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "600",
}
_SERIALIZED_ORIGIN = re.compile(r"^https?://[^/?#\s]+$", re.IGNORECASE)
# Set on the request by ``authenticate``: the Origin a public key matched (see ``_cors``).
_CORS_ORIGIN = "disqua_cors_origin"
# Path -> the endpoint's own arguments (tools/openapi.py documents them with the keys').
ENDPOINT_ARGUMENTS: dict[str, dict[str, str]] = {}
# "{resource}/{verb}" -> method -> the endpoint's .json view: what the bare path answers.
BARE_ENDPOINTS: dict[str, dict[str, Callable[..., Response]]] = {}
LIST_ARGUMENTS = {
    "cursor": "A cursor this list gave: <epoch us>:<offset>:<0 next | 1 prev>",
    "limit": "Items per page, 1 to 100 (default 25)",
}


def request_arguments(request: Any) -> dict[str, list[str]]:
    """The query string's arguments, then a POST's form body's, every value kept."""
    query = request.query_params or {}
    pairs = [
        (name, value)
        for name in query
        for value in (query.getlist(name) if hasattr(query, "getlist") else [query[name]])
    ]
    body = raw_body(request) if request.method == "POST" else b""
    if body:
        content_type = (header(request, "content-type") or "").split(";")[0].strip().lower()
        if content_type != FORM:
            raise ValidationError(f"POST arguments are sent form-encoded ({FORM}).", field="body")
        pairs += protocol.form_pairs(body)
    return protocol.arguments(pairs)


def path_format(path: str) -> str:
    """What follows the last dot of a path's last segment; json when there is none (a bare
    ``{resource}/{verb}``: the "3.0" of the prefix is not a format)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[1] if "." in last else "json"


def requested_format(request: Any) -> str:
    """json, jsonp or rss: the route's own suffix (the catch-all's is in its last segment)."""
    path = request.path if "{" not in request.path else (request.uri_params or {}).get("verb", "")
    return path_format(path)


def web_origin(origin: str | None) -> str | None:
    """``origin`` when it is a serialized http(s) origin (what a browser's Origin holds), else
    None (``null``, another scheme, a path, garbage)."""
    from chalicelib.services.public_keys import request_origin

    if not origin or len(origin) > 300 or not _SERIALIZED_ORIGIN.match(origin):
        return None
    return origin if request_origin(origin, None) is not None else None


def _cors(request: Any) -> dict[str, str]:
    """CORS headers for a public-key request whose Origin matched its key; none otherwise.

    The origin is echoed (never ``*``) and only for a public key: its answers are what any
    page of the key's domains may read anyway. api_secret and access_token answers are
    personal, and a browser must never hand them to another origin's script."""
    origin = getattr(request, _CORS_ORIGIN, None) if request is not None else None
    if not origin:
        return {}
    # The page's script may read how it stands against its rate limit (README.md, "Rate limits").
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": _EXPOSED}


_EXPOSED = "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"


def preflight_response(request: Any) -> Response:
    """OPTIONS on any /api/3.0 path: 204 with the methods and headers a page may use. Any
    http(s) Origin is echoed: the actual request still checks the key's domains."""
    from chalicelib.ids import new_id

    headers = {"X-Request-Id": f"req_{new_id()}", **SECURITY_HEADERS, **PREFLIGHT_HEADERS}
    origin = web_origin(header(request, "origin"))
    if origin:
        headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
    return Response(body="", status_code=204, headers=headers)


def _callback(request: Any) -> str | None:
    """The request's valid JSONP callback, or None (absent or invalid: answered as JSON)."""
    try:
        args = request_arguments(request)
        return protocol.callback_name(protocol.one(args, "callback"))
    except ValidationError:
        return None


def _body(code: int, response: Any, cursor: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"cursor": cursor, "code": code, "response": response} if cursor else {"code": code, "response": response}


def _jsonp(callback: str | None, data: Any, status: int, request_id: str, extra: dict[str, str]) -> Response:
    # ensure_ascii: U+2028/2029 and every non-ASCII character escaped, so the script is
    # plain ASCII whatever the page's charset; "</" escaped so it cannot end a <script>.
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True).replace("</", "<\\/")
    # No callback: a commented-out body (Disqus's); "*/" only occurs in strings, as "*\/".
    body = f"/**/{callback}({text});" if callback else "/* " + text.replace("*/", "*\\/") + " */"
    headers = {**response_headers(request_id, "application/javascript; charset=utf-8"), **extra}
    return Response(body=body, status_code=status, headers=headers)


def error_response(exc: DisquaError, request_id: str, request: Any = None) -> Response:
    """An error in the Disqus envelope (JSONP-wrapped when the request asked so with a valid
    callback); an internal error's requestId is only in the X-Request-Id header."""
    code = protocol.code_of(exc)
    status = protocol.status_of(exc, code)
    data = _body(code, protocol.error_message(exc, code))
    extra = {**exc.headers, **_cors(request)}
    if request is not None and requested_format(request) == "jsonp" and request.method == "GET":
        callback = _callback(request)
        if callback:
            return _jsonp(callback, data, status, request_id, extra)
    return json_response(data, status, {**response_headers(request_id), **extra})


# Endpoints a public key may write to, as a guest (author_name and author_email given): the
# one way anonymous visitors comment, on forums that allow guests (services/posts.py).
GUEST_ENDPOINTS = ("posts/create",)


def _guest_endpoint(spec: RouteSpec) -> bool:
    return spec.path.removeprefix(PREFIX + "/").rsplit(".", 1)[0] in GUEST_ENDPOINTS


def _guest_post(spec: RouteSpec, args: dict[str, list[str]]) -> bool:
    return _guest_endpoint(spec) and bool(protocol.one(args, "author_name") or protocol.one(args, "author_email"))


class DisqusSurface(Surface):
    name = "disqus"
    prefixes = (PREFIX,)

    def default_callers(self, method: str, path: str, scope: str | None) -> tuple[str, ...]:
        """Users' tokens as on v1; a public key (no user, read-only) also on every reading
        endpoint and, as a guest, on the guest endpoints (the forum decides: allowGuests)."""
        users = super().default_callers(method, path, scope)
        endpoint = path.removeprefix(PREFIX + "/").rsplit(".", 1)[0]
        if (method == "GET" and scope == scopes.COMMENTS_READ) or endpoint in GUEST_ENDPOINTS:
            return (*users, PUBLIC_KEY)
        return users

    # -- declaring ---------------------------------------------------------------------
    def endpoint(
        self,
        name: str,
        method: str,
        *,
        summary: str,
        scope: str,
        arguments: dict[str, str],
        lists: bool = False,
        limit: str | None = None,
        limit_by: str | None = None,
    ) -> Callable[[Callable[[Call], Any]], Callable[..., Response]]:
        """Declare ``{resource}/{verb}`` once: its .json path, .jsonp on GET endpoints and
        .rss on list endpoints, each with its OPTIONS preflight (API Gateway routes whole
        segments: no ``{format}`` suffix, so a literal route each). The bare path takes no
        route of its own: the catch-all answers it with the .json view (``BARE_ENDPOINTS``),
        which keeps the packaged template under CloudFormation's 1 MB (a literal route is
        six methods: the endpoint's, the envelope's 405s and the preflight).
        ``arguments`` (name -> words, "required" in them when it is) feed the OpenAPI document."""
        formats = ["json"] + (["jsonp"] if method == "GET" else []) + (["rss"] if lists else [])

        def decorator(handler: Callable[[Call], Any]) -> Callable[..., Response]:
            views = []
            for fmt in formats:
                path = f"{PREFIX}/{name}.{fmt}"
                ENDPOINT_ARGUMENTS[path] = {**arguments, **(LIST_ARGUMENTS if lists else {})}
                views.append(
                    self.route(path, method, summary=summary, scope=scope, limit=limit, limit_by=limit_by)(handler)
                )
                self.blueprint.route(path, methods=["OPTIONS"], content_types=["*/*"], name="disqus_preflight")(
                    self._preflight
                )
            BARE_ENDPOINTS.setdefault(name, {})[method] = views[0]
            return views[-1]

        return decorator

    def _preflight(self, **_params: str) -> Response:
        return preflight_response(self.blueprint.current_request)

    # -- hooks -------------------------------------------------------------------------
    def authenticate(self, spec: RouteSpec, request: Any) -> Principal:
        from chalicelib.services import authn, public_keys

        args = request_arguments(request)
        bearer = header(request, "authorization")
        if requested_format(request) == "jsonp" and (bearer or any(args.get(n) for n in PERSONAL_CREDENTIALS)):
            # A JSONP answer is readable by any page that includes it: never with personal data.
            raise WrongKind("JSONP answers public-key (api_key) requests only: use .json with api_secret/access_token.")
        access_token = protocol.one(args, "access_token")
        if access_token or bearer:
            principal = authn.authenticate(bearer or f"Bearer {access_token}")
            if access_token and principal.kind == "api_token":
                raise WrongKind("access_token takes a user's access token; an API token goes in api_secret.")
            return principal
        secret = protocol.one(args, "api_secret")
        if secret:
            try:
                principal = authn.authenticate(f"Bearer {secret}")
            except InvalidToken as exc:
                raise protocol.InvalidApiKey(exc.message) from None
            if principal.kind != "api_token":
                raise protocol.InvalidApiKey("api_secret takes a workspace API token (dqa_).")
            return principal
        key = protocol.one(args, "api_key")
        if key:
            origin = header(request, "origin")
            caller = public_keys.authenticate_public_key(key, origin, header(request, "referer"))
            # The key matched this Origin (it is checked before the Referer): its page may
            # read the answer, errors included. Without an Origin it is no CORS request.
            setattr(request, _CORS_ORIGIN, web_origin(origin))
            if _guest_post(spec, args):  # a guest's comment: the forum decides (allowGuests)
                return replace(caller.principal, scopes=caller.principal.scopes | {scopes.COMMENTS_WRITE})
            if PUBLIC_KEY not in spec.callers or _guest_endpoint(spec):
                raise WrongKind("A public key (api_key) may only read: use api_secret or access_token.")
            return caller.principal
        raise protocol.InvalidApiKey("Provide api_key, api_secret or access_token.")

    def parse_body(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
        return {}  # every argument is in ``query`` (form bodies included)

    def parse_query(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
        args = request_arguments(request)
        if requested_format(request) == "jsonp":
            protocol.callback_name(protocol.one(args, "callback"))  # a bad callback: code 2
        return args

    def position(self, call: Call) -> dict[str, Any] | None:
        """Where the page starts: ``offset`` items into the list as read at ``at_us``."""
        limit = protocol.integer(call.query, "limit", default=25, low=1, high=100)
        text = protocol.one(call.query, "cursor")
        if text is None:
            return {"at_us": time.time_ns() // 1000, "offset": 0, "limit": limit}
        cursor = Cursor.decode(text)
        start = max(0, cursor.offset - limit) if cursor.prev else cursor.offset
        return {"at_us": cursor.at_us, "offset": start, "limit": limit}

    def page(self, call: Call, items: list[Any], position: dict[str, Any] | None) -> Reply:
        """``position``: the one ``position()`` gave, plus ``more`` (items after this page)."""
        position = position or {"at_us": time.time_ns() // 1000, "offset": 0, "more": False}
        start = position["offset"]
        cursor = protocol.cursor_object(position["at_us"], start, start + len(items), bool(position.get("more")))
        return Reply(items, pagination=cursor)

    def render(self, reply: Reply, request_id: str) -> Response:
        request = self.blueprint.current_request
        data = _body(0, reply.data, reply.pagination)
        fmt = requested_format(request)
        extra = {**reply.headers, **_cors(request)}
        if fmt == "jsonp":
            return _jsonp(_callback(request), data, 200, request_id, extra)
        if fmt == "rss":
            title = f"Disqua: {request.path.removeprefix(PREFIX + '/').rsplit('.', 1)[0]}"
            body = protocol.rss_document(title, request.path, reply.data if isinstance(reply.data, list) else [])
            headers = {**response_headers(request_id, "application/rss+xml; charset=utf-8"), **extra}
            return Response(body=body, status_code=200, headers=headers)
        return json_response(data, 200, {**response_headers(request_id), **extra})

    def render_error(self, exc: DisquaError, request_id: str) -> Response:
        return error_response(exc, request_id, self.blueprint.current_request)

    @classmethod
    def not_found(cls, request_id: str) -> Response:
        return error_response(protocol.EndpointNotValid("No endpoint at this path."), request_id)

    @classmethod
    def method_not_allowed(cls, allowed: str, request_id: str) -> Response:
        exc = MethodNotAllowed(f"This endpoint takes {allowed}.", headers={"Allow": allowed})
        return error_response(exc, request_id)


# -- every other path under /api/3.0 -------------------------------------------------------

bp = Blueprint(__name__)


def unknown_endpoint(path: str, method: str) -> DisquaError:
    """Why nothing answers this path: a format (415) or no such endpoint (code 1)."""
    from chalicelib.api import routing

    last = path.rstrip("/").rsplit("/", 1)[-1]
    if "." in last:
        stem, fmt = path.rsplit(".", 1)
        if fmt not in protocol.FORMATS:
            return protocol.UnsupportedFormat(f"Unsupported output format '{fmt[:20]}': json, jsonp or rss.")
        if any(r.surface == DisqusSurface.name and r.path.rsplit(".", 1)[0] == stem for r in routing.ROUTES):
            return protocol.UnsupportedFormat(
                f"This endpoint has no {fmt} format (jsonp: GET endpoints; rss: list endpoints)."
            )
    return protocol.EndpointNotValid(f"No endpoint {method} {path[:200]}.")


def _catch_all(**_params: str) -> Response:
    from chalicelib.ids import new_id

    request = bp.current_request
    if request.method == "OPTIONS":  # a preflight answers on every path under /api/3.0
        return preflight_response(request)
    path = request.context.get("path") or request.path
    path = path[path.find(PREFIX) :] if PREFIX in path else path  # the stage prefix on AWS
    bare = BARE_ENDPOINTS.get(path.removeprefix(PREFIX + "/").strip("/"))
    if bare:  # an endpoint without extension: its .json view (the pipeline, json rendering)
        view = bare.get(request.method)
        if view is None:
            return DisqusSurface.method_not_allowed(", ".join(sorted(bare)), f"req_{new_id()}")
        return view()
    return error_response(unknown_endpoint(path, request.method), f"req_{new_id()}")


# /{resource}/{verb} takes every Disqus-shaped path (chalice.local matches whole segments);
# {proxy+} takes the rest on API Gateway, which prefers literal paths to either. API Gateway
# allows one variable child per resource, so /{resource}/{verb} is for chalice.local and the
# test client only: `make package` drops it (infra/merge.py for_api_gateway), {proxy+} covers it.
# One registration each, OPTIONS included (a Blueprint registered into a second app, as tests
# do, loses its routes' methods: a second route on the same path would collide).
LOCAL_ONLY_PATHS = (f"{PREFIX}/{{resource}}/{{verb}}",)
_CATCH_ALL_METHODS = [*METHODS, "OPTIONS"]
bp.route(f"{PREFIX}/{{resource}}/{{verb}}", methods=_CATCH_ALL_METHODS, content_types=["*/*"], name="disqus_unknown")(
    _catch_all
)
bp.route(f"{PREFIX}/{{proxy+}}", methods=_CATCH_ALL_METHODS, content_types=["*/*"], name="disqus_unknown_any")(
    _catch_all
)
