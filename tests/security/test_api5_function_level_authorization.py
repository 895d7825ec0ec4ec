"""OWASP API5:2023 Broken Function Level Authorization: every route declares who may call
it (``callers``) and what a token needs (``scope``), and the pipeline enforces both.

Generated from the route table (chalicelib.api.routing.ROUTES), so a new route that
forgets its declaration, or a declaration the pipeline stops checking, fails here; then each
role against each admin action. The declarations are listed in docs/permissions.md.
"""

from __future__ import annotations

import pytest

from chalicelib.api.routing import ROUTES
from chalicelib.auth import principal, scopes
from tests.helpers import create_workspace, join_workspace, register
from tests.security.conftest import AUTHENTICATED, HELD, fill_path, mint, route_id

# v1 answers in its envelope; the Disqus surface's codes for a missing scope (12) and a
# credential of the wrong kind (9) are tested in tests/functional/api/disqus/test_protocol.py.
SCOPED = [r for r in AUTHENTICATED if r.scope in scopes.ALL and r.surface == "v1"]
SESSION_ONLY = [r for r in AUTHENTICATED if r.scope == scopes.SESSION and r.surface == "v1"]
# The kinds of credential a caller can present, and the principal each becomes.
PRESENTED = ("session", "api_token", "admin_token", "oauth", "public_key")


@pytest.fixture
def owner_ws(api):
    owner = register(api, "olive")
    return owner, create_workspace(api, owner)


def test_every_route_declares_its_callers_and_scope():
    """API5, an undeclared route: each route says who may call it and what a token needs;
    an anonymous route says so, and no route takes anonymous callers besides them."""
    assert AUTHENTICATED, "no routes found"
    allowed = set(scopes.ALL) | {scopes.SESSION, scopes.ANY_TOKEN}
    undeclared = [(r.method, r.path) for r in AUTHENTICATED if r.scope not in allowed or not r.callers]
    assert undeclared == []
    for route in ROUTES:
        assert set(route.callers) <= set(principal.CALLERS), route_id(route)
        assert (principal.ANONYMOUS in route.callers) == (not route.auth) == (route.callers == (principal.ANONYMOUS,))
        if route.scope == scopes.SESSION:
            assert route.callers == (principal.SESSION,), route_id(route)


def _admitted(route, presented):
    """Whether the route's declaration takes this credential (an Admin Access Token is an
    API token holding the admin scope: an API token to v1 and Disqus) and it holds the scope."""
    kinds = {"admin_token": (principal.API_TOKEN, principal.ADMIN_TOKEN)}.get(presented, (presented,))
    caller = any(kind in route.callers for kind in kinds)
    return caller and (route.scope in (scopes.SESSION, scopes.ANY_TOKEN) or route.scope in HELD[presented])


@pytest.mark.parametrize("presented", PRESENTED)
def test_the_wrong_kind_of_caller_is_refused_before_the_handler(api, credential, tenant_a, passes, presented):
    """API5, calling a function with the wrong kind of credential: for every route, a
    credential its declaration does not take (an OAuth token on app management, an API token
    on a session route, a public key on a write, a login on Admin v2) or without the route's
    scope is refused before the handler runs; one it takes gets past both checks."""
    caller = credential(presented)
    wrong = []
    for route in AUTHENTICATED:
        passes.clear()
        answer = caller.call(api, route, fill_path(route, {"workspaceId": tenant_a.id}))
        admitted = _admitted(route, presented)
        if bool(passes) != admitted or (not admitted and answer.status < 400):
            wrong.append((route_id(route), answer.status, passes[:]))
    assert wrong == [], "\n".join(map(str, wrong))


def test_admin_work_needs_the_admin_scope():
    """The reference's "admin" column. Role changes and new invites are stricter still:
    a login session only (a leaked token must not hand out access)."""
    requirement = {(r.method, r.path): r.scope for r in ROUTES}
    for route in (
        ("PATCH", "/v1/workspaces/{workspaceId}"),
        ("DELETE", "/v1/workspaces/{workspaceId}/members/{userId}"),
        ("GET", "/v1/workspaces/{workspaceId}/invites"),
        ("DELETE", "/v1/workspaces/{workspaceId}/invites/{inviteId}"),
    ):
        assert requirement[route] == scopes.ADMIN, route
    for route in (
        ("PATCH", "/v1/workspaces/{workspaceId}/members/{userId}"),
        ("POST", "/v1/workspaces/{workspaceId}/invites"),
        ("POST", "/v1/workspaces/{workspaceId}/tokens"),
    ):
        assert requirement[route] == scopes.SESSION, route


@pytest.mark.parametrize("route", SCOPED, ids=lambda r: f"{r.method} {r.path}")
def test_a_token_without_the_routes_scope_is_refused(api, owner_ws, route):
    owner, ws = owner_ws
    token = mint(api, owner, ws["id"], set(scopes.ALL) - {route.scope})
    answer = api.call(route.method, fill_path(route, {"workspaceId": ws["id"]}), {}, token=token)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE"), answer.body


