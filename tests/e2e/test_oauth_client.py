"""A real OAuth client end to end over HTTP against the local runtime: authlib's
OAuth2Session with PKCE S256 discovers the endpoints (RFC 8414), the user's side is
plain HTTP submitting the page's login and consent forms (with their CSRF tokens), the
code is read from the redirect's Location (no callback server), then exchange, a v1
call, refresh with rotation, reuse detection and revocation (RFC 7009)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e.harness import Devserver
from tests.e2e.oauth_support import (
    REDIRECT_URI,
    SECURITY_HEADERS,
    Admin,
    create_app,
    pkce_pair,
    read_page,
    same_origin,
    signed_up_admin,
)

pytestmark = pytest.mark.e2e
SCOPE = "channels:read messages:read"


@pytest.fixture(autouse=True)
def _plain_http_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # authlib refuses http:// endpoints unless told; the local runtime has no TLS.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(scope="module")
def admin(server: Devserver) -> Admin:
    return signed_up_admin(server, "ada")


@pytest.fixture(scope="module")
def metadata(server: Devserver) -> dict:
    found = requests.get(f"{server.base_url}/.well-known/oauth-authorization-server", timeout=10)
    assert found.status_code == 200, found.text
    return found.json()


@pytest.fixture(scope="module")
def confidential_app(server: Devserver, admin: Admin) -> dict:
    return create_app(server, admin, name="Daily Digest", scopes=["channels:read", "messages:read", "users:read"])


@pytest.fixture
def client(confidential_app: dict) -> Iterator[OAuth2Session]:
    with OAuth2Session(
        confidential_app["clientId"],
        confidential_app["clientSecret"],
        scope=SCOPE,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    ) as session:
        yield session


def approve(
    server: Devserver,
    browser: requests.Session,
    url: str,
    admin: Admin,
    *,
    login: bool = True,
    workspaces: tuple[str, ...] | None = None,
    choose: str | None = None,
) -> str:
    """Be the user: open the authorize URL, log in (unless the web session is still
    there), pick the workspace (``choose`` among the offered ``workspaces``; by default
    the admin's own, the only one offered) and allow on the consent form; returns the
    redirect's Location (not followed)."""
    shown = browser.get(url, timeout=10)
    assert shown.status_code == 200, shown.text
    for name, value in SECURITY_HEADERS.items():
        assert shown.headers.get(name) == value, (name, shown.headers)
    csp = shown.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp, csp
    page = read_page(shown.text)
    assert page.lang == "en" and page.has_main and page.scripts == 0 and not page.external

    if login:
        form = page.forms["login-form"]
        assert form.method == "post"
        assert form.values["action"] == "login" and form.values["csrf_token"]
        assert form.input_attrs["email"]["type"] == "email" and form.input_attrs["password"]["type"] == "password"
        logged_in = browser.post(
            form.url(shown.url),
            data={**form.values, "email": admin.email, "password": admin.password},
            allow_redirects=False,
            timeout=10,
        )
        cookie = logged_in.headers.get("Set-Cookie", "")
        assert cookie.startswith("dq_web="), logged_in.headers
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
        assert "httponly" in attributes and attributes["samesite"].lower() == "samesite=lax", cookie
        assert attributes["path"] == "Path=/oauth", cookie
        if logged_in.is_redirect:  # post/redirect/get back to the authorize page
            location = requests.compat.urljoin(shown.url, logged_in.headers["Location"])
            assert same_origin(location, server.base_url), location
            logged_in = browser.get(location, allow_redirects=False, timeout=10)
        assert logged_in.status_code == 200, logged_in.text
        consent = logged_in
    else:
        assert "login-form" not in page.forms, "the web session should have skipped the login"
        consent = shown

    for name, value in SECURITY_HEADERS.items():
        assert consent.headers.get(name) == value, (name, consent.headers)
    # Chromium applies form-action to the redirect after Allow/Deny, so the consent page
    # must let the form go to the client's origin (test_oauth_browser proves it there).
    csp = consent.headers["Content-Security-Policy"]
    directives = {name: value for name, _, value in (d.strip().partition(" ") for d in csp.split(";"))}
    form_action = directives["form-action"].split()
    assert "'self'" in form_action and "{0.scheme}://{0.netloc}".format(urlsplit(REDIRECT_URI)) in form_action
    page, consent_url = read_page(consent.text), consent.url

    assert "Daily Digest" in page.h1, page.h1
    assert "https://digest.example.com" in page.links
    assert set(page.scopes) == set(SCOPE.split()), page.scopes
    assert all(page.scopes.values()), "every scope needs its plain-words line"
    form = next(f for f in page.forms.values() if f.values.get("action") == "consent")
    assert form.values["csrf_token"]
    offered = [v for v, _, _ in form.options["workspace_id"]]
    assert sorted(offered) == sorted(workspaces or (admin.workspace_id,)), offered
    assert [(b.get("name"), b.get("value")) for b in form.buttons] == [("decision", "allow"), ("decision", "deny")]
    decided = browser.post(
        form.url(consent_url),
        data={**form.values, "workspace_id": choose or admin.workspace_id, "decision": "allow"},
        allow_redirects=False,
        timeout=10,
    )
    assert decided.status_code == 302, decided.text
    return decided.headers["Location"]


def oauth_error(response: requests.Response) -> str:
    assert response.headers.get("Cache-Control") == "no-store", response.headers
    return response.json()["error"]


def assert_refresh_refused(metadata: dict, client: OAuth2Session, refresh_token: str) -> None:
    refused = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert refused.status_code == 400 and oauth_error(refused) == "invalid_grant", refused.text


def channels_status(api: str, admin: Admin, access_token: str) -> int:
    """The status of a v1 read (channels of the admin's workspace) with this access token."""
    return requests.get(
        f"{api}/v1/workspaces/{admin.workspace_id}/channels",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    ).status_code


def test_metadata_advertises_the_endpoints(server: Devserver, metadata: dict) -> None:
    api = server.base_url
    assert metadata["issuer"] == api
    assert metadata["authorization_endpoint"] == f"{api}/oauth/authorize"
    assert metadata["token_endpoint"] == f"{api}/oauth/token"
    assert metadata["revocation_endpoint"] == f"{api}/oauth/revoke"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    assert metadata["response_types_supported"] == ["code"]
    assert "messages:read" in metadata["scopes_supported"]


def test_code_flow_v1_call_refresh_and_reuse_detection(
    server: Devserver, admin: Admin, metadata: dict, client: OAuth2Session
) -> None:
    api = server.base_url
    verifier, _ = pkce_pair()
    url, state = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge"] == [create_s256_code_challenge(verifier)]
    assert query["code_challenge_method"] == ["S256"]

    location = approve(server, requests.Session(), url, admin)
    assert location.startswith(f"{REDIRECT_URI}?"), location
    returned = parse_qs(urlsplit(location).query)
    assert returned["state"] == [state]  # echoed unchanged
    assert "iss" not in returned or returned["iss"] == [metadata["issuer"]]

    # authlib checks the state again and sends code, redirect_uri, code_verifier and
    # the client's credentials (HTTP Basic).
    token = client.fetch_token(metadata["token_endpoint"], authorization_response=location, code_verifier=verifier)
    assert token["token_type"].lower() == "bearer"
    assert token["access_token"].startswith("dqt_") and token["refresh_token"].startswith("dqr_")
    assert token["expires_in"] == 900
    assert set(token["scope"].split()) == set(SCOPE.split())

    # The token works on a v1 route within its scopes and workspace, and only there.
    channels = client.get(f"{api}/v1/workspaces/{admin.workspace_id}/channels", timeout=10)
    assert channels.status_code == 200, channels.text
    create = client.post(f"{api}/v1/workspaces/{admin.workspace_id}/channels", json={"name": "nope"}, timeout=10)
    assert create.status_code == 403, create.text
    assert create.json()["error"]["code"] == "E_AUTHZ_INSUFFICIENT_SCOPE"
    tokens = client.get(f"{api}/v1/workspaces/{admin.workspace_id}/tokens", timeout=10)
    assert tokens.status_code == 403, tokens.text  # minting tokens is for login sessions only

    first = dict(token)
    refreshed = client.refresh_token(metadata["token_endpoint"], refresh_token=first["refresh_token"])
    assert refreshed["access_token"] != first["access_token"]
    assert refreshed["refresh_token"] not in (None, first["refresh_token"])  # rotated
    assert set(refreshed["scope"].split()) == set(SCOPE.split())
    assert client.get(f"{api}/v1/workspaces/{admin.workspace_id}/channels", timeout=10).status_code == 200

    # Reuse detection: the rotated-out refresh token fails, and kills its family, so
    # the current refresh token fails too.
    for stale in (first["refresh_token"], refreshed["refresh_token"]):
        assert_refresh_refused(metadata, client, stale)


def test_a_code_presented_twice_fails_and_revokes_what_it_issued(
    server: Devserver, admin: Admin, metadata: dict, client: OAuth2Session
) -> None:
    verifier, _ = pkce_pair()
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
    location = approve(server, requests.Session(), url, admin)
    token = client.fetch_token(metadata["token_endpoint"], authorization_response=location, code_verifier=verifier)

    again = requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": parse_qs(urlsplit(location).query)["code"][0],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert again.status_code == 400 and oauth_error(again) == "invalid_grant", again.text
    # What the first exchange issued is revoked (RFC 9700 4.5): the refresh token...
    assert_refresh_refused(metadata, client, token["refresh_token"])
    # ...and the access token (never used before, so no container cached it as live).
    assert channels_status(server.base_url, admin, token["access_token"]) == 401


def test_revocation_reaches_refresh_and_access_tokens(
    server: Devserver, admin: Admin, metadata: dict, client: OAuth2Session
) -> None:
    api = server.base_url
    browser = requests.Session()
    verifier, _ = pkce_pair()
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=approve(server, browser, url, admin), code_verifier=verifier
    )

    # A second authorization in the same browser: the dq_web session skips the login.
    verifier2, _ = pkce_pair()
    url2, _ = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier2)
    second = client.fetch_token(
        metadata["token_endpoint"],
        authorization_response=approve(server, browser, url2, admin, login=False),
        code_verifier=verifier2,
    )
    assert second["refresh_token"] != token["refresh_token"]

    revoked = client.revoke_token(
        metadata["revocation_endpoint"], token=token["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200, revoked.text
    # RFC 7009: an unknown token is not an error.
    assert client.revoke_token(metadata["revocation_endpoint"], token="dqr_unknown").status_code == 200

    assert_refresh_refused(metadata, client, token["refresh_token"])
    # This access token was never used before the revocation (nothing cached it as
    # live), so it is refused at once.
    assert channels_status(api, admin, token["access_token"]) == 401
    # The other grant of the same app and user lives on.
    assert channels_status(api, admin, second["access_token"]) == 200


def test_public_client_pkce_and_families_that_never_cross(server: Devserver, admin: Admin, metadata: dict) -> None:
    api = server.base_url
    app = create_app(server, admin, name="Daily Digest", scopes=["channels:read", "messages:read"], public=True)
    with OAuth2Session(
        app["clientId"],
        scope=SCOPE,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as client:
        verifier, _ = pkce_pair()
        url, _ = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
        location = approve(server, requests.Session(), url, admin)
        code = parse_qs(urlsplit(location).query)["code"][0]
        wrong = requests.post(
            metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": app["clientId"],
                "code_verifier": pkce_pair()[0],
            },
            timeout=10,
        )
        assert wrong.status_code == 400 and oauth_error(wrong) == "invalid_grant", wrong.text

        # A fresh code (a failed exchange may burn the first one), then the right verifier.
        verifier, _ = pkce_pair()
        url, _ = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
        token = client.fetch_token(
            metadata["token_endpoint"],
            authorization_response=approve(server, requests.Session(), url, admin),
            code_verifier=verifier,
        )
        assert token["access_token"].startswith("dqt_")

    # An OAuth refresh token is no login refresh token, and the other way round.
    as_login = requests.post(f"{api}/v1/auth/refresh", json={"refreshToken": token["refresh_token"]}, timeout=10)
    assert as_login.status_code == 401, as_login.text
    login = requests.post(f"{api}/v1/auth/login", json={"email": admin.email, "password": admin.password}, timeout=10)
    assert login.status_code == 200, login.text
    as_oauth = requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": login.json()["data"]["refreshToken"],
            "client_id": app["clientId"],
        },
        timeout=10,
    )
    assert as_oauth.status_code == 400 and oauth_error(as_oauth) == "invalid_grant", as_oauth.text


