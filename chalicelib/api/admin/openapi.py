"""The Admin v2 surface in the OpenAPI document (tools/openapi.py asks this module): its
operations take an Admin Access Token, bodies form-encoded or JSON (the same schema), answer
side-loaded bundles with ``paging`` on lists, and errors in one shape; its ``{proxy+}``
catch-all answers unknown paths in that shape."""

from __future__ import annotations

from typing import Any

from chalicelib.api.admin.surface import METHODS, PREFIX, AdminSurface
from chalicelib.api.routing import idempotency_parameter

SURFACE = AdminSurface.name
TAG = "Admin v2"
SECURITY_SCHEMES = {
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An Admin Access Token: a workspace API token (dqa_) whose scopes include admin, "
        "minted by an owner or admin with POST /v1/workspaces/{id}/tokens (docs/admin-v2.md).",
    }
}
_ARRAY = {"type": "array", "items": {"type": "object"}}
SCHEMAS = {
    "AdminError": {
        "type": "object",
        "required": ["status", "code", "type", "message", "requestId"],
        "properties": {
            "status": {"const": "error"},
            "code": {"type": "integer", "description": "The HTTP status"},
            "type": {"type": "string", "description": "E_VALIDATION, E_CONFLICT, ... (docs/admin-v2.md)"},
            "message": {"type": "string"},
            "field": {"type": ["string", "null"], "description": "As the client wrote it: options[token]"},
            "requestId": {"type": "string"},
        },
    },
    "AdminChannelBundle": {
        "type": "object",
        "required": ["channels", "channelUsers", "messagePreviews", "users", "files"],
        "properties": {
            "channels": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "channelId": {"type": "string"},
                        "type": {"enum": ["standard", "private"]},
                        "displayName": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "metadata": {"type": "object"},
                        "memberCount": {"type": "integer"},
                        "messageCount": {"type": ["integer", "null"]},
                        "isMuted": {"type": "boolean"},
                        "muteTimeout": {"type": ["string", "null"], "format": "date-time"},
                        "isDeleted": {"type": "boolean"},
                        "createdAt": {"type": "string"},
                        "updatedAt": {"type": "string"},
                        "v1ChannelId": {"type": "string"},
                    },
                },
            },
            "channelUsers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "userId": {"type": "string"},
                        "channelId": {"type": "string"},
                        "membership": {"enum": ["none", "member", "banned"]},
                        "roles": {"type": "array", "items": {"type": "string"}},
                        "isBanned": {"type": "boolean"},
                        "isMuted": {"type": "boolean"},
                        "muteTimeout": {"type": ["string", "null"], "format": "date-time"},
                    },
                },
            },
            "messagePreviews": _ARRAY,
            "users": _ARRAY,
            "files": _ARRAY,
            "paging": {
                "type": "object",
                "description": "Lists only: pass a token back as options[token]",
                "properties": {"next": {"type": ["string", "null"]}, "previous": {"type": ["string", "null"]}},
            },
        },
    },
}
SCHEMAS["AdminRecordBundle"] = {
    "type": "object",
    "required": ["records"],
    "properties": {
        "records": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "ruleId": {"type": "string"},
                    "list": {"enum": ["blacklist", "whitelist"]},
                    "regex": {"type": "string", "description": "The RE2 pattern, or the whitelisted domain"},
                    "isMatchExactWord": {"type": "boolean"},
                    "createdBy": {"type": "string"},
                    "createdAt": {"type": "string"},
                    "updatedAt": {"type": ["string", "null"]},
                },
            },
        },
        "paging": SCHEMAS["AdminChannelBundle"]["properties"]["paging"],
    },
}
_PERMISSIONS = ("delete_any_message", "post_in_muted_channel")  # services/roles.PERMISSIONS
SCHEMAS["AdminUserBundle"] = {
    "type": "object",
    "required": ["users", "files"],
    "properties": {
        "users": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "userId": {"type": "string"},
                    "displayName": {"type": "string", "description": "The workspace's, else the account's"},
                    "username": {"type": "string"},
                    "avatarUrl": {"type": ["string", "null"]},
                    "metadata": {"type": "object"},
                    "roles": {"type": "array", "items": {"type": "string"}, "description": "Admin v2 role names"},
                    "workspaceRole": {"enum": ["member", "admin", "owner"]},
                    "flagCount": {"type": "integer", "description": "Members who flagged this user here"},
                    "isGlobalBan": {"type": "boolean"},
                    "bannedAt": {"type": ["string", "null"]},
                    "createdAt": {"type": "string"},
                    "joinedAt": {"type": "string"},
                },
            },
        },
        "files": _ARRAY,
        "paging": {
            "type": "object",
            "description": "GET /api/v2/users only: pass a token back as pageToken",
            "properties": {"next": {"type": ["string", "null"]}, "previous": {"type": ["string", "null"]}},
        },
    },
}
SCHEMAS["AdminRoleList"] = {
    "type": "object",
    "required": ["roles"],
    "properties": {
        "roles": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "roleId": {"type": "string", "description": "The role's name (publicIds)"},
                    "permissions": {"type": "array", "items": {"enum": list(_PERMISSIONS)}},
                    "updatedAt": {"type": "string"},
                },
            },
        }
    },
}
# Which bundle a route answers, by path prefix (the channel bundle otherwise).
BUNDLES = {
    f"{PREFIX}/users": ("AdminUserBundle", "The user bundle"),
    f"{PREFIX}/roles": ("AdminRoleList", "The roles"),
    f"{PREFIX}/blacklist/": ("AdminRecordBundle", "The record bundle"),
    f"{PREFIX}/whitelist/": ("AdminRecordBundle", "The record bundle"),
}
# Callables (route, operation) -> None that adjust an operation (registered by route modules).
ADJUSTMENTS: list[Any] = []
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdminError"}}}}
ERROR_SHAPE = _ERROR  # tools/openapi.py: the shared 429 answer
_ERRORS = {
    "400": "E_VALIDATION (the field named as sent: userIds[1], options[token])",
    "401": "E_AUTHN_INVALID_TOKEN: no token, a bad one, or not an API token",
    "403": "E_AUTHZ_INSUFFICIENT_SCOPE (no admin scope) / E_AUTHZ_FORBIDDEN (creator no longer admin) / "
    "E_USER_BANNED (the creator is globally banned)",
    "404": "E_NOT_FOUND",
    "409": "E_CONFLICT (channelId taken) / E_IDEMPOTENCY_IN_PROGRESS",
    "413": "E_VALIDATION (body too large)",
    "415": "E_UNSUPPORTED_MEDIA_TYPE: bodies are form-encoded or JSON, UTF-8",
    "422": "E_IDEMPOTENCY_MISMATCH",
}


