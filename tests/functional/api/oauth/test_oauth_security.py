"""The issue's security table: code reuse, PKCE, redirect_uri (exact match, never an open
redirector), scope escalation, state, CSRF, client authentication, error format."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from chalicelib.services import authn
from tests.functional.api.oauth.flow import (
    REDIRECT_URI,
    Browser,
    authorize_url,
    basic,
    exchange,
    make_app,
    pkce,
    refresh,
)

STATE = "xyz-Ω 1/2&="


@pytest.fixture
def app(owner, workspace):
    return make_app(owner, workspace["id"])


def _error(page) -> str:
    assert page.headers["Cache-Control"] == "no-store", page.headers
    return page.json()["error"]


# --- codes and PKCE -------------------------------------------------------------------------


def test_a_code_presented_twice_fails_and_revokes_what_it_issued(api, browser, owner, workspace, app):
    verifier, challenge = pkce()
    code = browser.code_for(authorize_url(app, challenge), owner)
    first = exchange(browser, app, code, verifier).json()
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=first["access_token"]).status == 200
    second = exchange(browser, app, code, verifier)
    assert second.status == 400 and _error(second) == "invalid_grant"
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=first["access_token"]).status == 401
    assert _error(refresh(browser, app, first["refresh_token"])) == "invalid_grant"


def test_a_wrong_verifier_fails_without_burning_the_code(browser, owner, app):
    verifier, challenge = pkce()
    code = browser.code_for(authorize_url(app, challenge), owner)
    assert _error(exchange(browser, app, code, pkce()[0])) == "invalid_grant"
    assert _error(exchange(browser, app, code, "short")) == "invalid_grant"
    assert exchange(browser, app, code, verifier).status == 200


def test_the_verifier_of_another_code_fails(browser, owner, app):
    verifier_a, challenge_a = pkce()
    verifier_b, challenge_b = pkce()
    code_a = browser.code_for(authorize_url(app, challenge_a), owner)
    code_b = browser.code_for(authorize_url(app, challenge_b), owner)
    assert _error(exchange(browser, app, code_a, verifier_b)) == "invalid_grant"
    assert _error(exchange(browser, app, code_b, verifier_a)) == "invalid_grant"


def test_redirect_uri_must_match_at_token_time(browser, owner, workspace):
    other = "https://client.example.com/other"
    app = make_app(owner, workspace["id"], redirect_uris=(REDIRECT_URI, other))
    verifier, challenge = pkce()
    code = browser.code_for(authorize_url(app, challenge), owner)
    assert _error(exchange(browser, app, code, verifier, redirect_uri=other)) == "invalid_grant"
    missing = exchange(browser, app, code, verifier, redirect_uri=None)
    assert _error(missing) == "invalid_request"


def test_a_code_of_another_client_fails(browser, owner, workspace, app):
    verifier, challenge = pkce()
    code = browser.code_for(authorize_url(app, challenge), owner)
    other = make_app(owner, workspace["id"], name="Other")
    assert _error(exchange(browser, other, code, verifier)) == "invalid_grant"
    assert exchange(browser, app, code, verifier).status == 200


def test_an_expired_code_fails(monkeypatch, browser, owner, app):
    verifier, challenge = pkce()
    code = browser.code_for(authorize_url(app, challenge), owner)
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    assert _error(exchange(browser, app, code, verifier)) == "invalid_grant"


@pytest.mark.parametrize(
    ("method", "challenge"),
    [("plain", "x" * 43), (None, "x" * 43), ("S256", None), ("S256", "short"), ("s256", "x" * 43)],
)
def test_plain_or_missing_pkce_is_refused_by_redirect(browser, owner, app, method, challenge):
    page = browser.get(authorize_url(app, challenge, code_challenge_method=method))
    assert page.status == 302
    params = page.redirect_params()
    assert page.location.startswith(REDIRECT_URI + "?")
    assert params["error"] == "invalid_request" and params["state"] == STATE and params["error_description"]


def test_public_clients_need_pkce_too(browser, owner, workspace):
    app = make_app(owner, workspace["id"], public=True)
    page = browser.get(authorize_url(app, None, code_challenge_method=None))
    assert page.redirect_params()["error"] == "invalid_request"


def test_response_type_other_than_code(browser, app):
    page = browser.get(authorize_url(app, pkce()[1], response_type="token"))
    assert page.redirect_params()["error"] == "unsupported_response_type"


# --- redirect_uri: exact match, never an open redirector -----------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT_URI + "/extra",  # extra path
        REDIRECT_URI + "?next=https://evil.example",  # extra query
        "https://evil.example@client.example.com/callback",  # userinfo
        "https://client.example.com:8443/callback",  # other port
        "http://client.example.com/callback",  # scheme change
        "https://client.example.com/callback/",  # trailing slash
        "https://CLIENT.example.com/callback",  # case
        "https://evil.example/callback",
        "",
    ],
)
def test_unregistered_redirect_uris_show_the_error_page(browser, app, redirect_uri):
    page = browser.get(authorize_url(app, pkce()[1], redirect_uri=redirect_uri))
    assert page.status == 400 and "Location" not in page.headers
    assert "<h1>Authorization error</h1>" in page.text and '<p role="alert">' in page.text
    assert "evil" not in page.text


def test_unknown_client_and_repeated_parameters_never_redirect(browser, app):
    for url in (
        authorize_url(app, pkce()[1], client_id="dqc_AAAAAAAAAAAAAAAAAAAAAA"),
        authorize_url(app, pkce()[1], client_id="<script>alert(1)</script>"),
        authorize_url(app, pkce()[1], client_id=None),
        authorize_url(app, pkce()[1]) + "&" + urlencode({"redirect_uri": "https://evil.example/"}),
    ):
        page = browser.get(url)
        assert page.status == 400 and "Location" not in page.headers, url
        assert "<h1>Authorization error</h1>" in page.text and "<script>" not in page.text


def test_a_repeated_parameter_after_the_redirect_is_trusted_redirects_with_the_error(browser, app):
    page = browser.get(authorize_url(app, pkce()[1]) + "&scope=admin")
    assert page.redirect_params()["error"] == "invalid_request"


# --- scopes ----------------------------------------------------------------------------------


def test_scope_escalation_at_authorize_is_refused(browser, app):
    for scope in ("messages:read admin", "messages:write", "nonsense", "", 'x"\\ é <b>'):
        page = browser.get(authorize_url(app, pkce()[1], scope=scope))
        assert page.status == 302, scope
        params = page.redirect_params()
        assert params["error"] == "invalid_scope" and params["state"] == STATE


def test_plus_separated_scopes_are_read_as_spaces(browser, owner, app):
    url = authorize_url(app, pkce()[1]).replace(
        "scope=messages%3Aread+channels%3Aread", "scope=messages:read+users:read"
    )
    consent = browser.log_in(url, owner)
    assert '<li data-scope="users:read">' in consent.text and '<li data-scope="messages:read">' in consent.text


def test_scope_at_refresh_may_narrow_never_widen(api, browser, owner, workspace, app):
    verifier, challenge = pkce()
    tokens = exchange(browser, app, browser.code_for(authorize_url(app, challenge), owner), verifier).json()
    wider = refresh(browser, app, tokens["refresh_token"], scope="messages:read channels:read users:read")
    assert _error(wider) == "invalid_scope"
    narrow = refresh(browser, app, tokens["refresh_token"], scope="messages:read")
    assert narrow.status == 200 and narrow.json()["scope"] == "messages:read"
    listed = api.get(f"/v1/workspaces/{workspace['id']}/channels", token=narrow.json()["access_token"])
    assert listed.status == 403 and listed.error["code"] == "E_AUTHZ_INSUFFICIENT_SCOPE"
    # The grant keeps what was granted: the next refresh without scope has it all.
    full = refresh(browser, app, narrow.json()["refresh_token"])
    assert full.json()["scope"] == "channels:read messages:read"


# --- state and decisions ---------------------------------------------------------------------


def test_deny_redirects_with_access_denied_and_the_state(browser, owner, app):
    consent = browser.log_in(authorize_url(app, pkce()[1]), owner)
    denied = browser.consent(consent, "deny")
    assert denied.status == 302
    params = denied.redirect_params()
    assert params["error"] == "access_denied" and params["state"] == STATE and "code" not in params


def test_without_state_nothing_is_echoed(browser, owner, app):
    consent = browser.log_in(authorize_url(app, pkce()[1], state=None), owner)
    params = browser.consent(consent).redirect_params()
    assert "code" in params and "state" not in params


# --- CSRF -----------------------------------------------------------------------------------


def test_login_form_needs_its_csrf_token(browser, owner, app):
    url = authorize_url(app, pkce()[1])
    action, hidden = browser.get(url).form("login-form")
    credentials = {"email": owner.email, "password": owner.password, "action": "login"}
    real = hidden["csrf_token"]
    tampered = real[:-1] + ("1" if real[-1] == "0" else "0")  # always differs from the real one
    for token in (None, "", "0" * 64, tampered):
        data = {**credentials, **({"csrf_token": token} if token is not None else {})}
        page = browser.post(action, data)
        assert page.status == 403 and "Set-Cookie" not in page.headers
        assert "<h1>Authorization error</h1>" in page.text
    # The right token without the login cookie it is bound to (another browser): refused.
    stranger = Browser(browser.http)
    assert stranger.post(action, {**hidden, **credentials}).status == 403


def test_consent_form_needs_its_csrf_token(api, client, browser, owner, app):
    consent = browser.log_in(authorize_url(app, pkce()[1]), owner)
    action, hidden = consent.form("consent-form")
    base = {"action": "consent", "decision": "allow", "workspace_id": app.workspace_id}
    assert browser.post(action, base).status == 403
    assert browser.post(action, {**base, "csrf_token": "nope"}).status == 403
    # Another session's token is refused too.
    other = Browser(client.http)
    other_consent = other.log_in(authorize_url(app, pkce()[1]), owner)
    assert (
        browser.post(action, {**base, "csrf_token": other_consent.form("consent-form")[1]["csrf_token"]}).status == 403
    )
    assert browser.post(action, {**hidden, **base}).status == 302


def test_consent_without_a_session_shows_the_login_form(browser, owner, app):
    consent = browser.log_in(authorize_url(app, pkce()[1]), owner)
    action, hidden = consent.form("consent-form")
    browser.cookies["dq_web"] = browser.cookies["dq_web"][:-2] + "00"  # tampered signature
    page = browser.post(action, {**hidden, "decision": "allow", "workspace_id": app.workspace_id})
    assert page.status == 401 and 'id="login-form"' in page.text


# --- client authentication and the token endpoint's errors -----------------------------------


def _code(browser, owner, app) -> tuple[str, str]:
    verifier, challenge = pkce()
    return browser.code_for(authorize_url(app, challenge), owner), verifier


def _grant(app, code, verifier) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uri,
        "code_verifier": verifier,
    }


def test_client_secret_post(browser, owner, app):
    code, verifier = _code(browser, owner, app)
    answer = browser.post(
        "/oauth/token", {**_grant(app, code, verifier), "client_id": app.client_id, "client_secret": app.secret}
    )
    assert answer.status == 200, answer.text


@pytest.mark.parametrize("how", ["basic", "post", "missing", "unknown"])
def test_wrong_client_credentials_are_401_with_www_authenticate(browser, owner, app, how):
    code, verifier = _code(browser, owner, app)
    data = _grant(app, code, verifier)
    if how == "basic":
        answer = browser.post("/oauth/token", data, basic(app, "dqs_" + "x" * 43))
    elif how == "post":
        answer = browser.post("/oauth/token", {**data, "client_id": app.client_id, "client_secret": "wrong"})
    elif how == "missing":
        answer = browser.post("/oauth/token", {**data, "client_id": app.client_id})
    else:
        answer = browser.post("/oauth/token", {**data, "client_id": "dqc_AAAAAAAAAAAAAAAAAAAAAA"})
    assert answer.status == 401 and _error(answer) == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic ")
    assert exchange(browser, app, code, verifier).status == 200  # the code was not spent


def test_two_authentication_methods_at_once(browser, owner, app):
    code, verifier = _code(browser, owner, app)
    data = {**_grant(app, code, verifier), "client_secret": app.secret}
    assert _error(browser.post("/oauth/token", data, basic(app))) == "invalid_request"


def test_public_clients(browser, owner, workspace):
    app = make_app(owner, workspace["id"], public=True)
    code, verifier = _code(browser, owner, app)
    with_secret = browser.post(
        "/oauth/token", {**_grant(app, code, verifier), "client_id": app.client_id, "client_secret": "x"}
    )
    assert with_secret.status == 401 and _error(with_secret) == "invalid_client"
    assert browser.post("/oauth/token", _grant(app, code, verifier), basic(app, "")).status == 401
    answer = exchange(browser, app, code, verifier)
    assert answer.status == 200, answer.text
    assert refresh(browser, app, answer.json()["refresh_token"]).status == 200


def test_grant_type_and_body_errors(client, browser, app):
    assert _error(browser.post("/oauth/token", {"grant_type": "password"}, basic(app))) == "unsupported_grant_type"
    assert _error(browser.post("/oauth/token", {"code": "x"}, basic(app))) == "invalid_request"
    repeated = browser.post(
        "/oauth/token", [("grant_type", "refresh_token"), ("grant_type", "refresh_token")], basic(app)
    )
    assert _error(repeated) == "invalid_request"
    as_json = client.http.post(
        "/oauth/token",
        headers={"Content-Type": "application/json", **basic(app)},
        body='{"grant_type":"refresh_token"}',
    )
    assert as_json.status_code == 400 and b"invalid_request" in as_json.body
    garbage = browser.post("/oauth/token", {"grant_type": "refresh_token", "refresh_token": "dqr_nope"}, basic(app))
    assert garbage.status == 400 and _error(garbage) == "invalid_grant"


def test_revocation_needs_client_authentication(browser, app):
    answer = browser.post("/oauth/revoke", {"token": "whatever", "client_id": app.client_id})
    assert answer.status == 401 and _error(answer) == "invalid_client"
    assert _error(browser.post("/oauth/revoke", {}, basic(app))) == "invalid_request"


def test_access_tokens_of_a_revoked_grant_are_refused_within_the_cache_window(api, browser, owner, workspace, app):
    """Another container's cache: revocation reaches it within API_TOKEN_CACHE_SECONDS."""
    from chalicelib.auth import tokens as token_formats
    from chalicelib.store import sessions as session_store

    code, verifier = _code(browser, owner, app)
    issued = exchange(browser, app, code, verifier).json()
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=issued["access_token"]).status == 200
    claims = token_formats.verify_access_token(issued["access_token"])
    session_store.revoke(claims.user_id, claims.session_id, "test")  # as another container would
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=issued["access_token"]).status == 200  # cached
    authn.forget_cached_tokens()  # the window elapsed
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=issued["access_token"]).status == 401


def test_a_tampered_workspace_id_is_refused_not_a_crash(browser, owner, app):
    consent = browser.log_in(authorize_url(app, pkce()[1]), owner)
    for value in ("", "x" * 5000, "../../etc", "0190a0a0-0000-7000-8000-000000000000"):
        refused = browser.consent(consent, workspace_id=value or " ")
        assert refused.status == 302 and refused.redirect_params()["error"] == "access_denied", value


def test_an_unexpected_failure_shows_the_error_page(monkeypatch, browser, app):
    from chalicelib.services import oauth

    def broken(*_args):
        raise RuntimeError("boom")

    monkeypatch.setattr(oauth, "check_authorization_request", broken)
    page = browser.get(authorize_url(app, pkce()[1]))
    assert page.status == 500 and "<h1>Authorization error</h1>" in page.text and "boom" not in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
