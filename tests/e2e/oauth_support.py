"""What the OAuth e2e tests share: a verified workspace admin, an app registered over
the API, PKCE, and a reader for the authorize page's HTML.

The page's markup is the contract between the OAuth server and these tests
(/work/notes/oauth-contract.md, "The HTML contract"): form ids, field names, the
hidden ``csrf_token`` and ``action`` inputs, ``<ul id="scopes">`` with ``data-scope``
items, ``<p role="alert">`` for errors. The reader looks only at those.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import requests

from tests.e2e.accounts import PASSWORD, sign_up
from tests.e2e.harness import Devserver

# Where apps say they live: nothing listens there, the tests read the redirect itself.
REDIRECT_URI = "http://127.0.0.1:8765/callback"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Admin:
    """A verified user who owns a fresh workspace (so may register apps in it)."""

    email: str
    password: str
    user_id: str
    workspace_id: str
    headers: dict[str, str]


def signed_up_admin(server: Devserver, name: str) -> Admin:
    """Register, follow the verification link, log in and create a workspace."""
    api = server.base_url
    account = sign_up(server, f"{name}{uuid.uuid4().hex[:8]}", name.title())
    headers = account.headers
    workspace = requests.post(f"{api}/v1/workspaces", json={"name": f"{name.title()} Co"}, headers=headers, timeout=10)
    assert workspace.status_code == 201, workspace.text
    return Admin(account.email, PASSWORD, account.user_id, workspace.json()["data"]["id"], headers)


def create_app(
    server: Devserver,
    admin: Admin,
    *,
    name: str,
    scopes: list[str],
    public: bool = False,
    distributed: bool = False,
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
) -> dict:
    """Register an app in the admin's workspace over the apps API; its view (with the
    client secret, shown this once, for a confidential app)."""
    created = requests.post(
        f"{server.base_url}/v1/workspaces/{admin.workspace_id}/apps",
        json={
            "name": name,
            "description": "Posts a daily digest of your channels.",
            "homepageUrl": "https://digest.example.com",
            "redirectUris": list(redirect_uris),
            "scopes": scopes,
            "public": public,
            "distributed": distributed,
        },
        headers=admin.headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    app = created.json()["data"]
    assert app["clientId"].startswith("dqc_")
    assert ("clientSecret" in app) is not public, app
    return app


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(
    server: Devserver, client_id: str, scope: str, state: str, challenge: str, redirect_uri: str = REDIRECT_URI
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{server.base_url}/oauth/authorize?{urlencode(query)}"


def same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


# ---- reading the page ---------------------------------------------------------------


@dataclass
class Form:
    id: str | None
    method: str
    action: str
    values: dict[str, str] = field(default_factory=dict)  # inputs with a name, as the page fills them
    input_attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    options: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)  # select -> (value, label, selected)
    buttons: list[dict[str, str]] = field(default_factory=list)  # attrs + "text"

    def url(self, page_url: str) -> str:
        return urljoin(page_url, self.action or page_url)


@dataclass
class Page:
    lang: str | None = None
    h1: str = ""
    alerts: list[str] = field(default_factory=list)
    scopes: dict[str, str] = field(default_factory=dict)  # data-scope -> plain words
    links: list[str] = field(default_factory=list)
    forms: dict[str | None, Form] = field(default_factory=dict)
    has_main: bool = False
    scripts: int = 0
    external: list[str] = field(default_factory=list)  # src/href of stylesheets, images, scripts


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._form: Form | None = None
        self._select: str | None = None
        self._option: dict[str, str] | None = None
        self._capture: list[tuple[str, list[str]]] = []  # (tag, text parts) being collected

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        page = self.page
        if tag == "html":
            page.lang = attrs.get("lang")
        elif tag == "main":
            page.has_main = True
        elif tag == "script":
            page.scripts += 1
        if tag in ("link", "img", "script", "iframe") and (attrs.get("src") or attrs.get("href")):
            page.external.append(attrs.get("src") or attrs["href"])
        if tag == "a" and attrs.get("href"):
            page.links.append(attrs["href"])
        if tag == "form":
            self._form = Form(attrs.get("id"), attrs.get("method", "get").lower(), attrs.get("action", ""))
            page.forms[self._form.id] = self._form
        elif tag == "input" and self._form is not None and attrs.get("name"):
            self._form.input_attrs[attrs["name"]] = attrs
            self._form.values[attrs["name"]] = attrs.get("value", "")
        elif tag == "select" and self._form is not None:
            self._select = attrs.get("name")
            self._form.options[self._select or ""] = []
        elif tag == "option" and self._select is not None:
            self._option = attrs
        elif tag == "button" and self._form is not None:
            self._capture.append(("button", []))
            self._form.buttons.append(dict(attrs))
        if tag == "h1" or (tag == "p" and attrs.get("role") == "alert") or (tag == "li" and "data-scope" in attrs):
            self._capture.append((tag if tag != "li" else f"li:{attrs['data-scope']}", []))
        if tag == "option" and self._select is not None:
            self._capture.append(("option", []))

    def handle_data(self, data: str) -> None:
        for _, parts in self._capture:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        if not self._capture:
            return
        name, parts = self._capture[-1]
        if name.split(":")[0] != tag and not (tag == "p" and name == "p"):
            return
        self._capture.pop()
        text = " ".join("".join(parts).split())
        if name == "h1":
            self.page.h1 = text
        elif name == "p":
            self.page.alerts.append(text)
        elif name.startswith("li:"):
            self.page.scopes[name[3:]] = text
        elif name == "button" and self._form is not None:
            self._form.buttons[-1]["text"] = text
        elif name == "option" and self._form is not None and self._option is not None:
            value = self._option.get("value", text)
            selected = "selected" in self._option
            self._form.options[self._select or ""].append((value, text, selected))
            self._option = None


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page
