"""OAuth 2.0: the whole flow through the Chalice test client (login form, consent, code,
token, a v1 call, refresh, reuse detection, revocation), the page's headers and cookies,
metadata, and the families of refresh tokens never crossing."""

from __future__ import annotations

from chalicelib.services import authn
from tests.functional.api.oauth.flow import Browser, authorize_url, exchange, make_app, pkce, refresh


def test_the_whole_flow(api, browser, owner, workspace):
    app = make_app(owner, workspace["id"])
    verifier, challenge = pkce()
    url = authorize_url(app, challenge)

    login = browser.get(url)
    assert login.status == 200
    assert '<form id="login-form" method="post"' in login.text
    consent = browser.log_in(url, owner)
    assert consent.status == 200, consent.text
    assert "<h1>Authorize Daily Digest</h1>" in consent.text
    assert '<li data-scope="messages:read">' in consent.text and '<li data-scope="channels:read">' in consent.text
    assert f'<option value="{workspace["id"]}">Acme</option>' in consent.text
    assert consent.text.index('value="allow"') < consent.text.index('value="deny"')

    allowed = browser.consent(consent)
    assert allowed.status == 302
    assert allowed.location.startswith(app.redirect_uri + "?")
    params = allowed.redirect_params()
    assert params["state"] == "xyz-Ω 1/2&=" and params["iss"] == "http://127.0.0.1:8000"

    issued = exchange(browser, app, params["code"], verifier)
    assert issued.status == 200, issued.text
    assert issued.headers["Cache-Control"] == "no-store" and issued.headers["Pragma"] == "no-cache"
    body = issued.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["access_token"].startswith("dqt_") and body["refresh_token"].startswith("dqr_")
    assert body["scope"] == "channels:read messages:read"

    channels = api.get(f"/v1/workspaces/{workspace['id']}/channels", token=body["access_token"])
    assert channels.status == 200, channels.body

    rotated = refresh(browser, app, body["refresh_token"])
    assert rotated.status == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != body["refresh_token"] and second["scope"] == body["scope"]
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=second["access_token"]).status == 200

    # The first refresh token again: reuse. The whole grant ends, the latest tokens too.
    replayed = refresh(browser, app, body["refresh_token"])
    assert replayed.status == 400 and replayed.json()["error"] == "invalid_grant"
    assert refresh(browser, app, second["refresh_token"]).json()["error"] == "invalid_grant"
    authn.forget_cached_tokens()
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=second["access_token"]).status == 401


