"""OWASP API8:2023 Security Misconfiguration.
Token-bearing and personal answers are never cached, and JSON is never sniffed as
another type: both headers on every answer of the pipeline. Issue 8, item 6."""

from __future__ import annotations

import dataclasses
import json
import re
import types
from pathlib import Path

from chalicelib import config
from chalicelib.http import security_headers
from tests.helpers import create_workspace, register

SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _assert_headers(answer, what):
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (what, name, answer.headers)


def test_answers_that_carry_tokens_are_not_stored(api):
    jane = register(api, "jane")
    login = api.post("/v1/auth/login", {"email": jane.email, "password": jane.password})
    _assert_headers(login, "login")
    refresh = api.post("/v1/auth/refresh", {"refreshToken": login.data["refreshToken"]})
    _assert_headers(refresh, "refresh")
    ws = create_workspace(api, jane)
    minted = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "ci", "scopes": ["users:read"]}, token=jane.access_token
    )
    assert minted.status == 201
    _assert_headers(minted, "token minting")


def test_every_kind_of_answer_has_both(api):
    jane = register(api, "jane")
    ws = create_workspace(api, jane)
    answers = {
        "read": api.get(f"/v1/workspaces/{ws['id']}", token=jane.access_token),
        "list": api.get("/v1/workspaces", token=jane.access_token),
        "no content": api.post(f"/v1/channels/{ws['generalChannelId']}/leave", token=jane.access_token),
        "validation error": api.patch("/v1/users/me", {"nope": 1}, token=jane.access_token),
        "auth error": api.get("/v1/users/me", token="dqt_bad"),
        "wrong method": api.call("PUT", "/v1/users/me", {}, token=jane.access_token),
    }
    for what, answer in answers.items():
        _assert_headers(answer, what)


def test_gateway_responses_carry_them_too():
    from infra.merge import gateway_responses

    for response_type, response in gateway_responses().items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Cache-Control"] == "'no-store'" and headers["X-Content-Type-Options"] == "'nosniff'", (
            response_type
        )


# --- every answer, HSTS, CSP on HTML, CORS allowlist (issue 15) ------------------------------


def _header(answer, name):
    return next((v for k, v in answer.headers.items() if k.lower() == name.lower()), None)


def _every_kind_of_answer(api, client):
    """One answer of each producer: each surface's pipeline (success and error), the 405
    fallback, the OAuth server's JSON, its HTML page and metadata, a Disqus preflight."""
    jane = register(api, "jane")
    ws = create_workspace(api, jane)
    raw = {
        "oauth page": client.http.get("/oauth/authorize?client_id=nope"),
        "oauth metadata": client.http.get("/.well-known/oauth-authorization-server"),
        "oauth token error": client.http.post(
            "/oauth/token", headers={"Content-Type": "application/x-www-form-urlencoded"}, body="grant_type=x"
        ),
        "disqus preflight": client.http.options(
            "/api/3.0/posts/list.json", headers={"Origin": "https://blog.example.com"}
        ),
        "disqus error": client.http.get("/api/3.0/posts/list.json"),
        "admin v2 error": client.http.get("/api/v2/users"),
    }
    answers = {
        "v1 read": api.get(f"/v1/workspaces/{ws['id']}", token=jane.access_token),
        "v1 error": api.get("/v1/users/me", token="dqt_bad"),
        "v1 405": api.call("PUT", "/v1/users/me", {}, token=jane.access_token),
        "v1 204": api.post(f"/v1/channels/{ws['generalChannelId']}/leave", token=jane.access_token),
    }
    answers.update(
        {what: types.SimpleNamespace(headers=dict(r.headers), status=r.status_code) for what, r in raw.items()}
    )
    return answers


def test_every_answer_has_nosniff_referrer_policy_and_hsts_off_the_local_stage(api, client):
    """API8, missing hardening headers: every producer of answers (pipeline, fallback, OAuth
    pages and JSON, preflights) says nosniff, no-referrer, and, outside the local stage
    (the tests run as stage "test"), Strict-Transport-Security."""
    for what, answer in _every_kind_of_answer(api, client).items():
        assert _header(answer, "X-Content-Type-Options") == "nosniff", what
        assert _header(answer, "Referrer-Policy") == "no-referrer", what
        assert _header(answer, "Strict-Transport-Security") == security_headers.HSTS, what


def test_no_hsts_on_the_local_stage():
    """The local runtime serves plain http on 127.0.0.1: HSTS there would pin the browser."""
    assert "Strict-Transport-Security" not in security_headers.headers_for("local", "application/json", {})
    assert security_headers.headers_for("dev", "application/json", {})["Strict-Transport-Security"]