def test_a_distributed_app_installs_into_the_workspace_the_user_picks(
    server: Devserver, admin: Admin, metadata: dict
) -> None:
    api = server.base_url
    app = create_app(server, admin, name="Daily Digest", scopes=["channels:read", "messages:read"], distributed=True)
    other = signed_up_admin(server, "linus")  # owns a workspace of his own, knows nothing of the app's
    second = requests.post(f"{api}/v1/workspaces", json={"name": "Side Project"}, headers=other.headers, timeout=10)
    assert second.status_code == 201, second.text
    side_id = second.json()["data"]["id"]

    def installed(workspace_id: str) -> list[str]:
        listed = requests.get(f"{api}/v1/workspaces/{workspace_id}/installations", headers=other.headers, timeout=10)
        assert listed.status_code == 200, listed.text
        return [i["appId"] for i in listed.json()["data"]]

    assert app["id"] not in installed(other.workspace_id)
    with OAuth2Session(
        app["clientId"],
        app["clientSecret"],
        scope=SCOPE,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
    ) as client:
        verifier, _ = pkce_pair()
        url, _ = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
        # He is an owner in both of his workspaces, so both are offered; he picks one.
        location = approve(
            server, requests.Session(), url, other, workspaces=(other.workspace_id, side_id), choose=other.workspace_id
        )
        client.fetch_token(metadata["token_endpoint"], authorization_response=location, code_verifier=verifier)

        assert app["id"] in installed(other.workspace_id)
        assert app["id"] not in installed(side_id)
        # The token is confined to the workspace it was installed in.
        mine = client.get(f"{api}/v1/workspaces/{other.workspace_id}/channels", timeout=10)
        assert mine.status_code == 200, mine.text
        elsewhere = client.get(f"{api}/v1/workspaces/{side_id}/channels", timeout=10)
        assert elsewhere.status_code == 403, elsewhere.text
        assert elsewhere.json()["error"]["code"] == "E_AUTHZ_NOT_MEMBER"  # like an API token of another workspace


