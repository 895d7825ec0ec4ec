"""Generate the OpenAPI 3.1 document from the route declarations (chalicelib/api).

`make openapi` writes docs/openapi.json; a test fails when it is out of date, so the
document always matches the routes.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from typing import Any

from chalicelib.auth import scopes


def _error_classes() -> list[type]:
    """Every DisquaError kind that reaches the v1 envelope (the Disqus surface's own errors
    answer in its envelope), for the error codes and their statuses."""
    import app  # noqa: F401 - imports every module that defines an error
    from chalicelib.errors import DisquaError

    found, todo = [], [DisquaError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__module__.startswith("chalicelib.api.disqus"):
            found.append(cls)
    return sorted(found, key=lambda cls: cls.code)


@functools.cache
def error_codes() -> dict[int, str]:
    """Each status and the error codes it carries."""
    by_status: dict[int, set[str]] = {}
    for cls in _error_classes():
        by_status.setdefault(cls.status, set()).add(cls.code)
    return {status: " / ".join(sorted(codes)) for status, codes in by_status.items()}


# Route requirements that are not token scopes, in words for the document.
_SCOPE_WORDS = {
    scopes.SESSION: "session (a login session; API tokens may not)",
    scopes.ANY_TOKEN: "any (any token of the workspace)",
}


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": error_codes()[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_RATE_HEADERS = {
    "X-RateLimit-Limit": "Requests allowed in the window (when limits are on: every stage but local)",
    "X-RateLimit-Remaining": "Requests left in the window",
    "X-RateLimit-Reset": "When the window ends, epoch seconds",
}


def _rate_limited(operation: dict[str, Any], route: Any) -> dict[str, Any]:
    """Every route has a rate-limit class (README.md, "Rate limits"): its figures, the
    X-RateLimit-* headers on its answers, and the 429 (the app's, in the surface's error
    shape, with Retry-After; API Gateway's stage throttling answers 429 E_RATE_LIMIT in the
    v1 envelope on any route). The Disqus surface answers its own limits with HTTP 400 and
    code 13 (a resource's) or 14 (the caller's), as Disqus does."""
    from chalicelib.api.disqus import openapi as disqus_openapi
    from chalicelib.services import rate_limits

    rule = rate_limits.RULES[route.limit]
    operation["x-disqua-callers"] = list(route.callers)  # who may call it (docs/permissions.md)
    counted = "DynamoDB" if rule.shared else "memory"
    operation["x-disqua-rate-limit"] = f"{route.limit}: {rule.limit} per {rule.window} s per {rule.about} ({counted})"
    headers = {name: {"$ref": f"#/components/headers/{name}"} for name in _RATE_HEADERS}
    for status, response in operation["responses"].items():
        if status.startswith("2"):  # error answers carry them too
            response.setdefault("headers", {}).update(headers)
    surface = route.surface if route.surface in (disqus_openapi.SURFACE, "admin") else "v1"
    operation["responses"]["429"] = {"$ref": f"#/components/responses/RateLimited_{surface}"}
    return operation


def _rate_limited_responses(admin_error: dict[str, Any]) -> dict[str, Any]:
    headers = {name: {"$ref": f"#/components/headers/{name}"} for name in ("Retry-After", *_RATE_HEADERS)}
    v1 = _error_response(429)
    return {
        "RateLimited_v1": {**v1, "headers": headers},
        "RateLimited_admin": {**admin_error, "description": error_codes()[429], "headers": headers},
        "RateLimited_disqus": {
            **v1,
            "description": "API Gateway's stage throttling (v1 error envelope). Disqua's own limits answer 400 "
            "with code 13 (a thread's sends) or 14 (the caller's limit), with Retry-After",
            "headers": headers,
        },
    }


# What a v1 create route (201) makes, by the last segment of its path: the path parameter
# that names it elsewhere and where its id is in the answer. The links they give let a
# client (and the fuzzer's stateful phase) use what it just made.
_CREATES = {
    "workspaces": "workspaceId",
    "apps": "appId",
    "channels": "channelId",
    "invites": "inviteId",
    "messages": "messageId",
    "tokens": "tokenId",
    "public-keys": "keyId",
    "webhooks": "webhookId",
    "presign": "fileId",
}


def _add_links(paths: dict[str, Any]) -> None:
    """OpenAPI links from each v1 create route's 201 to every v1 operation taking its id."""
    users: dict[str, list[str]] = {}
    for path, operations in paths.items():
        for operation in operations.values():
            if operation["operationId"].startswith("v1_"):
                for name in re.findall(r"{(\w+)}", path):
                    users.setdefault(name, []).append(operation["operationId"])
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        param = _CREATES.get(path.rsplit("/", 1)[-1])
        if created is None or param is None or not operations["post"]["operationId"].startswith("v1_"):
            continue
        pointer = "/data/fileId" if param == "fileId" else "/data/id"
        created["links"] = {
            target.removeprefix("v1_"): {"operationId": target, "parameters": {param: f"$response.body#{pointer}"}}
            for target in sorted(users.get(param, []))
        }


def _shape(route: Any) -> str:
    """A route that takes a cursor answers a page (a list and where the next starts)."""
    return "Page" if route.query and "cursor" in route.query.fields else "Envelope"


