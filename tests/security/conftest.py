"""What the security suite starts from: two tenants (workspace A, attacked; workspace B, the
attacker's) with a credential of every kind, and route-table helpers for generated tests.

One module per OWASP API Security Top 10 (2023) risk: test_api1_bola.py ... test_api10_*.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

import app  # noqa: F401  (declares the routes)
from chalicelib.api.routing import ROUTES, RouteSpec
from chalicelib.auth import scopes
from chalicelib.services import authz
from tests.functional.api.oauth.flow import Browser, authorize_url, exchange, make_app, pkce
from tests.helpers import Account, Api, create_workspace, register

ORIGIN = "https://blog.example.com"
# Every scope an OAuth app may be granted (the consent page offers the app's own).
OAUTH_SCOPES = tuple(s for s in scopes.ALL if s != scopes.ADMIN)


def route_id(route: RouteSpec) -> str:
    return f"{route.surface} {route.method} {route.path}"


def unique_routes(routes: list[RouteSpec]) -> list[RouteSpec]:
    """One Disqus route per endpoint (its .json, .jsonp and .rss run the same pipeline)."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for route in routes:
        key = (route.surface, route.method, route.path.rsplit(".", 1)[0] if route.surface == "disqus" else route.path)
        if key not in seen and not route.path.endswith((".jsonp", ".rss")):
            seen.add(key)
            out.append(route)
    return out


AUTHENTICATED = unique_routes([r for r in ROUTES if r.auth])


