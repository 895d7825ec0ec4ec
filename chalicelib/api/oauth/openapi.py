"""The OAuth endpoints in the OpenAPI document (they are not ``Surface`` routes, so
tools/openapi.py takes their description from here)."""

from __future__ import annotations

from typing import Any

_FORM = "application/x-www-form-urlencoded"
_OAUTH_ERROR = {
    "description": "RFC 6749 5.2 error (invalid_request, invalid_client, invalid_grant, "
    "unsupported_grant_type, invalid_scope); invalid_client is 401 with WWW-Authenticate",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
            }
        }
    },
}
_HTML = {"text/html": {"schema": {"type": "string"}}}
_CLIENT_AUTH = {
    "client_id": {"type": "string", "description": "client_secret_post or a public client"},
    "client_secret": {"type": "string", "description": "client_secret_post (or HTTP Basic instead)"},
}
_AUTHORIZE_QUERY = [
    {"name": name, "in": "query", "required": required, "schema": {"type": "string"}, "description": words}
    for name, required, words in (
        ("client_id", True, "The app's client id (dqc_...)"),
        ("redirect_uri", True, "Exactly one of the app's registered redirect URIs"),
        ("response_type", True, "code"),
        ("scope", True, "Space-separated subset of the app's scopes"),
        ("state", False, "Echoed unchanged in the redirect"),
        ("code_challenge", True, "PKCE: BASE64URL(SHA-256(code_verifier))"),
        ("code_challenge_method", True, "S256 (plain is refused)"),
    )
]


def _authorize(method: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"oauth_authorize_{method}",
        "summary": "The authorization page: log in, then consent (HTML)"
        if method == "get"
        else "Submit the login or the consent form",
        "tags": ["OAuth"],
        "security": [],
        "parameters": _AUTHORIZE_QUERY,
        "responses": {
            "200": {"description": "The login or consent page", "content": _HTML},
            "302": {"description": "To redirect_uri with code and state, or error and state"},
            "400": {"description": "Error page: unknown client or unregistered redirect_uri (never redirects)"},
        },
    }
    if method == "post":
        operation["requestBody"] = {
            "required": True,
            "content": {
                _FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["action", "csrf_token"],
                        "properties": {
                            "action": {"enum": ["login", "consent"]},
                            "csrf_token": {"type": "string"},
                            "email": {"type": "string"},
                            "password": {"type": "string"},
                            "workspace_id": {"type": "string"},
                            "decision": {"enum": ["allow", "deny"]},
                        },
                    }
                }
            },
        }
        operation["responses"].update(
            {
                "303": {"description": "Logged in: back to the page (sets the dq_web cookie)"},
                "401": {"description": "Wrong credentials: the login form again", "content": _HTML},
                "403": {"description": "CSRF token missing or wrong", "content": _HTML},
                "429": {"description": "Login throttled: the login form again", "content": _HTML},
            }
        )
    return operation


def paths() -> dict[str, Any]:
    token_body = {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"enum": ["authorization_code", "refresh_token"]},
            "code": {"type": "string"},
            "redirect_uri": {"type": "string"},
            "code_verifier": {"type": "string"},
            "refresh_token": {"type": "string"},
            "scope": {"type": "string", "description": "refresh: a narrower scope for this access token"},
            **_CLIENT_AUTH,
        },
    }
    revoke_body = {
        "type": "object",
        "required": ["token"],
        "properties": {
            "token": {"type": "string"},
            "token_type_hint": {"enum": ["access_token", "refresh_token"]},
            **_CLIENT_AUTH,
        },
    }
    token_response = {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "refresh_token", "scope"],
        "properties": {
            "access_token": {"type": "string", "description": "dqt_..."},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "refresh_token": {"type": "string", "description": "dqr_..., rotated on every use"},
            "scope": {"type": "string"},
        },
    }
    return {
        "/oauth/authorize": {"get": _authorize("get"), "post": _authorize("post")},
        "/oauth/token": {
            "post": {
                "operationId": "oauth_token",
                "summary": "Exchange a code (with its PKCE verifier) or rotate a refresh token",
                "tags": ["OAuth"],
                "security": [],
                "requestBody": {"required": True, "content": {_FORM: {"schema": token_body}}},
                "responses": {
                    "200": {"description": "Tokens", "content": {"application/json": {"schema": token_response}}},
                    "400": _OAUTH_ERROR,
                    "401": _OAUTH_ERROR,
                },
            }
        },
        "/oauth/revoke": {
            "post": {
                "operationId": "oauth_revoke",
                "summary": "Revoke a token's grant (RFC 7009: 200 for unknown tokens too)",
                "tags": ["OAuth"],
                "security": [],
                "requestBody": {"required": True, "content": {_FORM: {"schema": revoke_body}}},
                "responses": {
                    "200": {"description": "Revoked (or nothing to revoke)"},
                    "400": _OAUTH_ERROR,
                    "401": _OAUTH_ERROR,
                },
            }
        },
        "/.well-known/oauth-authorization-server": {
            "get": {
                "operationId": "oauth_metadata",
                "summary": "Authorization server metadata (RFC 8414)",
                "tags": ["OAuth"],
                "security": [],
                "responses": {
                    "200": {"description": "Metadata", "content": {"application/json": {"schema": {"type": "object"}}}}
                },
            }
        },
    }
