"""Bad input gets a clear error in the envelope, never a 500: one row per case."""

import json

import pytest

from tests.helpers import create_workspace, register

FOREIGN_ID = "01a2088c-37fa-72c1-8671-8ba9a11937e0"


@pytest.fixture
def world(api):
    owner = register(api, "jane")
    return {"token": owner.access_token, "ws": create_workspace(api, owner)["id"]}


CASES = [
    # (id, method, path, body or raw text, headers, expected status, code, field)
    ("malformed json", "POST", "/v1/workspaces", "{bad", {}, 400, "E_VALIDATION", "body"),
    ("json array", "POST", "/v1/workspaces", "[]", {}, 400, "E_VALIDATION", "body"),
    ("json string", "POST", "/v1/workspaces", '"Acme"', {}, 400, "E_VALIDATION", "body"),
    ("not utf-8", "POST", "/v1/workspaces", b"\xff\xfe{", {}, 400, "E_VALIDATION", "body"),
    ("missing field", "POST", "/v1/workspaces", {}, {}, 400, "E_VALIDATION", "name"),
    ("wrong type", "POST", "/v1/workspaces", {"name": 42}, {}, 400, "E_VALIDATION", "name"),
    ("null field", "POST", "/v1/workspaces", {"name": None}, {}, 400, "E_VALIDATION", "name"),
    ("unknown field", "POST", "/v1/workspaces", {"name": "A", "owner": "me"}, {}, 400, "E_VALIDATION", "owner"),
    ("too long", "POST", "/v1/workspaces", {"name": "x" * 81}, {}, 400, "E_VALIDATION", "name"),
    ("bad slug", "POST", "/v1/workspaces", {"name": "A", "slug": "Bad Slug!"}, {}, 400, "E_VALIDATION", "slug"),
    ("oversize body", "POST", "/v1/workspaces", {"name": "x" * 300_000}, {}, 413, "E_VALIDATION", "body"),
    ("body on GET", "GET", "/v1/users/me", {"x": 1}, {}, 400, "E_VALIDATION", "body"),
    ("unknown query", "GET", "/v1/users/me?debug=1", None, {}, 400, "E_VALIDATION", "debug"),
    ("repeated query", "GET", "/v1/workspaces?limit=1&limit=2", None, {}, 400, "E_VALIDATION", "limit"),
    ("limit zero", "GET", "/v1/workspaces?limit=0", None, {}, 400, "E_VALIDATION", "limit"),
    ("limit huge", "GET", "/v1/workspaces?limit=1000", None, {}, 400, "E_VALIDATION", "limit"),
    ("bad cursor", "GET", "/v1/workspaces?cursor=abc", None, {}, 400, "E_VALIDATION", "cursor"),
    ("malformed id", "GET", "/v1/workspaces/123", None, {}, 400, "E_VALIDATION", "workspaceId"),
    ("foreign id", "GET", f"/v1/workspaces/{FOREIGN_ID}", None, {}, 404, "E_NOT_FOUND", None),
    ("bad token", "GET", "/v1/users/me", None, {"Authorization": "Bearer dqt_x"}, 401, "E_AUTHN_INVALID_TOKEN", None),
    ("no token", "GET", "/v1/users/me", None, {"Authorization": ""}, 401, "E_AUTHN_INVALID_TOKEN", None),
    ("wrong method", "PUT", "/v1/workspaces", None, {}, 405, "E_METHOD_NOT_ALLOWED", None),
    (
        "bad email",
        "POST",
        "/v1/auth/register",
        {"email": "x", "password": "12345678", "username": "abc", "displayName": "A"},
        {},
        400,
        "E_VALIDATION",
        "email",
    ),
    (
        "short password",
        "POST",
        "/v1/auth/register",
        {"email": "a@b.co", "password": "1234567", "username": "abc", "displayName": "A"},
        {},
        400,
        "E_VALIDATION",
        "password",
    ),
    (
        "short username",
        "POST",
        "/v1/auth/register",
        {"email": "a@b.co", "password": "12345678", "username": "ab", "displayName": "A"},
        {},
        400,
        "E_VALIDATION",
        "username",
    ),
    (
        "bad username",
        "POST",
        "/v1/auth/register",
        {"email": "a@b.co", "password": "12345678", "username": "a b!", "displayName": "A"},
        {},
        400,
        "E_VALIDATION",
        "username",
    ),
    (
        "bad refresh token",
        "POST",
        "/v1/auth/refresh",
        {"refreshToken": "dqr_nope"},
        {},
        401,
        "E_AUTHN_INVALID_TOKEN",
        None,
    ),
    (
        "refresh wrong type",
        "POST",
        "/v1/auth/refresh",
        {"refreshToken": ["x"]},
        {},
        400,
        "E_VALIDATION",
        "refreshToken",
    ),
    ("bad verify token", "GET", "/v1/auth/verify?token=nope", None, {}, 400, "E_VALIDATION", "token"),
    ("logout all not bool", "POST", "/v1/auth/logout", {"all": "yes"}, {}, 400, "E_VALIDATION", "all"),
]


@pytest.mark.parametrize(
    ("method", "path", "payload", "headers", "status", "code", "field"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_input(api, world, method, path, payload, headers, status, code, field):
    sent = {"Authorization": f"Bearer {world['token']}", **headers}
    if not sent["Authorization"]:
        del sent["Authorization"]
    raw = payload if isinstance(payload, (str, bytes)) else (json.dumps(payload) if payload is not None else None)
    answer = api.call(method, path, raw=raw, headers=sent)
    assert answer.status == status, answer.body
    assert answer.body["ok"] is False
    assert answer.error["code"] == code
    assert answer.error.get("field") == field
    assert answer.error["requestId"].startswith("req_")
    assert answer.headers["X-Request-Id"] == answer.error["requestId"]