def test_html_pages_have_a_strict_content_security_policy(client):
    """API8, an HTML page without CSP (script injection, framing): the OAuth pages keep their
    own strict policy; any other HTML gets one that loads nothing, frames nothing, posts nowhere."""
    page = client.http.get("/oauth/authorize?client_id=nope")
    assert page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
    added = security_headers.headers_for("prod", "text/html; charset=utf-8", {})
    assert added["Content-Security-Policy"] == security_headers.HTML_CSP
    assert "default-src 'none'" in security_headers.HTML_CSP and "form-action 'none'" in security_headers.HTML_CSP


def test_cors_echoes_only_the_stages_allowlist_never_a_wildcard(api, monkeypatch):
    """API8, permissive CORS: v1 answers are readable by the stage's own web apps only
    (.chalice/config.json CORS_ORIGINS), echoed exactly; any other origin gets no CORS
    header; never ``*``, never Allow-Credentials (the API takes Bearer tokens, not cookies)."""
    jane = register(api, "jane")
    allowlisted = dataclasses.replace(config.get_settings(), cors_origins=("https://app.disqua.com",))
    monkeypatch.setattr(security_headers, "_settings", lambda: allowlisted)
    allowed = api.get("/v1/users/me", token=jane.access_token, headers={"Origin": "https://app.disqua.com"})
    assert _header(allowed, "Access-Control-Allow-Origin") == "https://app.disqua.com"
    assert "Origin" in _header(allowed, "Vary")
    for origin in ("https://evil.example", "https://app.disqua.com.evil.example", "null"):
        refused = api.get("/v1/users/me", token=jane.access_token, headers={"Origin": origin})
        assert _header(refused, "Access-Control-Allow-Origin") is None, origin
    assert _header(allowed, "Access-Control-Allow-Credentials") is None


def test_a_wildcard_in_the_allowlist_is_dropped(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://app.disqua.com * https://admin.disqua.com")
    config.reset()
    try:
        assert config.get_settings().cors_origins == ("https://app.disqua.com", "https://admin.disqua.com")
    finally:
        config.reset()


def test_every_stage_declares_an_explicit_cors_allowlist():
    """The allowlist is per stage, in .chalice/config.json: exact https origins outside local."""
    stages = json.loads((Path(__file__).parents[2] / ".chalice" / "config.json").read_text())["stages"]
    for name, stage in stages.items():
        origins = stage["environment_variables"]["CORS_ORIGINS"].split()
        assert origins and "*" not in origins, name
        for origin in origins:
            assert origin.startswith("https://" if name != "local" else ("http://127.0.0.1", "http://localhost")), (
                origin
            )
            assert origin.count("/") == 2, origin  # an origin: no path


def test_disqus_cors_is_the_documented_public_key_exception(client):
    """docs/disqus.md: a public key's pages (its domains) read its answers; the Origin is
    echoed, never ``*``, and never with credentials."""
    answer = client.http.options("/api/3.0/posts/list.json", headers={"Origin": "https://blog.example.com"})
    assert answer.headers.get("Access-Control-Allow-Origin") == "https://blog.example.com"
    assert "Access-Control-Allow-Credentials" not in answer.headers
    assert "public key" in (Path(__file__).parents[2] / "docs" / "disqus.md").read_text()


# --- errors without internals ---------------------------------------------------------------

INTERNALS = re.compile(
    r"Traceback|File \"/|\.py\"|botocore|pynamodb|ClientError|KeyError|TypeError|ValueError|"
    r"AttributeError|Exception|chalicelib|/work/|/var/task"
)


def test_an_unexpected_error_says_nothing_of_the_internals(api, monkeypatch):
    """API8, verbose errors: a handler that crashes (here a DynamoDB failure with a stack
    full of names) answers 500 E_INTERNAL with a request id, and no trace, class, module or path."""
    from botocore.exceptions import ClientError

    from chalicelib.services import users

    def explode(*_args, **_kwargs):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "pynamodb at /var/task"}}, "GetItem")

    jane = register(api, "jane")
    monkeypatch.setattr(users, "get_me", explode)
    answer = api.get("/v1/users/me", token=jane.access_token)
    assert answer.status == 500, answer.body
    assert answer.error["code"] == "E_INTERNAL" and answer.error["requestId"]
    assert not INTERNALS.search(json.dumps(answer.body)), answer.body


def test_client_errors_name_the_field_not_the_code(api):
    """Malformed input of every sort answers in the envelope without internals."""
    jane = register(api, "jane")
    for method, path, raw in (
        ("POST", "/v1/workspaces", b"{"),
        ("POST", "/v1/workspaces", b'{"name": {"$gt": ""}}'),
        ("PATCH", "/v1/users/me", b"[" * 5000),
        ("GET", "/v1/channels/not-an-id", None),
        ("POST", "/v1/auth/login", b'{"email": 1, "password": []}'),
    ):
        answer = api.call(method, path, raw=raw, token=jane.access_token)
        assert 400 <= answer.status < 500, (path, answer.body)
        assert not INTERNALS.search(json.dumps(answer.body)), answer.body
