"""Declaring routes once: one request pipeline for every surface.

The pipeline (``Surface.route`` -> ``_dispatch``) is surface-neutral: it records every route
in ``ROUTES`` (scope, schemas: the OpenAPI document and docs/permissions.md are generated from
it, and a test walks it to check that every route enforces what it declares), cleans path
parameters, runs idempotency, catches errors and logs each request. What differs between the
API surfaces (v1, Disqus 3.0, Admin v2) is asked of the surface through a few hooks:
``authenticate``, ``parse_body``, ``parse_query``, ``position``/``page`` (its cursor and page
shape), ``render``, ``render_error``, ``not_found`` and ``method_not_allowed`` (answers for
paths under its ``prefixes``). The v1 surface is ``chalicelib/api/v1/surface.py``.

Authorization itself happens in the services (membership, role, scope, ownership);
the declared ``scope`` here is the contract they are tested against.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint, Response

from chalicelib.auth import scopes
from chalicelib.auth.principal import ANONYMOUS, API_TOKEN, CALLERS, OAUTH, SESSION, Principal
from chalicelib.errors import DisquaError, InvalidToken
from chalicelib.http.request import client_address, header, raw_body
from chalicelib.http.schema import Field, Id, Obj, Str
from chalicelib.ids import new_id
from chalicelib.observability import logger

IDEMPOTENCY_HEADER = "idempotency-key"
# Visible ASCII (spaces inside only: HTTP trims them around a header value). Declared once:
# the OpenAPI document states it from here.
IDEMPOTENCY_KEY = Str(
    min_len=1,
    max_len=255,
    strip=False,
    pattern=r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?",
    pattern_hint="must be 1 to 255 printable characters",
    description="Replays the first successful response for 24 h (Idempotent-Replayed: true).",
)


def idempotency_parameter() -> dict[str, Any]:
    """The Idempotency-Key header as an OpenAPI parameter (every surface's POST)."""
    schema = IDEMPOTENCY_KEY.json_schema()
    return {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": schema,
        "description": schema.pop("description"),
    }


# A malformed path id is a 400 naming the parameter, before any read.
_PATH_ID = Id()
REPLAY_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class RouteSpec:
    surface: str
    method: str
    path: str
    name: str
    summary: str
    scope: str | None  # a scope, scopes.SESSION or scopes.ANY_TOKEN; None on anonymous routes
    auth: bool
    body: Obj | None
    query: Obj | None
    status: int
    tag: str
    params: dict[str, Field]
    # False on routes where a replay could bypass a rule (login, refresh: reuse
    # detection) or would have to store a secret: Idempotency-Key is ignored there.
    idempotent: bool = True
    # The rate-limit class (chalicelib/services/rate_limits.py) and, for a class limited per
    # resource (send), the path parameter, query argument or body field naming it.
    limit: str = "read"
    limit_by: str | None = None
    # Error statuses the handler answers beyond what the pipeline derives (the OpenAPI
    # document lists both): e.g. login's 401, a 404 for an id named in the body.
    errors: tuple[int, ...] = ()
    # Who may call it (principal.CALLERS: session, api_token, oauth, public_key, admin_token,
    # anonymous): any other kind of caller is refused before the handler runs.
    callers: tuple[str, ...] = ()


ROUTES: list[RouteSpec] = []
# Every surface class with prefixes (registered by defining it): who answers an unknown path.
SURFACES: list[type[Surface]] = []


@dataclass
class Reply:
    """What a handler returns when plain data (-> 200) is not enough."""

    data: Any = None
    status: int = 200
    pagination: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Keys of ``data`` shown once: an idempotent replay answers them as null, since
    # the stored response must never hold a secret.
    secrets: tuple[str, ...] = ()

    def without_secrets(self) -> Reply:
        if not self.secrets or not isinstance(self.data, dict):
            return self
        data = {k: (None if k in self.secrets else v) for k, v in self.data.items()}
        return Reply(data, self.status, self.pagination, self.headers)


@dataclass
class Call:
    """Everything a handler may read about the request, already checked."""

    request_id: str
    route: RouteSpec
    principal: Principal | None
    params: dict[str, str]
    body: dict[str, Any]
    query: dict[str, Any]
    client_ip: str
    user_agent: str
    surface: Surface | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names

    @property
    def user(self) -> Principal:
        if self.principal is None:  # only on routes declared auth=False
            raise InvalidToken()
        return self.principal

    def list_identity(self) -> str:
        """What a cursor is bound to: the route, its path parameters and the caller (a cursor
        from another list or another caller is refused)."""
        owner = self.principal.subject if self.principal else "anonymous"
        params = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.route.name}|{params}|{owner}"

    def position(self) -> dict[str, Any] | None:
        """Where the requested page starts, read from the request the surface's way."""
        return self._surface().position(self)

    def page(self, items: list[Any], position: dict[str, Any] | None) -> Reply:
        """A page of items and where the next starts, in the surface's page shape."""
        return self._surface().page(self, items, position)

    def _surface(self) -> Surface:
        if self.surface is None:
            raise RuntimeError("this call was not made by a surface")
        return self.surface