@pytest.mark.parametrize("route", SESSION_ONLY, ids=lambda r: f"{r.method} {r.path}")
def test_a_token_with_every_scope_is_refused_on_session_routes(api, owner_ws, route):
    owner, ws = owner_ws
    token = mint(api, owner, ws["id"], scopes.ALL)
    answer = api.call(route.method, fill_path(route, {"workspaceId": ws["id"]}), {}, token=token)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE"), answer.body


def test_the_probe_a_read_token_of_an_admin_does_no_admin_work(api, owner_ws):
    """What probing found: a messages:read token minted by an admin renamed the
    workspace, listed and revoked invites and removed a member."""
    owner, ws = owner_ws
    member = register(api, "mike")
    join_workspace(ws, member)
    invite = api.post(f"/v1/workspaces/{ws['id']}/invites", {}, token=owner.access_token).data
    token = mint(api, owner, ws["id"], {scopes.MESSAGES_READ})
    base = f"/v1/workspaces/{ws['id']}"
    for method, path, body in (
        ("PATCH", base, {"name": "Pwned"}),
        ("GET", f"{base}/invites", None),
        ("DELETE", f"{base}/invites/{invite['id']}", None),
        ("DELETE", f"{base}/members/{member.user_id}", None),
    ):
        answer = api.call(method, path, body, token=token)
        assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE"), (method, path)
    assert api.get(base, token=owner.access_token).data["name"] == "Acme"
    assert len(api.get(f"{base}/members", token=owner.access_token).data) == 2


def test_admin_powers_inside_routes_need_the_admin_scope(api, owner_ws):
    """An admin's messages:write token deletes its own messages, not others'."""
    owner, ws = owner_ws
    member = register(api, "mike")
    join_workspace(ws, member)
    channel = ws["generalChannelId"]
    theirs = api.post(f"/v1/channels/{channel}/messages", {"content": "mine"}, token=member.access_token).data
    plain = mint(api, owner, ws["id"], {scopes.MESSAGES_WRITE})
    refused = api.delete(f"/v1/messages/{theirs['id']}", token=plain)
    assert (refused.status, refused.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    admin = mint(api, owner, ws["id"], {scopes.MESSAGES_WRITE, scopes.ADMIN})
    assert api.delete(f"/v1/messages/{theirs['id']}", token=admin).status == 204


def test_the_admin_scope_never_lifts_a_token_above_its_users_role(api, owner_ws):
    owner, ws = owner_ws
    member = register(api, "mike")
    join_workspace(ws, member, role="admin")
    token = mint(api, member, ws["id"], {scopes.ADMIN})
    assert api.patch(f"/v1/workspaces/{ws['id']}", {"name": "Renamed"}, token=token).status == 200
    demoted = api.patch(
        f"/v1/workspaces/{ws['id']}/members/{member.user_id}", {"role": "member"}, token=owner.access_token
    )
    assert demoted.status == 200, demoted.body
    answer = api.patch(f"/v1/workspaces/{ws['id']}", {"name": "Again"}, token=token)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")


def test_members_cannot_mint_admin_tokens(api, owner_ws):
    _owner, ws = owner_ws
    member = register(api, "mike")
    join_workspace(ws, member)
    answer = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "x", "scopes": ["admin"]}, token=member.access_token
    )
    assert (answer.status, answer.error["code"], answer.error["field"]) == (403, "E_AUTHZ_FORBIDDEN", "scopes")


# --- each role x each admin action (generated) -------------------------------------------------

ADMIN_SCOPES = (scopes.ADMIN, scopes.WEBHOOKS_READ, scopes.WEBHOOKS_WRITE)
ADMIN_ACTIONS = [
    r
    for r in AUTHENTICATED
    if r.surface == "v1"
    and set(r.params) == {"workspaceId"}
    and (r.scope in ADMIN_SCOPES or (r.method, r.path) == ("POST", "/v1/workspaces/{workspaceId}/invites"))
]


@pytest.mark.parametrize("role", ["member", "admin", "owner"])
def test_each_role_against_each_admin_action(api, tenant_a, dns, role):
    """API5, a member calling admin functions: every workspace-level admin action (settings,
    invites, apps, installations, public keys, webhooks) is 403 E_AUTHZ_FORBIDDEN to a
    member, and gets past the role check for an admin and an owner (with a session: every
    scope). Generated from the route table: a new admin route joins the matrix by itself."""
    from tests.security.conftest import sample

    assert len(ADMIN_ACTIONS) >= 8, [route_id(r) for r in ADMIN_ACTIONS]
    caller = tenant_a.owner
    if role != "owner":
        caller = register(api, f"role-{role}")
        join_workspace(tenant_a.workspace, caller, role=role)
    wrong = []
    for route in ADMIN_ACTIONS:
        body = sample(route.body, ids={"workspaceId": tenant_a.id}) if route.body is not None else None
        answer = api.call(route.method, fill_path(route, {"workspaceId": tenant_a.id}), body, token=caller.access_token)
        code = answer.body["error"]["code"] if answer.status >= 400 else None
        refused = (answer.status, code) == (403, "E_AUTHZ_FORBIDDEN")
        if refused != (role == "member") or answer.status == 404:
            wrong.append((route_id(route), role, answer.status, code))
    assert wrong == [], "\n".join(map(str, wrong))
