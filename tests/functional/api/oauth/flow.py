"""Helpers for the OAuth tests: apps made through the store (the apps API has its own
tests), a cookie-keeping "browser" over the Chalice test client, PKCE, the form posts."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from chalicelib.auth.principal import Principal
from chalicelib.services import apps
from tests.helpers import Account

REDIRECT_URI = "https://client.example.com/callback"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Client:
    app_id: str
    client_id: str
    secret: str | None
    workspace_id: str
    redirect_uri: str = REDIRECT_URI


def make_app(
    owner: Account,
    workspace_id: str,
    *,
    scopes: tuple[str, ...] = ("messages:read", "channels:read", "users:read"),
    public: bool = False,
    distributed: bool = False,
    name: str = "Daily Digest",
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
    homepage_url: str | None = "https://digest.example.com",
) -> Client:
    """Registered through the service the apps API calls (every rule of it applies), as the owner."""
    made = apps.create(
        Principal(user_id=owner.user_id, kind="session"),
        workspace_id,
        name=name,
        redirect_uris=list(redirect_uris),
        scopes=list(scopes),
        public=public,
        distributed=distributed,
        homepage_url=homepage_url,
    )
    return Client(made.app.id, made.app.client_id, made.secret, workspace_id, redirect_uris[0])


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(client: Client, challenge: str, *, scope: str = "messages:read channels:read", **extra: str) -> str:
    params = {
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "response_type": "code",
        "scope": scope,
        "state": "xyz-Ω 1/2&=",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers["Location"]

    def redirect_params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}

    def form(self, form_id: str | None = None) -> tuple[str, dict[str, str]]:
        """The form's action and its hidden inputs."""
        pattern = rf'<form id="{form_id}"[^>]*action="([^"]*)"' if form_id else r'<form [^>]*action="([^"]*)"'
        match = re.search(pattern, self.text)
        assert match, self.text
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', self.text))
        return unescape(match.group(1)), {k: unescape(v) for k, v in hidden.items()}

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Browser:
    """Keeps cookies (Path=/oauth: only sent to /oauth/...)."""

    http: Any
    cookies: dict[str, str] = field(default_factory=dict)

    def _send(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Page:
        sent = dict(headers)
        if self.cookies and path.startswith("/oauth"):
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = getattr(self.http, method)(path, headers=sent, body=body)
        set_cookie = response.headers.get("Set-Cookie") or response.headers.get("set-cookie")
        if set_cookie:
            name, _, rest = set_cookie.partition("=")
            self.cookies[name] = rest.split(";")[0]
        text = response.body.decode() if isinstance(response.body, bytes) else (response.body or "")
        return Page(response.status_code, dict(response.headers), text)

    def get(self, path: str) -> Page:
        return self._send("get", path, None, {})

    def post(self, path: str, data: dict[str, str] | list[tuple[str, str]], headers: dict[str, str] | None = None):
        return self._send("post", path, urlencode(data), {"Content-Type": FORM, **(headers or {})})

    def log_in(self, url: str, account: Account) -> Page:
        """Open the page, submit the login form, follow the 303 back: the consent page."""
        login = self.get(url)
        assert login.status == 200, login.text
        action, hidden = login.form("login-form")
        done = self.post(action, {**hidden, "email": account.email, "password": account.password})
        assert done.status == 303, done.text
        return self.get(done.location)

    def consent(self, page: Page, decision: str = "allow", workspace_id: str | None = None) -> Page:
        action, hidden = page.form("consent-form")
        chosen = workspace_id or re.search(r'<option value="([^"]+)"', page.text).group(1)
        return self.post(action, {**hidden, "workspace_id": chosen, "decision": decision})

    def code_for(self, url: str, account: Account | None = None) -> str:
        page = self.log_in(url, account) if account and "dq_web" not in self.cookies else self.get(url)
        answer = self.consent(page)
        assert answer.status == 302, answer.text
        return answer.redirect_params()["code"]


def basic(client: Client, secret: str | None = None) -> dict[str, str]:
    raw = f"{client.client_id}:{secret if secret is not None else client.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def exchange(browser: Browser, client: Client, code: str, verifier: str, **extra: str) -> Page:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
    data["code_verifier"] = verifier
    data.update(extra)
    data = {k: v for k, v in data.items() if v is not None}
    if client.secret is None:
        return browser.post("/oauth/token", {**data, "client_id": client.client_id})
    return browser.post("/oauth/token", data, basic(client))


def refresh(browser: Browser, client: Client, refresh_token: str, **extra: str) -> Page:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    if client.secret is None:
        return browser.post("/oauth/token", {**data, "client_id": client.client_id})
    return browser.post("/oauth/token", data, basic(client))