def _form_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The body as a form, for the fields a plain form encoding carries: object fields
    (options, metadata) take key[sub]=v there, which generic form encoders do not write, so
    the form's schema leaves them to JSON (None: a required one, JSON only)."""
    properties = schema.get("properties", {})
    nested = {name for name, prop in properties.items() if prop.get("type") in ("object", ["object", "null"])}
    if not nested:
        return schema
    if nested & set(schema.get("required", [])):
        return None
    return {**schema, "properties": {k: v for k, v in properties.items() if k not in nested}}


def operation(route: Any, scope_words: str) -> dict[str, Any]:
    # A route without fields takes none: an empty object (any field is refused).
    schema = route.body.json_schema() if route.body else {"type": "object", "maxProperties": 0}
    form = _form_schema(schema)
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": field.json_schema()}
        for name, field in route.params.items()
    ]
    if route.method == "POST" and route.idempotent:
        parameters.append(idempotency_parameter())
    name, words = next(
        (found for prefix, found in BUNDLES.items() if route.path.startswith(prefix)),
        ("AdminChannelBundle", "The channel bundle"),
    )
    bundle = {"$ref": f"#/components/schemas/{name}"}
    made = {
        "operationId": f"{SURFACE}_{route.name}",
        "summary": route.summary,
        "tags": [TAG],
        "security": [{"adminToken": []}],
        "x-disqua-scope": scope_words,
        "parameters": parameters,
        "requestBody": {
            "required": bool(schema.get("required")),
            "description": "Form-encoded (arrays: repeated keys or key[]; objects: key[sub]=v or a JSON string) "
            "or JSON; fields may also come in the query string",
            "content": {
                **({"application/x-www-form-urlencoded": {"schema": form}} if form is not None else {}),
                "application/json": {"schema": schema},
            },
        },
        "responses": {
            "200": {"description": words, "content": {"application/json": {"schema": bundle}}},
            **{status: {"description": words, **_ERROR} for status, words in _ERRORS.items()},
        },
    }
    for adjust in ADJUSTMENTS:  # what other modules say of their routes (message_schemas: multipart, bytes)
        adjust(route, made)
    return made


def catch_all_paths() -> dict[str, Any]:
    """Every other path under /api/v2: 404 in the Admin v2 error shape."""
    return {
        f"{PREFIX}/{{proxy+}}": {
            method.lower(): {
                "operationId": f"{SURFACE}_unknown_{method.lower()}",
                "summary": "No Admin v2 route: 404 E_NOT_FOUND in the Admin v2 error shape",
                "tags": [TAG],
                "security": [],
                "parameters": [{"name": "proxy+", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"404": {"description": "E_NOT_FOUND", **_ERROR}},
            }
            for method in METHODS
        }
    }
