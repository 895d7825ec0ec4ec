"""The authorize page in a real browser: Debian's Chromium (scripts/ensure-chromium.sh)
driven headless by Playwright, with JavaScript switched off (the page must work
without it). Log in, approve and land on the client's redirect with a code; deny;
the error page for a redirect_uri that does not match (no redirect at all); the
consent form by keyboard alone; no framing. Screenshots of the pages go to out/screenshots/.

The client's redirect URI is a tiny local HTTP server that records what reaches it,
so the test sees exactly where the page sent the user (and that a bad request sent
nobody anywhere).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Page

from tests.e2e.harness import ROOT, Devserver
from tests.e2e.oauth_support import (
    Admin,
    authorize_url,
    create_app,
    pkce_pair,
    signed_up_admin,
)

pytestmark = pytest.mark.e2e
SCREENSHOTS = ROOT / "out" / "screenshots"
SCOPE = "channels:read messages:read"
APP_NAME = "Daily Digest"


@pytest.fixture(scope="module")
def admin(server: Devserver) -> Admin:
    return signed_up_admin(server, "grace")


class Callback(ThreadingHTTPServer):
    """The client's redirect URI, for real: a tiny HTTP server that records every
    request that reaches it (a Playwright route would not see a redirect that follows
    a keyboard-submitted form)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        super().__init__(("127.0.0.1", 0), _CallbackHandler)
        self.redirect_uri = f"http://127.0.0.1:{self.server_address[1]}/callback"

    def only_hit(self) -> dict[str, list[str]]:
        assert len(self.hits) == 1, self.hits
        assert self.hits[0].startswith(f"{self.redirect_uri}?"), self.hits[0]
        return parse_qs(urlsplit(self.hits[0]).query)


class _CallbackHandler(BaseHTTPRequestHandler):
    server: Callback

    def do_GET(self) -> None:
        if self.path != "/favicon.ico":  # the browser asks for it on its own
            self.server.hits.append(f"http://{self.headers['Host']}{self.path}")
        body = b"callback received"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def callback() -> Iterator[Callback]:
    server = Callback()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def app(server: Devserver, admin: Admin, callback: Callback) -> dict:
    return create_app(
        server,
        admin,
        name=APP_NAME,
        scopes=["channels:read", "messages:read", "users:read"],
        redirect_uris=(callback.redirect_uri,),
    )


@pytest.fixture
def client(callback: Callback) -> Callback:
    callback.hits.clear()
    return callback


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1024, "height": 768})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_authorize(page: Page, server: Devserver, app: dict, **overrides: str) -> tuple[str, str, int]:
    """Open the authorize URL; (state, code_verifier, HTTP status)."""
    verifier, challenge = pkce_pair()
    state = f"st-{uuid.uuid4().hex}"
    redirect_uri = overrides.get("redirect_uri", app["redirectUris"][0])
    url = authorize_url(server, app["clientId"], SCOPE, state, challenge, redirect_uri)
    if "client_id" in overrides:
        url = url.replace(app["clientId"], overrides["client_id"])
    response = page.goto(url)
    assert response is not None
    return state, verifier, response.status


def log_in(page: Page, admin: Admin) -> None:
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(admin.password)
    page.get_by_role("button", name="Log in").click()
    page.locator("#scopes").wait_for()


