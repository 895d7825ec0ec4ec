"""Every route declares what a token needs, and the pipeline enforces it.

Generated from the route table (chalicelib.api.routing.ROUTES), so a new route that
forgets its scope, or a scope the pipeline stops checking, fails here. Issue 8, item 1.
"""

from __future__ import annotations

import uuid

import pytest

import app  # noqa: F401  (declares the routes)
from chalicelib.api.routing import ROUTES
from chalicelib.auth import scopes
from tests.helpers import create_workspace, join_workspace, register

AUTHENTICATED = [r for r in ROUTES if r.auth]
# v1 answers in its envelope; the Disqus surface's codes for a missing scope (12) and a
# credential of the wrong kind (9) are tested in tests/functional/api/disqus/test_protocol.py.
SCOPED = [r for r in AUTHENTICATED if r.scope in scopes.ALL and r.surface == "v1"]
# (the Disqus surface's session-only forums/create refuses a token with code 12:
# tests/functional/api/disqus/test_forum_endpoints.py)
SESSION_ONLY = [r for r in AUTHENTICATED if r.scope == scopes.SESSION and r.surface == "v1"]


def _mint(api, account, workspace_id, granted):
    answer = api.post(
        f"/v1/workspaces/{workspace_id}/tokens",
        {"name": "probe", "scopes": sorted(granted)},
        token=account.access_token,
    )
    assert answer.status == 201, answer.body
    return answer.data["token"]


def _path(route, workspace_id):
    """The route's path with the token's own workspace and unknown ids elsewhere:
    the scope must be refused before anything is looked up."""
    path = route.path.replace("{workspaceId}", workspace_id)
    for name in route.params:
        value = "0" * 32 if name == "code" else ("%F0%9F%91%8D" if name == "emoji" else str(uuid.uuid4()))
        path = path.replace("{" + name + "}", value)
    return path


@pytest.fixture
def owner_ws(api):
    owner = register(api, "olive")
    return owner, create_workspace(api, owner)


def test_every_authenticated_route_declares_a_requirement():
    assert AUTHENTICATED, "no routes found"
    allowed = set(scopes.ALL) | {scopes.SESSION, scopes.ANY_TOKEN}
    undeclared = [(r.method, r.path) for r in AUTHENTICATED if r.scope not in allowed]
    assert undeclared == []


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
    token = _mint(api, owner, ws["id"], set(scopes.ALL) - {route.scope})
    answer = api.call(route.method, _path(route, ws["id"]), {}, token=token)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE"), answer.body


@pytest.mark.parametrize("route", SESSION_ONLY, ids=lambda r: f"{r.method} {r.path}")
def test_a_token_with_every_scope_is_refused_on_session_routes(api, owner_ws, route):
    owner, ws = owner_ws
    token = _mint(api, owner, ws["id"], scopes.ALL)
    answer = api.call(route.method, _path(route, ws["id"]), {}, token=token)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE"), answer.body


def test_the_probe_a_read_token_of_an_admin_does_no_admin_work(api, owner_ws):
    """What probing found: a messages:read token minted by an admin renamed the
    workspace, listed and revoked invites and removed a member."""
    owner, ws = owner_ws
    member = register(api, "mike")
    join_workspace(ws, member)
    invite = api.post(f"/v1/workspaces/{ws['id']}/invites", {}, token=owner.access_token).data
    token = _mint(api, owner, ws["id"], {scopes.MESSAGES_READ})
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
    plain = _mint(api, owner, ws["id"], {scopes.MESSAGES_WRITE})
    refused = api.delete(f"/v1/messages/{theirs['id']}", token=plain)
    assert (refused.status, refused.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    admin = _mint(api, owner, ws["id"], {scopes.MESSAGES_WRITE, scopes.ADMIN})
    assert api.delete(f"/v1/messages/{theirs['id']}", token=admin).status == 204


def test_the_admin_scope_never_lifts_a_token_above_its_users_role(api, owner_ws):
    owner, ws = owner_ws
    member = register(api, "mike")
    join_workspace(ws, member, role="admin")
    token = _mint(api, member, ws["id"], {scopes.ADMIN})
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