def test_logging_out_everywhere_ends_the_page_session_not_the_app_grants(server: Devserver, metadata: dict) -> None:
    api = server.base_url
    user = signed_up_admin(server, "alan")  # his own user: this test logs him out everywhere
    app = create_app(server, user, name="Daily Digest", scopes=["channels:read", "messages:read"])
    browser = requests.Session()
    with OAuth2Session(
        app["clientId"], app["clientSecret"], scope=SCOPE, redirect_uri=REDIRECT_URI, code_challenge_method="S256"
    ) as client:
        verifier, _ = pkce_pair()
        url, _ = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
        token = client.fetch_token(
            metadata["token_endpoint"],
            authorization_response=approve(server, browser, url, user),
            code_verifier=verifier,
        )

        out = requests.post(f"{api}/v1/auth/logout", json={"all": True}, headers=user.headers, timeout=10)
        assert out.status_code == 200, out.text

        # The page's web session stood on a login session: it is gone, the login form is back.
        again = browser.get(url, timeout=10)
        assert again.status_code == 200, again.text
        assert "login-form" in read_page(again.text).forms
        # The app's grant is no login: its (never used, so uncached) access token and its
        # refresh token still work.
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        alive = requests.get(f"{api}/v1/workspaces/{user.workspace_id}/channels", headers=bearer, timeout=10)
        assert alive.status_code == 200, alive.text
        refreshed = client.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
        assert refreshed["access_token"].startswith("dqt_")