def test_log_in_allow_and_land_on_the_redirect_with_a_code(
    server: Devserver, admin: Admin, app: dict, page: Page, client: Callback
) -> None:
    state, verifier, status = open_authorize(page, server, app)
    assert status == 200
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("form#login-form").is_visible()
    screenshot(page, "oauth-login")

    # A wrong password re-shows the form with an alert (401).
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill("not the password")
    with page.expect_response(lambda r: "/oauth/authorize" in r.url and r.request.method == "POST") as failed:
        page.get_by_role("button", name="Log in").click()
    assert failed.value.status == 401
    assert page.get_by_role("alert").is_visible()
    assert page.locator("form#login-form").is_visible()
    screenshot(page, "oauth-login-failed")

    log_in(page, admin)
    assert APP_NAME in page.get_by_role("heading", level=1).inner_text()
    assert sorted(page.locator("#scopes li").evaluate_all("els => els.map(e => e.dataset.scope)")) == sorted(
        SCOPE.split()
    )
    assert page.locator("select#workspace option").evaluate_all("els => els.map(e => e.value)") == [admin.workspace_id]
    screenshot(page, "oauth-consent")
    page.set_viewport_size({"width": 375, "height": 740})
    screenshot(page, "oauth-consent-narrow")

    cookie = next(c for c in page.context.cookies() if c["name"] == "dq_web")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/oauth", cookie

    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(lambda url: url.startswith(client.redirect_uri))
    returned = client.only_hit()
    assert returned["state"] == [state] and "error" not in returned

    # The code is real: the client exchanges it with its verifier.
    exchanged = requests.post(
        f"{server.base_url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": returned["code"][0],
            "redirect_uri": client.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app["clientId"], app["clientSecret"]),
        timeout=10,
    )
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.json()["access_token"].startswith("dqt_")


def test_deny_redirects_with_access_denied(
    server: Devserver, admin: Admin, app: dict, page: Page, client: Callback
) -> None:
    state, _, _ = open_authorize(page, server, app)
    log_in(page, admin)
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(lambda url: url.startswith(client.redirect_uri))
    returned = client.only_hit()
    assert returned["error"] == ["access_denied"] and returned["state"] == [state]
    assert "code" not in returned


def test_a_redirect_uri_that_does_not_match_shows_the_error_page(
    server: Devserver, admin: Admin, app: dict, page: Page, client: Callback
) -> None:
    # An extra path segment: never an exact match, and never followed.
    _, _, status = open_authorize(page, server, app, redirect_uri=f"{client.redirect_uri}/extra")
    assert status == 400
    assert page.get_by_role("heading", level=1).inner_text() == "Authorization error"
    assert page.get_by_role("alert").inner_text().strip()
    assert urlsplit(page.url).path == "/oauth/authorize"
    screenshot(page, "oauth-error")

    # An unknown client: the same page, no redirect either.
    _, _, status = open_authorize(page, server, app, client_id="dqc_AAAAAAAAAAAAAAAAAAAAAA")
    assert status == 400
    assert page.get_by_role("heading", level=1).inner_text() == "Authorization error"
    assert client.hits == []


def focus_by_tab(page: Page, selector: str, limit: int = 20) -> list[str]:
    """Press Tab until ``selector`` has the focus; what got the focus on the way."""
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        seen.append(focused.evaluate("e => e.id || e.name + '=' + (e.value || e.textContent.trim())"))
        if focused.evaluate(f"e => e.matches({selector!r})"):
            return seen
    raise AssertionError(f"{selector} never got the focus by Tab; focus went {seen}")


def test_keyboard_only(server: Devserver, admin: Admin, app: dict, page: Page, client: Callback) -> None:
    state, _, _ = open_authorize(page, server, app)
    focus_by_tab(page, "#email")
    page.keyboard.type(admin.email)
    page.keyboard.press("Tab")
    assert page.locator("#password").evaluate("e => e === document.activeElement")
    page.keyboard.type(admin.password)
    page.keyboard.press("Enter")
    page.locator("#scopes").wait_for()

    on_the_way = focus_by_tab(page, "button[value=allow]")
    assert "decision=deny" not in on_the_way, f"Deny comes before Allow: {on_the_way}"
    screenshot(page, "oauth-consent-keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url.startswith(client.redirect_uri))
    returned = client.only_hit()
    assert returned["state"] == [state] and returned["code"][0]


def test_the_page_refuses_to_be_framed(server: Devserver, app: dict, page: Page) -> None:
    """Clickjacking: another page that frames the login form gets an error frame
    (frame-ancestors 'none' and X-Frame-Options, which only a browser enforces)."""
    url = authorize_url(server, app["clientId"], SCOPE, "framed", pkce_pair()[1], app["redirectUris"][0])
    page.set_content(f'<iframe src="{url}" width="600" height="400"></iframe>', wait_until="load")
    framed = page.frames[1]
    assert framed.url == "chrome-error://chromewebdata/", framed.url
    assert framed.locator("#login-form").count() == 0