# Every API answer is private to its caller and JSON only: never cached by a browser
# or a proxy (tokens, secrets, personal data), never sniffed as another type.
# (app.py's middleware adds Referrer-Policy, HSTS and CORS to every answer; these are also on
# the answers the local runtime makes without it: unknown paths, Disqus preflights.)
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def response_headers(request_id: str, content_type: str = "application/json") -> dict[str, str]:
    return {"Content-Type": content_type, "X-Request-Id": request_id, **SECURITY_HEADERS}


def json_response(body: Any, status: int, headers: dict[str, str]) -> Response:
    return Response(
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False), status_code=status, headers=headers
    )


def surface_for_path(path: str) -> type[Surface] | None:
    """The surface whose prefixes own this path (the longest match), for 404/405 answers."""
    owners = [
        (len(prefix), cls)
        for cls in SURFACES
        for prefix in cls.prefixes
        if path == prefix or path.startswith(prefix.rstrip("/") + "/")
    ]
    return max(owners, key=lambda owner: owner[0])[1] if owners else None


class Surface:
    """One API surface: how its callers authenticate, how its requests are read and how its
    results, pages and errors look on the wire. Subclasses implement the hooks below; the
    pipeline (``route``, ``_dispatch``, idempotency, logging) is shared."""

    name = "surface"
    # Paths this surface answers (404 for an unknown path, 405 for a wrong method).
    prefixes: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.prefixes:
            SURFACES.append(cls)

    def __init__(self, blueprint: Blueprint, tag: str):
        self.blueprint = blueprint
        self.tag = tag

    # -- hooks -------------------------------------------------------------------------
    def default_callers(self, method: str, path: str, scope: str | None) -> tuple[str, ...]:
        """Who may call a route that does not list its callers: users' tokens of every kind
        (a session-only route: sessions). Surfaces with other callers override it."""
        if scope == scopes.SESSION:
            return (SESSION,)
        return (SESSION, API_TOKEN, OAUTH)

    def authenticate(self, spec: RouteSpec, request: Any) -> Principal:
        """The caller of an authenticated route (raises the surface's auth errors)."""
        raise NotImplementedError

    def parse_body(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
        raise NotImplementedError

    def parse_query(self, spec: RouteSpec, request: Any) -> dict[str, Any]:
        raise NotImplementedError

    def position(self, call: Call) -> dict[str, Any] | None:
        raise NotImplementedError

    def page(self, call: Call, items: list[Any], position: dict[str, Any] | None) -> Reply:
        raise NotImplementedError

    def render(self, reply: Reply, request_id: str) -> Response:
        raise NotImplementedError

    def render_error(self, exc: DisquaError, request_id: str) -> Response:
        raise NotImplementedError

    @classmethod
    def not_found(cls, request_id: str) -> Response:
        """A path under this surface's prefixes that matches no route."""
        raise NotImplementedError

    @classmethod
    def method_not_allowed(cls, allowed: str, request_id: str) -> Response:
        """A known path with a method it does not have (``allowed`` for the Allow header)."""
        raise NotImplementedError

    # -- declaring ---------------------------------------------------------------------
    def route(
        self,
        path: str,
        method: str,
        *,
        summary: str,
        scope: str | None = None,
        auth: bool = True,
        body: Obj | None = None,
        query: Obj | None = None,
        status: int = 200,
        params: dict[str, Field] | None = None,
        idempotent: bool = True,
        limit: str | None = None,
        limit_by: str | None = None,
        errors: tuple[int, ...] = (),
        callers: tuple[str, ...] | None = None,
    ) -> Callable[[Callable[[Call], Any]], Callable[..., Response]]:
        """Declare a route. Path parameters are ids unless ``params`` says otherwise.

        An authenticated route must say what a token needs (``scope``: a scope,
        ``scopes.SESSION`` or ``scopes.ANY_TOKEN``); the pipeline enforces it, and who may
        call it (``callers``, by default the surface's ``default_callers``).
        ``limit`` is its rate-limit class: by default an anonymous non-GET route is
        ``auth``, a GET ``read``, anything else ``write``."""
        from chalicelib.services import rate_limits

        limit = limit or default_limit(method, auth)
        if limit not in rate_limits.RULES:
            raise TypeError(f"{method} {path}: unknown rate-limit class {limit!r}")
        if auth and scope is None:
            raise TypeError(f"{method} {path}: an authenticated route must declare its scope")
        if not auth and scope is not None:
            raise TypeError(f"{method} {path}: an anonymous route has no scope")
        if callers is None:
            callers = self.default_callers(method, path, scope) if auth else (ANONYMOUS,)
        if not callers or set(callers) - set(CALLERS) or (ANONYMOUS in callers) == auth:
            raise TypeError(f"{method} {path}: callers {callers!r} do not fit (auth={auth})")

        def decorator(handler: Callable[[Call], Any]) -> Callable[..., Response]:
            names = re.findall(r"{(\w+)}", path)
            declared = {name: (params or {}).get(name, _PATH_ID) for name in names}
            spec = RouteSpec(
                self.name,
                method,
                path,
                handler.__name__,
                summary,
                scope,
                auth,
                body,
                query,
                status,
                self.tag,
                declared,
                idempotent,
                limit,
                limit_by,
                errors,
                tuple(callers),
            )
            ROUTES.append(spec)

            @functools.wraps(handler)
            def view(**params: str) -> Response:
                return self._dispatch(spec, handler, params)

            # Every media type reaches the pipeline, which answers a wrong one in the
            # envelope (Chalice's own 415 is not).
            self.blueprint.route(path, methods=[method], content_types=["*/*"])(view)
            return view

        return decorator

    # -- handling ----------------------------------------------------------------------
    def _dispatch(self, spec: RouteSpec, handler: Callable[[Call], Any], params: dict[str, str]) -> Response:
        from chalicelib.services import authz

        request = self.blueprint.current_request
        request_id = f"req_{new_id()}"
        started = time.perf_counter()
        status = 500
        principal: Principal | None = None
        admission: Any = None
        try:
            if spec.auth:
                principal = self.authenticate(spec, request)
                authz.require_caller(principal, spec.callers)
                authz.require_route(principal, spec.scope or "")
            call = Call(
                request_id=request_id,
                route=spec,
                principal=principal,
                params={name: spec.params[name].clean(value, name) for name, value in params.items()},
                body=self.parse_body(spec, request),
                query=self.parse_query(spec, request),
                client_ip=client_address(request),
                user_agent=(header(request, "user-agent") or "")[:256],
                surface=self,
                headers={str(k).lower(): str(v) for k, v in (request.headers or {}).items()},
            )
            admission = _admit(spec, call)
            response = self._run_idempotently(spec, handler, call, request)
        except DisquaError as exc:
            response = self.render_error(exc, request_id)
        except Exception:
            logger().exception("unhandled error", extra={"requestId": request_id, "route": spec.path})
            response = self.render_error(DisquaError(), request_id)
        if admission is not None:  # every answer of a limited request says where it stands
            response.headers.update(admission.headers())
        status = response.status_code
        logger().info(
            "request",
            extra={
                "requestId": request_id,
                "method": spec.method,
                "route": spec.path,
                "surface": spec.surface,
                "status": status,
                "latencyMs": round((time.perf_counter() - started) * 1000, 1),
                "userId": principal.user_id if principal else None,
            },
        )
        return response

    def _run_idempotently(self, spec: RouteSpec, handler: Callable[[Call], Any], call: Call, request: Any) -> Response:
        key = header(request, IDEMPOTENCY_HEADER)
        if spec.method != "POST" or key is None or not spec.idempotent:
            return self.render(_as_reply(handler(call), spec), call.request_id)

        from chalicelib.services import idempotency

        key = IDEMPOTENCY_KEY.clean(key, "Idempotency-Key")
        # A key belongs to its caller; what it stands for is the whole request: the
        # route, its path parameters and the body. The same key on another channel,
        # message or workspace is a mismatch, never a replay of the first answer.
        scope = call.principal.subject if call.principal else f"ip:{call.client_ip}"
        request_hash = _fingerprint(spec, call.params, raw_body(request))
        previous = idempotency.begin(scope, key, request_hash)
        if previous is not None:
            headers = {**previous["headers"], "X-Request-Id": call.request_id, REPLAY_HEADER: "true"}
            return Response(body=previous["body"], status_code=previous["status"], headers=headers)
        try:
            reply = _as_reply(handler(call), spec)
        except BaseException:
            idempotency.release(scope, key)  # nothing was done: the client may retry
            raise
        response = self.render(reply, call.request_id)
        stored = self.render(reply.without_secrets(), call.request_id) if reply.secrets else response
        body = stored.body if isinstance(stored.body, str) else json.dumps(stored.body)
        headers = {k: v for k, v in stored.headers.items() if k != "X-Request-Id"}
        idempotency.finish(scope, key, request_hash, {"status": stored.status_code, "body": body, "headers": headers})
        return response


def default_limit(method: str, auth: bool) -> str:
    if method == "GET":
        return "read"
    return "write" if auth else "auth"


def _admit(spec: RouteSpec, call: Call) -> Any:
    """Count the call against its route's rate limit (raises RateLimited when full)."""
    from chalicelib.services import rate_limits

    resource = None
    if spec.limit_by:
        value = call.params.get(spec.limit_by) or call.query.get(spec.limit_by) or call.body.get(spec.limit_by)
        if isinstance(value, list):  # a Disqus argument: every value given
            value = value[0] if value else None
        resource = str(value)[:200] if value else None
    return rate_limits.admit(spec.limit, call.principal, call.client_ip, resource)


def _fingerprint(spec: RouteSpec, params: dict[str, str], body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (spec.surface, spec.method, spec.path, json.dumps(params, sort_keys=True)):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _as_reply(result: Any, spec: RouteSpec) -> Reply:
    if isinstance(result, Reply):
        return result
    return Reply(result, status=spec.status)