def fill_path(route: RouteSpec, values: dict[str, str] | None = None) -> str:
    """The route's path with the given ids, and fresh well-formed ids for the others."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if values and name in values:
            return values[name]
        if name == "code":
            return "0" * 32
        if name == "emoji":
            return "%F0%9F%91%8D"
        fresh = str(uuid.uuid4())
        for candidate in (fresh, f"wh_{fresh}"):  # a webhook id is prefixed
            try:
                route.params[name].clean(candidate, name)
                return candidate
            except Exception:  # a ValidationError: try the next spelling
                continue
        return fresh

    return re.sub(r"{(\w+)}", value, route.path)


@dataclass
class Credential:
    """How one kind of caller presents itself to each surface."""

    kind: str
    bearer: str | None = None
    public_key: str | None = None

    def call(self, api: Api, route: RouteSpec, path: str, body: Any = None) -> Any:
        headers: dict[str, str] = {}
        if self.public_key:
            if route.surface == "disqus":
                sep = "&" if "?" in path else "?"
                path = f"{path}{sep}api_key={self.public_key}"
                headers["Origin"] = ORIGIN
            else:  # the only credential other surfaces know is a Bearer token
                headers["Authorization"] = f"Bearer {self.public_key}"
        elif self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        if route.surface == "disqus":
            return api.call(route.method, path, raw=b"", headers=headers)
        return api.call(route.method, path, {} if body is None else body, headers=headers)


def mint(api: Api, account: Account, workspace_id: str, granted: Any, name: str = "probe") -> str:
    answer = api.post(
        f"/v1/workspaces/{workspace_id}/tokens", {"name": name, "scopes": sorted(granted)}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["token"]


def oauth_token(api: Api, account: Account, workspace_id: str, granted: tuple[str, ...] = OAUTH_SCOPES) -> str:
    client = make_app(account, workspace_id, scopes=granted)
    browser = Browser(api.client.http)
    verifier, challenge = pkce()
    consent = browser.log_in(authorize_url(client, challenge, scope=" ".join(granted)), account)
    answer = browser.consent(consent, workspace_id=workspace_id)
    assert answer.status == 302, answer.text
    issued = exchange(browser, client, answer.redirect_params()["code"], verifier)
    assert issued.status == 200, issued.text
    return issued.json()["access_token"]


def public_key(api: Api, account: Account, workspace_id: str) -> str:
    answer = api.post(
        f"/v1/workspaces/{workspace_id}/public-keys",
        {"domains": [ORIGIN.removeprefix("https://")]},
        token=account.access_token,
    )
    assert answer.status == 201, answer.body
    return answer.data["key"]


@dataclass
class Tenant:
    owner: Account
    workspace: dict[str, Any]

    @property
    def id(self) -> str:
        return self.workspace["id"]


@pytest.fixture
def tenant_a(api) -> Tenant:
    owner = register(api, "olive")
    return Tenant(owner, create_workspace(api, owner, "Victim"))


@pytest.fixture
def tenant_b(api) -> Tenant:
    owner = register(api, "mallory")
    return Tenant(owner, create_workspace(api, owner, "Attacker"))


# The scopes each kind of credential made by ``credential`` holds.
HELD = {
    "session": set(scopes.ALL),
    "admin_token": set(scopes.ALL),
    "api_token": set(scopes.ALL) - {scopes.ADMIN},
    "oauth": set(OAUTH_SCOPES),
    "public_key": {scopes.COMMENTS_READ},
}


@pytest.fixture
def credential(api, tenant_a) -> Any:
    """``credential(kind)``: a credential of that kind for workspace A's owner, holding the
    scopes in HELD (made on first use: an OAuth token costs a consent flow)."""
    owner, ws = tenant_a.owner, tenant_a.id
    made: dict[str, Credential] = {}
    makers = {
        "session": lambda: Credential("session", bearer=owner.access_token),
        "api_token": lambda: Credential("api_token", bearer=mint(api, owner, ws, HELD["api_token"])),
        "admin_token": lambda: Credential("admin_token", bearer=mint(api, owner, ws, HELD["admin_token"])),
        "oauth": lambda: Credential("oauth", bearer=oauth_token(api, owner, ws)),
        "public_key": lambda: Credential("public_key", public_key=public_key(api, owner, ws)),
    }

    def get(kind: str) -> Credential:
        if kind not in made:
            made[kind] = makers[kind]()
        return made[kind]

    return get


@pytest.fixture
def passes(monkeypatch) -> list[str]:
    """Records each request that passed the pipeline's caller and scope checks (the handler
    would run next): a refused request never appears, whatever the surface answers."""
    passed: list[str] = []
    original = authz.require_route

    def recording(principal: Any, requirement: str) -> None:
        original(principal, requirement)
        passed.append(principal.kind)

    monkeypatch.setattr(authz, "require_route", recording)
    return passed


# --- valid bodies from a route's schema (so a generated attack reaches the handler) ----------

_STRING_CANDIDATES = (
    "probe",
    "probe-1",
    "👍",
    "thumbsup",
    "someone@example.com",
    "https://hooks.example.com/in",
    "1",
    "image/png",
    "a" * 64,
)


def sample(field: Any, name: str = "", ids: dict[str, str] | None = None) -> Any:
    """A small value the field accepts (ids from ``ids`` by field name): the least a handler
    needs to run, so the attack tests what the service decides, not what validation refuses."""
    from chalicelib.http import schema

    ids = ids or {}
    if isinstance(field, schema.Obj):
        wanted = [n for n, f in field.fields.items() if f.required] or (
            list(field.fields)[:1] if field.at_least_one else []
        )
        return {n: sample(field.fields[n], n, ids) for n in wanted}
    if isinstance(field, schema.Enum):
        return field.values[0]
    if isinstance(field, schema.Bool):
        return True
    if isinstance(field, schema.Int):
        return field.minimum if field.minimum is not None and field.minimum > 0 else 1
    if isinstance(field, schema.List):
        singular = name[:-1] if name.endswith("s") else name
        return [sample(field.item, singular, ids)] * max(field.min_items, 1)
    if isinstance(field, schema.Id):
        return ids.get(name) or ids.get(name.removesuffix("Id") + "Id") or str(uuid.uuid4())
    if isinstance(field, schema.Str):
        if name == "emoji":
            return "👍"
        for candidate in _STRING_CANDIDATES:
            try:
                return field.check(candidate, name)
            except Exception:  # a ValidationError: try the next candidate
                continue
        return "probe"
    return "probe"


# --- offline DNS: public and private names (webhook URLs, SSRF) -------------------------------

PUBLIC_IP = "93.184.215.14"
NAMES = {
    "hooks.example.com": PUBLIC_IP,
    "loopback.example.com": "127.0.0.1",
    "metadata.example.com": "169.254.169.254",
    "intranet.example.com": "10.0.0.5",
    "carrier.example.com": "100.64.0.1",
    "v6-loopback.example.com": "::1",
    "v6-ula.example.com": "fd00:ec2::254",
    "mapped.example.com": "::ffff:127.0.0.1",
}


@pytest.fixture
def dns(monkeypatch):
    """Offline DNS for the names above (anything else is looked up for real)."""
    import socket

    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in NAMES:
            address = NAMES[host]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            where = (address, port or 443, 0, 0) if family == socket.AF_INET6 else (address, port or 443)
            return [(family, socket.SOCK_STREAM, 6, "", where)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return NAMES