def _names_a_resource(route: Any) -> bool:
    """A body or query field that is an id names something that may not exist (404)."""
    from chalicelib.http.schema import Id, List

    fields = [
        *(route.body.fields.values() if route.body else ()),
        *(route.query.fields.values() if route.query else ()),
    ]
    return any(isinstance(f, Id) or (isinstance(f, List) and isinstance(f.item, Id)) for f in fields)


def build() -> dict[str, Any]:
    import app  # noqa: F401 - registers every route
    from chalicelib.api.admin import openapi as admin_openapi
    from chalicelib.api.disqus import openapi as disqus_openapi
    from chalicelib.api.routing import ROUTES, idempotency_parameter

    paths: dict[str, Any] = {}
    for route in ROUTES:
        if route.surface == disqus_openapi.SURFACE:  # keys as arguments, Disqus's envelope
            words = _SCOPE_WORDS.get(route.scope or "", route.scope or "")
            operation = disqus_openapi.operation(route, words)
            paths.setdefault(route.path, {})[route.method.lower()] = _rate_limited(operation, route)
            continue
        if route.surface == admin_openapi.SURFACE:  # Admin Access Tokens, form or JSON, bundles
            words = _SCOPE_WORDS.get(route.scope or "", route.scope or "")
            operation = admin_openapi.operation(route, words)
            paths.setdefault(route.path, {})[route.method.lower()] = _rate_limited(operation, route)
            continue
        operation: dict[str, Any] = {
            "operationId": f"{route.surface}_{route.name}",
            "summary": route.summary,
            "tags": [route.tag],
            "responses": {
                str(route.status): (
                    {"description": "No content"}
                    if route.status == 204
                    else {
                        "description": "Success",
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{_shape(route)}"}}},
                    }
                ),
                # any route reads (and bounds) a body sent to it: 413 everywhere
                **{str(code): _error_response(code) for code in (400, 413)},
            },
        }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": field.json_schema()}
            for name, field in route.params.items()
        ]
        if route.query:
            schema = route.query.json_schema()
            for name, prop in schema["properties"].items():
                parameters.append(
                    {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
                )
        if route.method == "POST":
            parameters.append(idempotency_parameter())
            operation["responses"]["409"] = _error_response(409)
            operation["responses"]["422"] = _error_response(422)
        if parameters:
            operation["parameters"] = parameters
        if route.body:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.body.json_schema()}},
            }
        if route.auth:
            operation["security"] = [{"bearer": []}]
            operation["responses"]["401"] = _error_response(401)
            operation["responses"]["403"] = _error_response(403)
            operation["x-disqua-scope"] = _SCOPE_WORDS.get(route.scope or "", route.scope)
        else:
            operation["security"] = []
        if "{" in route.path or _names_a_resource(route):
            operation["responses"]["404"] = _error_response(404)
        for code in route.errors:
            operation["responses"][str(code)] = _error_response(code)
        paths.setdefault(route.path, {})[route.method.lower()] = _rate_limited(operation, route)
    from chalicelib.api.oauth import openapi as oauth_openapi

    paths.update(oauth_openapi.paths())  # OAuth's own wire format, not Surface routes
    paths.update(disqus_openapi.catch_all_paths())
    paths.update(admin_openapi.catch_all_paths())
    disqus_openapi.add_preflights(paths)
    _add_links(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Disqua API",
            "version": "1.0.0",
            "description": "Disqua API v1. Generated from the route declarations by tools/openapi.py.",
        },
        "servers": [{"url": "https://api.disqua.com"}, {"url": "http://127.0.0.1:8000", "description": "make run"}],
        "components": {
            "responses": _rate_limited_responses(admin_openapi.ERROR_SHAPE),
            "headers": {
                name: {"description": words, "schema": {"type": "integer"}}
                for name, words in {**_RATE_HEADERS, "Retry-After": "Seconds to wait before trying again"}.items()
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token (dqt_..., 15 min) or a workspace API token (dqa_...).",
                },
                **disqus_openapi.SECURITY_SCHEMES,
                **admin_openapi.SECURITY_SCHEMES,
            },
            "schemas": {
                **disqus_openapi.SCHEMAS,
                **admin_openapi.SCHEMAS,
                "Envelope": {
                    "type": "object",
                    "required": ["ok", "data"],
                    "additionalProperties": False,
                    "properties": {"ok": {"const": True}, "data": {"type": "object"}},
                },
                "Page": {
                    "type": "object",
                    "required": ["ok", "data", "pagination"],
                    "additionalProperties": False,
                    "properties": {
                        "ok": {"const": True},
                        "data": {
                            "anyOf": [
                                {"type": "array", "items": {"type": "object"}},
                                {
                                    "description": "A thread: its parent and a page of replies",
                                    "type": "object",
                                    "required": ["parent", "replies"],
                                    "properties": {
                                        "parent": {"type": "object"},
                                        "replies": {"type": "array", "items": {"type": "object"}},
                                    },
                                },
                            ]
                        },
                        "pagination": {
                            "type": "object",
                            "required": ["hasMore", "nextCursor"],
                            "additionalProperties": False,
                            "properties": {
                                "hasMore": {"type": "boolean"},
                                "nextCursor": {
                                    "type": ["string", "null"],
                                    "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
                                },
                            },
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["ok", "error"],
                    "properties": {
                        "ok": {"const": False},
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "requestId"],
                            "properties": {
                                "code": {"enum": sorted({cls.code for cls in _error_classes()})},
                                "message": {"type": "string"},
                                "requestId": {"type": "string"},
                                "field": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
        "paths": dict(sorted(paths.items())),
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
