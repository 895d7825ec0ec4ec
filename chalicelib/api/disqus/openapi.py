"""The Disqus 3.0 surface in the OpenAPI document (tools/openapi.py asks this module): its
operations take keys as arguments and answer in Disqus's envelope, and its catch-all paths
answer code 1 (or HTTP 415 for an unknown format). Every path has its CORS preflight (OPTIONS)."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.api.disqus.surface import ENDPOINT_ARGUMENTS, METHODS, PREFIX, DisqusSurface, path_format

SURFACE = DisqusSurface.name
_ENVELOPE = {"$ref": "#/components/schemas/DisqusEnvelope"}
_ERROR = {
    "description": "Disqus error envelope {code, response} (codes and statuses: docs/disqus.md)",
    "content": {"application/json": {"schema": _ENVELOPE}},
}
# A .jsonp endpoint wraps its errors in the callback too (JSON without one).
_JSONP_ERROR = {
    "description": _ERROR["description"],
    "content": {**_ERROR["content"], "application/javascript": {"schema": {"type": "string"}}},
}
_KEYS = (
    ("api_key", "A public key (dqp_): GET only, from one of its domains (Origin or Referer)"),
    ("api_secret", "A workspace API token (dqa_) with comments:read"),
    ("access_token", "A user's access token (dqt_); or Authorization: Bearer"),
)
SECURITY_SCHEMES = {
    name: {"type": "apiKey", "in": "query", "name": name, "description": words} for name, words in _KEYS
}
SCHEMAS = {
    "DisqusEnvelope": {
        "type": "object",
        "required": ["code", "response"],
        "properties": {
            "code": {"type": "integer", "minimum": 0, "maximum": 24},
            "response": {},
            "cursor": {
                "type": "object",
                "properties": {
                    "prev": {"type": ["string", "null"]},
                    "next": {"type": "string"},
                    "hasPrev": {"type": "boolean"},
                    "hasNext": {"type": "boolean"},
                    "id": {"type": "string"},
                    "more": {"type": "boolean"},
                    "total": {"type": ["integer", "null"]},
                },
            },
        },
    }
}
_CONTENT = {
    "json": {"application/json": {"schema": _ENVELOPE}},
    "jsonp": {"application/javascript": {"schema": {"type": "string"}}},
    "rss": {"application/rss+xml": {"schema": {"type": "string"}}},
}


def operation(route: Any, scope_words: str) -> dict[str, Any]:
    fmt = path_format(route.path)
    parameters = [
        {
            "name": name,
            "in": "query",
            "required": words.startswith("required"),
            "schema": {"type": "string"},
            "description": words,
        }
        for name, words in ENDPOINT_ARGUMENTS.get(route.path, {}).items()
    ]
    if fmt == "jsonp":
        parameters.append(
            {"name": "callback", "in": "query", "required": False, "schema": {"type": "string"}, "description": "JSONP"}
        )
    security = [{"api_key": []}, {"api_secret": []}, {"access_token": []}]
    return {
        "operationId": f"{SURFACE}_{route.name}_{fmt}",
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": parameters,
        "security": security if fmt != "jsonp" else [{"api_key": []}],
        "x-disqua-scope": scope_words,
        "responses": {
            "200": {"description": "Success (code 0)", "content": _CONTENT[fmt]},
            **{status: _JSONP_ERROR if fmt == "jsonp" else _ERROR for status in ("400", "401", "403", "500")},
        },
    }


def catch_all_paths() -> dict[str, Any]:
    """Every other path under /api/3.0: code 1, or HTTP 415 for an unknown format."""
    answers = {"400": {**_ERROR, "description": "Code 1: no such endpoint"}, "415": _ERROR}
    paths: dict[str, Any] = {}
    shapes = ((f"{PREFIX}/{{resource}}/{{verb}}", ("resource", "verb")), (f"{PREFIX}/{{proxy+}}", ("proxy+",)))
    for path, params in shapes:
        paths[path] = {
            method.lower(): {
                "operationId": f"{SURFACE}_unknown_{'any' if params == ('proxy+',) else 'endpoint'}_{method.lower()}",
                "summary": "An endpoint's bare {resource}/{verb} answers as its .json; "
                "anything else: no such endpoint (code 1) or format (HTTP 415)",
                "tags": ["Disqus 3.0"],
                "security": [],
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in params
                ],
                "responses": answers,
            }
            for method in METHODS
        }
    return paths


def add_preflights(paths: dict[str, Any]) -> None:
    """OPTIONS on every /api/3.0 path: the CORS preflight (surface.preflight_response)."""
    for path, operations in paths.items():
        if not path.startswith(PREFIX + "/"):
            continue
        name = path.removeprefix(PREFIX + "/").replace("/", "_").replace(".", "_").strip("{}+").replace("}_{", "_")
        operations["options"] = {
            "operationId": f"{SURFACE}_preflight_{name}",
            "summary": "CORS preflight: 204, GET and POST with Authorization and Content-Type, any http(s) Origin",
            "tags": ["Disqus 3.0"],
            "security": [],
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"{([\w+]+)}", path)
            ],
            "responses": {"204": {"description": "Preflight answered (no body)"}},
        }