def test_revocation_ends_the_grant(api, browser, owner, workspace):
    app = make_app(owner, workspace["id"])
    verifier, challenge = pkce()
    tokens = exchange(browser, app, browser.code_for(authorize_url(app, challenge), owner), verifier).json()
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=tokens["access_token"]).status == 200

    # Unknown and malformed tokens: 200 all the same (RFC 7009).
    from tests.functional.api.oauth.flow import basic

    for junk in ("nonsense", "dqr_AAAA.bbbb", "dqt_xxx"):
        assert browser.post("/oauth/revoke", {"token": junk}, basic(app)).status == 200
    done = browser.post("/oauth/revoke", {"token": tokens["refresh_token"]}, basic(app))
    assert done.status == 200 and done.headers["Cache-Control"] == "no-store"
    # This container learns it at once; the access token dies with its grant.
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=tokens["access_token"]).status == 401
    assert refresh(browser, app, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoking_the_access_token_revokes_its_grant(api, browser, owner, workspace):
    from tests.functional.api.oauth.flow import basic

    app = make_app(owner, workspace["id"])
    verifier, challenge = pkce()
    tokens = exchange(browser, app, browser.code_for(authorize_url(app, challenge), owner), verifier).json()
    other = make_app(owner, workspace["id"], name="Other")
    # Another client cannot revoke it (answered 200, nothing done).
    assert browser.post("/oauth/revoke", {"token": tokens["access_token"]}, basic(other)).status == 200
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=tokens["access_token"]).status == 200
    hinted = {"token": tokens["access_token"], "token_type_hint": "access_token"}
    assert browser.post("/oauth/revoke", hinted, basic(app)).status == 200
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=tokens["access_token"]).status == 401
    assert refresh(browser, app, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_the_web_session_skips_the_login_next_time(browser, owner, workspace):
    app = make_app(owner, workspace["id"])
    _, challenge = pkce()
    browser.code_for(authorize_url(app, challenge), owner)
    again = browser.get(authorize_url(app, pkce()[1]))
    assert again.status == 200 and 'id="consent-form"' in again.text and 'id="login-form"' not in again.text


def test_a_logged_out_login_session_ends_the_web_session(api, browser, owner, workspace):
    app = make_app(owner, workspace["id"])
    browser.code_for(authorize_url(app, pkce()[1]), owner)
    assert api.post("/v1/auth/logout", {"all": True}, token=owner.access_token).status in (200, 204)
    assert 'id="login-form"' in browser.get(authorize_url(app, pkce()[1])).text


def test_wrong_password_reshows_the_form_and_throttles(browser, owner, workspace):
    app = make_app(owner, workspace["id"])
    url = authorize_url(app, pkce()[1])
    statuses = []
    for _ in range(6):
        action, hidden = browser.get(url).form("login-form")
        answer = browser.post(action, {**hidden, "email": owner.email, "password": "wrong wrong wrong"})
        statuses.append(answer.status)
        assert '<p role="alert">' in answer.text and 'id="login-form"' in answer.text
        assert answer.headers["Cache-Control"] == "no-store"
    assert statuses[:5] == [401] * 5 and statuses[5] == 429


def test_page_headers_and_cookies(browser, owner, workspace):
    app = make_app(owner, workspace["id"])
    url = authorize_url(app, pkce()[1])
    login = browser.get(url)
    for page in (login, browser.get("/oauth/authorize?client_id=nope&redirect_uri=x")):
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
        assert page.text.startswith('<!doctype html><html lang="en">') and "<main>" in page.text
        assert "<script" not in page.text and "<h1>" in page.text
    action, hidden = login.form("login-form")
    assert action == url.replace("&", "&")
    done = browser.post(action, {**hidden, "email": owner.email, "password": owner.password})
    cookie = done.headers["Set-Cookie"]
    assert cookie.startswith("dq_web=")
    assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie and "; Path=/oauth" in cookie
    assert "Max-Age=3600" in cookie and "Secure" not in cookie  # the test stage is plain http
    consent = browser.get(done.location)
    # The form may be submitted to this origin, and redirected to the client's only.
    assert "form-action 'self' https://client.example.com;" in consent.headers["Content-Security-Policy"]


def test_the_cookie_is_secure_outside_local_and_test(monkeypatch, browser, owner, workspace):
    from chalicelib import config

    app = make_app(owner, workspace["id"])
    monkeypatch.setenv("DISQUA_STAGE", "prod")
    config.reset()
    login = browser.get(authorize_url(app, pkce()[1]))
    assert "; Secure" in login.headers["Set-Cookie"]


def test_metadata(client):
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    response = client.http.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    import json

    document = json.loads(response.body)
    assert document["issuer"] == "http://127.0.0.1:8000"
    assert document["token_endpoint"] == "http://127.0.0.1:8000/oauth/token"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    secure = {
        k: (v.replace("http://127.0.0.1:8000", "https://api.disqua.com") if isinstance(v, str) else v)
        for k, v in document.items()
    }
    AuthorizationServerMetadata(secure).validate()  # RFC 8414's rules, as authlib checks them


def test_families_never_cross(api, browser, owner, workspace):
    app = make_app(owner, workspace["id"])
    verifier, challenge = pkce()
    tokens = exchange(browser, app, browser.code_for(authorize_url(app, challenge), owner), verifier).json()
    # An app's refresh token at the login refresh route: refused, and the grant lives on.
    login_route = api.post("/v1/auth/refresh", {"refreshToken": tokens["refresh_token"]})
    assert login_route.status == 401, login_route.body
    assert refresh(browser, app, tokens["refresh_token"]).status == 200
    # A login refresh token at /oauth/token: invalid_grant, and the login still refreshes.
    oauth_route = refresh(browser, app, owner.refresh_token)
    assert oauth_route.status == 400 and oauth_route.json()["error"] == "invalid_grant"
    assert api.post("/v1/auth/refresh", {"refreshToken": owner.refresh_token}).status == 200


def test_logout_everywhere_leaves_app_grants(api, browser, owner, workspace):
    app = make_app(owner, workspace["id"])
    verifier, challenge = pkce()
    tokens = exchange(browser, app, browser.code_for(authorize_url(app, challenge), owner), verifier).json()
    assert api.post("/v1/auth/logout", {"all": True}, token=owner.access_token).status in (200, 204)
    authn.forget_cached_tokens()
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=tokens["access_token"]).status == 200
    assert refresh(browser, app, tokens["refresh_token"]).status == 200


def test_login_form_reads_the_email_like_the_api(browser, owner, workspace):
    app = make_app(owner, workspace["id"])
    url = authorize_url(app, pkce()[1])
    action, hidden = browser.get(url).form("login-form")
    done = browser.post(action, {**hidden, "email": owner.email.upper(), "password": owner.password})
    assert done.status == 303, done.text
    stranger = Browser(browser.http)
    for email, password in (("not-an-email", "x"), ("", ""), (owner.email, "")):
        action, hidden = stranger.get(url).form("login-form")
        answer = stranger.post(action, {**hidden, "email": email, "password": password})
        assert answer.status == 400 and '<p role="alert">Enter your email and password.</p>' in answer.text
