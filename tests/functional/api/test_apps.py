"""OAuth apps and installations: registration, validation, secrets shown once and kept
hashed, who may do what, paging, uninstalling and deleting (which revoke grants)."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib import config
from chalicelib.auth import scopes, tokens
from chalicelib.auth.principal import Principal
from chalicelib.errors import InsufficientScope
from chalicelib.ids import new_id, now_iso
from chalicelib.services import apps as app_service
from chalicelib.store import apps as app_store
from chalicelib.store import oauth as oauth_store
from chalicelib.store.models import App, Event, Session
from chalicelib.store.outbox import new_event
from tests.helpers import create_workspace, join_workspace, register

REDIRECT = "https://client.example.com/callback"


def _body(**overrides):
    return {
        "name": "Zapier-ish",
        "redirectUris": [REDIRECT],
        "scopes": ["messages:read", "channels:read"],
        "public": False,
        "distributed": True,
        **overrides,
    }


def _create(api, account, ws, token=None, **overrides):
    return api.post(f"/v1/workspaces/{ws['id']}/apps", _body(**overrides), token=token or account.access_token)


def _created(api, account, ws, **overrides):
    answer = _create(api, account, ws, **overrides)
    assert answer.status == 201, answer.body
    return answer.data


def _mint(api, account, ws, granted):
    answer = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "probe", "scopes": sorted(granted)}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["token"]


def _stored(app_id) -> App | None:
    return app_store.get(app_id)


def _events(event_type, workspace_id):
    return [e.data for e in Event.scan(Event.event_type == event_type) if e.workspace_id == workspace_id]


def _grant(app_id, workspace_id, user_id, granted=("messages:read",)) -> Session:
    grant = oauth_store.new_grant(
        new_id(),
        user_id,
        token_hash=tokens.sha256_hex(new_id()),
        created_at=now_iso(),
        expires_at=2_000_000_000,
        app_id=app_id,
        workspace_id=workspace_id,
        scopes=set(granted),
    )
    grant.save()
    return grant


def _revoked(grant: Session) -> tuple[bool, str | None]:
    fresh = Session.get(grant.PK, grant.SK)
    return bool(fresh.revoked), fresh.revoked_reason


def _install(app_id, workspace_id, by, granted=("messages:read",)):
    app_store.install(
        app_store.new_installation(app_id, workspace_id, installed_by=by, scopes=set(granted), created_at=now_iso()),
        new_event("app.installed", {"appId": app_id}, workspace_id=workspace_id),
    )


@pytest.fixture
def other(api):
    """Another workspace with its own owner."""
    owner = register(api, "olga")
    return create_workspace(api, owner, "Other"), owner


# --- create, read, secrets ------------------------------------------------------------


def test_create_shows_the_secret_once_and_stores_only_its_hash(api, team):
    ws, owner, _ = team
    app = _created(api, owner, ws, description="Syncs things", homepageUrl="https://client.example.com")
    secret = app["clientSecret"]
    assert secret.startswith("dqs_") and len(secret) == 47
    assert app["clientId"] == tokens.client_id_for(app["id"])
    assert tokens.app_id_from_client_id(app["clientId"]) == app["id"]
    assert app["clientSecretHint"] == f"dqs_…{secret[-4:]}"
    assert (app["name"], app["redirectUris"], app["scopes"]) == (
        "Zapier-ish",
        [REDIRECT],
        ["channels:read", "messages:read"],
    )
    assert (app["public"], app["distributed"], app["workspaceId"]) == (False, True, ws["id"])
    assert (app["description"], app["homepageUrl"], app["createdBy"]) == (
        "Syncs things",
        "https://client.example.com",
        owner.user_id,
    )
    got = api.get(f"/v1/apps/{app['id']}", token=owner.access_token)
    listed = api.get(f"/v1/workspaces/{ws['id']}/apps", token=owner.access_token)
    assert got.data["id"] == app["id"] and [a["id"] for a in listed.data] == [app["id"]]
    for answer in (got, listed):
        assert secret not in str(answer.body)
        shown = answer.data if isinstance(answer.data, list) else [answer.data]
        assert all("clientSecret" not in a for a in shown)
    stored = _stored(app["id"])
    assert secret not in str(stored.attribute_values)
    assert stored.secret_hash == tokens.sha256_hex(secret) and stored.secret_hint == secret[-4:]
    installation = app_store.get_installation(app["id"], ws["id"])
    assert installation.installed_by == owner.user_id and installation.scopes == {"messages:read", "channels:read"}
    assert _events("app.created", ws["id"])[0]["appId"] == app["id"]


def test_a_public_app_has_no_secret(api, team):
    ws, owner, _ = team
    app = _created(api, owner, ws, public=True)
    assert "clientSecret" not in app and app["clientSecretHint"] is None and app["public"] is True
    stored = _stored(app["id"])
    assert stored.secret_hash is None and stored.secret_hint is None


def test_an_idempotent_replay_of_create_does_not_show_the_secret(api, team):
    ws, owner, _ = team
    path, headers = f"/v1/workspaces/{ws['id']}/apps", {"Idempotency-Key": "create-app-1"}
    first = api.post(path, _body(), token=owner.access_token, headers=headers)
    again = api.post(path, _body(), token=owner.access_token, headers=headers)
    assert first.data["clientSecret"] and again.data["clientSecret"] is None
    assert again.data["id"] == first.data["id"]


def test_rotating_the_secret_changes_the_hash_and_shows_the_new_one_once(api, team):
    ws, owner, _ = team
    app = _created(api, owner, ws)
    rotated = api.post(f"/v1/apps/{app['id']}/rotate-secret", token=owner.access_token)
    assert rotated.status == 200, rotated.body
    new = rotated.data["clientSecret"]
    assert new.startswith("dqs_") and new != app["clientSecret"]
    assert rotated.data["clientSecretHint"] == f"dqs_…{new[-4:]}"
    stored = _stored(app["id"])
    assert stored.secret_hash == tokens.sha256_hex(new) != tokens.sha256_hex(app["clientSecret"])
    assert new not in str(stored.attribute_values)
    assert new not in str(api.get(f"/v1/apps/{app['id']}", token=owner.access_token).body)
    assert any(e["fields"] == ["clientSecret"] for e in _events("app.updated", ws["id"]))


def test_a_public_app_has_no_secret_to_rotate(api, team):
    ws, owner, _ = team
    app = _created(api, owner, ws, public=True)
    answer = api.post(f"/v1/apps/{app['id']}/rotate-secret", token=owner.access_token)
    assert (answer.status, answer.error["code"]) == (409, "E_CONFLICT")
    assert _stored(app["id"]).secret_hash is None


# --- validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": 5}, "name"),
        ({"name": "bad\u202ename"}, "name"),
        ({"redirectUris": []}, "redirectUris"),
        ({"redirectUris": [f"https://client.example.com/cb{i}" for i in range(11)]}, "redirectUris"),
        ({"redirectUris": REDIRECT}, "redirectUris"),
        ({"redirectUris": [5]}, "redirectUris[0]"),
        ({"redirectUris": ["not a url"]}, "redirectUris[0]"),
        ({"redirectUris": ["/relative/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["http://client.example.com/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["http://127.0.0.1:8080/callback"]}, "redirectUris[0]"),  # not on the test stage
        ({"redirectUris": ["http://localhost/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://client.example.com/callback#frag"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://client.example.com/callback#"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://user:pw@client.example.com/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://user@client.example.com/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://*.example.com/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://client.example.com/*"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://client.example.com:99999/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://client.example.com:abc/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://exa mple.com/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["https://bad_host.example.com/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["https:///callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["com.example.app:/callback"]}, "redirectUris[0]"),
        ({"redirectUris": ["javascript:alert(1)"]}, "redirectUris[0]"),
        ({"redirectUris": [REDIRECT, "ftp://client.example.com/x"]}, "redirectUris[1]"),
        ({"scopes": []}, "scopes"),
        ({"scopes": "messages:read"}, "scopes"),
        ({"scopes": ["messages:read", "everything"]}, "scopes[1]"),
        ({"public": "yes"}, "public"),
        ({"public": None}, "public"),
        ({"distributed": 1}, "distributed"),
        ({"description": "x" * 501}, "description"),
        ({"description": 5}, "description"),
        ({"homepageUrl": "http://client.example.com"}, "homepageUrl"),
        ({"homepageUrl": "not a url"}, "homepageUrl"),
        ({"homepageUrl": "https://user:pw@client.example.com"}, "homepageUrl"),
        ({"homepageUrl": ["https://client.example.com"]}, "homepageUrl"),
        ({"clientSecret": "dqs_mine"}, "clientSecret"),
        ({"workspaceId": new_id()}, "workspaceId"),
    ],
)
def test_bad_input_names_the_field(api, team, overrides, field):
    ws, owner, _ = team
    answer = _create(api, owner, ws, **overrides)
    assert (answer.status, answer.error["code"], answer.error.get("field")) == (400, "E_VALIDATION", field), answer.body


@pytest.mark.parametrize("missing", ["name", "redirectUris", "scopes", "public", "distributed"])
def test_required_fields(api, team, missing):
    ws, owner, _ = team
    body = _body()
    del body[missing]
    answer = api.post(f"/v1/workspaces/{ws['id']}/apps", body, token=owner.access_token)
    assert (answer.status, answer.error["field"]) == (400, missing)


def test_ten_redirect_uris_with_query_and_port_are_kept_exactly(api, team):
    ws, owner, _ = team
    uris = [f"https://client.example.com:8443/cb/{i}?tenant=a" for i in range(9)] + ["https://[2001:db8::1]/cb"]
    app = _created(api, owner, ws, redirectUris=uris)
    assert app["redirectUris"] == uris


@pytest.fixture
def local_stage(monkeypatch):
    local = dataclasses.replace(config.get_settings(), stage="local")
    monkeypatch.setattr(app_service, "get_settings", lambda: local)


@pytest.mark.parametrize("uri", ["http://127.0.0.1:8765/callback", "http://localhost/cb", "http://localhost:3000/"])
def test_the_local_stage_allows_loopback_http(api, team, local_stage, uri):
    ws, owner, _ = team
    assert _created(api, owner, ws, redirectUris=[uri])["redirectUris"] == [uri]


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.2/cb", "http://localhost.evil.example/cb", "http://example.com/cb", "http://[::1]/cb"]
)
def test_the_local_stage_allows_only_loopback_http(api, team, local_stage, uri):
    ws, owner, _ = team
    answer = _create(api, owner, ws, redirectUris=[uri])
    assert (answer.status, answer.error["field"]) == (400, "redirectUris[0]")


# --- update --------------------------------------------------------------------------


def test_patch_changes_what_it_names(api, team):
    ws, owner, _ = team
    app = _created(api, owner, ws, description="old", homepageUrl="https://client.example.com")
    changed = api.patch(
        f"/v1/apps/{app['id']}",
        {"name": "Renamed", "redirectUris": ["https://new.example.com/cb"], "description": None, "distributed": False},
        token=owner.access_token,
    )
    assert changed.status == 200, changed.body
    data = changed.data
    assert (data["name"], data["redirectUris"], data["description"], data["distributed"]) == (
        "Renamed",
        ["https://new.example.com/cb"],
        None,
        False,
    )
    assert data["homepageUrl"] == "https://client.example.com" and data["updatedAt"] >= app["updatedAt"]
    stored = _stored(app["id"])
    assert stored.name == "Renamed" and stored.description is None and stored.secret_hash  # secret untouched
    assert api.get(f"/v1/apps/{app['id']}", token=owner.access_token).data == data
    assert any(
        sorted(e["fields"]) == sorted(["name", "redirectUris", "description", "distributed"])
        for e in _events("app.updated", ws["id"])
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"public": True}, "public"),
        ({"clientId": "dqc_x"}, "clientId"),
        ({"redirectUris": ["https://a.example.com/cb#x"]}, "redirectUris[0]"),
        ({"redirectUris": []}, "redirectUris"),
        ({"scopes": ["root"]}, "scopes[0]"),
        ({"name": None}, "name"),
        ({"homepageUrl": "ftp://a.example.com"}, "homepageUrl"),
    ],
)
def test_patch_validation(api, team, body, field):
    ws, owner, _ = team
    app = _created(api, owner, ws)
    answer = api.patch(f"/v1/apps/{app['id']}", body, token=owner.access_token)
    assert (answer.status, answer.error["field"]) == (400, field), answer.body


def test_narrowing_scopes_revokes_the_grants_holding_a_removed_one(api, team, other):
    ws, owner, member = team
    other_ws, other_owner = other
    app = _created(api, owner, ws, scopes=["messages:read", "channels:read", "files:read"])
    _install(app["id"], other_ws["id"], other_owner.user_id, ("messages:read", "files:read"))
    reader = _grant(app["id"], ws["id"], member.user_id, ("messages:read",))
    filer = _grant(app["id"], other_ws["id"], other_owner.user_id, ("messages:read", "files:read"))
    answer = api.patch(f"/v1/apps/{app['id']}", {"scopes": ["messages:read", "users:read"]}, token=owner.access_token)
    assert answer.status == 200 and answer.data["scopes"] == ["messages:read", "users:read"]
    assert _revoked(reader) == (False, None)
    assert _revoked(filer) == (True, "app-scopes-narrowed")
    # its own workspace follows the app; another keeps only what its admin approved
    assert app_store.get_installation(app["id"], ws["id"]).scopes == {"messages:read", "users:read"}
    assert app_store.get_installation(app["id"], other_ws["id"]).scopes == {"messages:read"}


# --- listing -------------------------------------------------------------------------


def test_apps_are_listed_a_page_at_a_time(api, team, other):
    ws, owner, _ = team
    other_ws, other_owner = other
    made = [_created(api, owner, ws, name=f"App {i}")["id"] for i in range(3)]
    _created(api, other_owner, other_ws)  # not listed in ws
    first = api.get(f"/v1/workspaces/{ws['id']}/apps?limit=2", token=owner.access_token)
    assert [a["id"] for a in first.data] == made[:2] and first.body["pagination"]["hasMore"] is True
    cursor = first.body["pagination"]["nextCursor"]
    second = api.get(f"/v1/workspaces/{ws['id']}/apps?limit=2&cursor={cursor}", token=owner.access_token)
    assert [a["id"] for a in second.data] == made[2:] and second.body["pagination"]["hasMore"] is False
    bad = api.get(f"/v1/workspaces/{ws['id']}/apps?limit=0", token=owner.access_token)
    assert (bad.status, bad.error["field"]) == (400, "limit")


# --- permissions ---------------------------------------------------------------------


def _actors(api, team, other):
    """name -> bearer token."""
    ws, owner, member = team
    other_ws, other_owner = other
    admin = register(api, "adam")
    join_workspace(ws, admin, role="admin")
    return {
        "owner": owner.access_token,
        "admin": admin.access_token,
        "member": member.access_token,
        "outsider": other_owner.access_token,
        "admin-token": _mint(api, owner, ws, {scopes.ADMIN}),
        "token-without-admin": _mint(api, owner, ws, set(scopes.ALL) - {scopes.ADMIN}),
        "member-token": _mint(api, member, ws, set(scopes.ALL) - {scopes.ADMIN}),
        "other-workspace-admin-token": _mint(api, other_owner, other_ws, {scopes.ADMIN}),
    }


ALLOWED = {"owner", "admin", "admin-token"}
SCOPE = (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
# actor -> (answer on /v1/workspaces/{ws}/..., answer on /v1/apps/{id}...)
REFUSED = {
    "member": ((403, "E_AUTHZ_FORBIDDEN"), (404, "E_NOT_FOUND")),
    "outsider": ((404, "E_NOT_FOUND"), (404, "E_NOT_FOUND")),
    "token-without-admin": (SCOPE, SCOPE),
    "member-token": (SCOPE, SCOPE),
    "other-workspace-admin-token": ((403, "E_AUTHZ_NOT_MEMBER"), (404, "E_NOT_FOUND")),
}


def test_permissions_table(api, team, other):
    ws, owner, _ = team
    other_ws, other_owner = other
    actors = _actors(api, team, other)
    for name, token in actors.items():
        app = _created(api, owner, ws)
        foreign = _created(api, other_owner, other_ws)
        _install(foreign["id"], ws["id"], owner.user_id)
        calls = {
            "create": ("POST", f"/v1/workspaces/{ws['id']}/apps", _body(), 201, 0),
            "list": ("GET", f"/v1/workspaces/{ws['id']}/apps", None, 200, 0),
            "installations": ("GET", f"/v1/workspaces/{ws['id']}/installations", None, 200, 0),
            "get": ("GET", f"/v1/apps/{app['id']}", None, 200, 1),
            "patch": ("PATCH", f"/v1/apps/{app['id']}", {"name": "New"}, 200, 1),
            "rotate": ("POST", f"/v1/apps/{app['id']}/rotate-secret", None, 200, 1),
            "uninstall": ("DELETE", f"/v1/workspaces/{ws['id']}/installations/{foreign['id']}", None, 204, 0),
            "delete": ("DELETE", f"/v1/apps/{app['id']}", None, 204, 1),
        }
        for operation, (method, path, body, ok, kind) in calls.items():
            answer = api.call(method, path, body, token=token)
            if name in ALLOWED:
                assert answer.status == ok, (name, operation, answer.body)
            else:
                got = (answer.status, answer.error["code"])
                assert got == REFUSED[name][kind], (name, operation, answer.body)
        assert (_stored(app["id"]) is None) == (name in ALLOWED)


def test_the_other_workspaces_app_is_not_found_even_for_its_admins_elsewhere(api, team, other):
    ws, owner, _ = team
    _other_ws, other_owner = other
    app = _created(api, owner, ws)
    for method, body in (("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)):
        answer = api.call(method, f"/v1/apps/{app['id']}", body, token=other_owner.access_token)
        assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")
    missing = api.get(f"/v1/apps/{new_id()}", token=owner.access_token)
    assert (missing.status, missing.error["code"]) == (404, "E_NOT_FOUND")


def test_an_apps_own_token_never_manages_apps(api, team):
    """An OAuth token (kind "oauth", helper E's authn) is refused even with the admin scope."""
    ws, owner, _ = team
    app = _created(api, owner, ws)
    oauth = Principal(
        user_id=owner.user_id,
        kind="oauth",
        scopes=frozenset(scopes.ALL),
        workspace_id=ws["id"],
        session_id=new_id(),
    )
    with pytest.raises(InsufficientScope):
        app_service.get(oauth, app["id"])
    with pytest.raises(InsufficientScope):
        app_service.list_apps(oauth, ws["id"], limit=10, position=None)


def _app_token(grant: Session, granted: list[str]) -> str:
    """An access token of the grant, as /oauth/token issues it."""
    return tokens.issue_access_token(
        grant.user_id,
        grant.id,
        email_verified=True,
        scopes=granted,
        workspace_id=grant.workspace_id,
        app_id=grant.app_id,
    )


def test_an_apps_access_token_is_refused_on_app_routes_and_dies_with_the_app(api, team):
    ws, owner, _ = team
    app = _created(api, owner, ws, scopes=["admin", "channels:read"])
    grant = _grant(app["id"], ws["id"], owner.user_id, ("admin", "channels:read"))
    token = _app_token(grant, ["admin", "channels:read"])
    assert api.get(f"/v1/workspaces/{ws['id']}/channels", token=token).status == 200  # the token works
    for method, path in (
        ("GET", f"/v1/workspaces/{ws['id']}/apps"),
        ("POST", f"/v1/workspaces/{ws['id']}/apps"),
        ("GET", f"/v1/apps/{app['id']}"),
        ("PATCH", f"/v1/apps/{app['id']}"),
        ("POST", f"/v1/apps/{app['id']}/rotate-secret"),
        ("GET", f"/v1/workspaces/{ws['id']}/installations"),
        ("DELETE", f"/v1/apps/{app['id']}"),
    ):
        body = (
            _body() if method == "POST" and path.endswith("/apps") else ({"name": "x"} if method == "PATCH" else None)
        )
        answer = api.call(method, path, body, token=token)
        assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE"), (method, path)
    assert api.delete(f"/v1/apps/{app['id']}", token=owner.access_token).status == 204
    answer = api.get(f"/v1/workspaces/{ws['id']}/channels", token=token)
    assert answer.status == 401, answer.body


def test_uninstalling_stops_the_apps_access_tokens_in_that_workspace(api, team, other):
    ws, owner, _ = team
    other_ws, other_owner = other
    app = _created(api, owner, ws)
    _install(app["id"], other_ws["id"], other_owner.user_id)
    token = _app_token(_grant(app["id"], other_ws["id"], other_owner.user_id), ["channels:read"])
    assert api.get(f"/v1/workspaces/{other_ws['id']}/channels", token=token).status == 200
    path = f"/v1/workspaces/{other_ws['id']}/installations/{app['id']}"
    assert api.delete(path, token=other_owner.access_token).status == 204
    assert api.get(f"/v1/workspaces/{other_ws['id']}/channels", token=token).status == 401


# --- installations -------------------------------------------------------------------


def test_installations_list_names_the_apps(api, team, other):
    ws, owner, _ = team
    other_ws, other_owner = other
    app = _created(api, owner, ws, name="Ours")
    foreign = _created(api, other_owner, other_ws, name="Theirs")
    _install(foreign["id"], ws["id"], owner.user_id)
    listed = api.get(f"/v1/workspaces/{ws['id']}/installations", token=owner.access_token)
    assert listed.status == 200, listed.body
    found = {i["appId"]: i for i in listed.data}
    assert set(found) == {app["id"], foreign["id"]}
    assert (found[app["id"]]["name"], found[app["id"]]["clientId"], found[app["id"]]["ownWorkspace"]) == (
        "Ours",
        app["clientId"],
        True,
    )
    assert (found[foreign["id"]]["name"], found[foreign["id"]]["clientId"], found[foreign["id"]]["ownWorkspace"]) == (
        "Theirs",
        foreign["clientId"],
        False,
    )
    assert found[foreign["id"]]["scopes"] == ["messages:read"] and found[foreign["id"]]["installedBy"] == owner.user_id
    page = api.get(f"/v1/workspaces/{ws['id']}/installations?limit=1", token=owner.access_token)
    assert len(page.data) == 1 and page.body["pagination"]["hasMore"] is True
    rest = api.get(
        f"/v1/workspaces/{ws['id']}/installations?limit=1&cursor={page.body['pagination']['nextCursor']}",
        token=owner.access_token,
    )
    assert {page.data[0]["appId"], rest.data[0]["appId"]} == set(found) and rest.body["pagination"]["hasMore"] is False


def test_uninstalling_revokes_the_grants_of_that_workspace_only(api, team, other):
    ws, owner, member = team
    other_ws, other_owner = other
    app = _created(api, owner, ws)
    _install(app["id"], other_ws["id"], other_owner.user_id)
    here = _grant(app["id"], ws["id"], member.user_id)
    there = _grant(app["id"], other_ws["id"], other_owner.user_id)
    path = f"/v1/workspaces/{other_ws['id']}/installations/{app['id']}"
    by_app_owner = api.delete(path, token=owner.access_token)  # not a member of the other workspace
    assert (by_app_owner.status, by_app_owner.error["code"]) == (404, "E_NOT_FOUND")
    assert api.delete(path, token=other_owner.access_token).status == 204
    assert _revoked(there) == (True, "app-uninstalled") and _revoked(here) == (False, None)
    assert app_store.get_installation(app["id"], other_ws["id"]) is None
    assert api.get(f"/v1/workspaces/{other_ws['id']}/installations", token=other_owner.access_token).data == []
    again = api.delete(path, token=other_owner.access_token)
    assert (again.status, again.error["code"]) == (404, "E_NOT_FOUND")
    assert _events("app.uninstalled", other_ws["id"])[0]["by"] == other_owner.user_id
    assert api.get(f"/v1/apps/{app['id']}", token=owner.access_token).status == 200  # the app itself stays


def test_an_app_cannot_be_uninstalled_from_its_own_workspace(api, team):
    ws, owner, member = team
    app = _created(api, owner, ws)
    grant = _grant(app["id"], ws["id"], member.user_id)
    answer = api.delete(f"/v1/workspaces/{ws['id']}/installations/{app['id']}", token=owner.access_token)
    assert (answer.status, answer.error["code"]) == (409, "E_CONFLICT")
    assert app_store.get_installation(app["id"], ws["id"]) is not None and _revoked(grant) == (False, None)
    unknown = api.delete(f"/v1/workspaces/{ws['id']}/installations/{new_id()}", token=owner.access_token)
    assert unknown.status == 404


# --- deleting ------------------------------------------------------------------------


def test_deleting_an_app_revokes_every_grant_and_removes_its_installations(api, team, other):
    ws, owner, member = team
    other_ws, other_owner = other
    app = _created(api, owner, ws)
    keep = _created(api, owner, ws, name="Keep")
    _install(app["id"], other_ws["id"], other_owner.user_id)
    grants = [
        _grant(app["id"], ws["id"], member.user_id),
        _grant(app["id"], ws["id"], owner.user_id),
        _grant(app["id"], other_ws["id"], other_owner.user_id),
    ]
    kept = _grant(keep["id"], ws["id"], member.user_id)
    assert api.delete(f"/v1/apps/{app['id']}", token=owner.access_token).status == 204
    assert [_revoked(g) for g in grants] == [(True, "app-deleted")] * 3
    assert _revoked(kept) == (False, None)
    assert _stored(app["id"]) is None
    assert list(app_store.installations_of(app["id"])) == []
    assert api.get(f"/v1/apps/{app['id']}", token=owner.access_token).status == 404
    assert api.delete(f"/v1/apps/{app['id']}", token=owner.access_token).status == 404
    assert [a["id"] for a in api.get(f"/v1/workspaces/{ws['id']}/apps", token=owner.access_token).data] == [keep["id"]]
    assert _events("app.deleted", ws["id"]) == [{"appId": app["id"]}]
    assert {e["reason"] for e in _events("app.uninstalled", other_ws["id"])} == {"app-deleted"}
    # the users' own login sessions are not grants: they still work
    assert api.get("/v1/users/me", token=member.access_token).status == 200


# --- cost ----------------------------------------------------------------------------


def test_what_each_route_costs(api, team, other):
    """DynamoDB calls per request (the bench recorder), as docs/access-patterns.md lists them."""
    from bench.recorder import Recorder

    ws, owner, member = team
    other_ws, other_owner = other
    app = _created(api, owner, ws)
    foreign = _created(api, other_owner, other_ws)
    _install(foreign["id"], ws["id"], owner.user_id)
    _grant(foreign["id"], ws["id"], member.user_id)
    base = f"/v1/workspaces/{ws['id']}"
    plan = [
        ("create", "POST", f"{base}/apps", _body(), ["BatchGetItem", "TransactWriteItems"]),
        ("list", "GET", f"{base}/apps", None, ["BatchGetItem", "Query"]),
        ("get", "GET", f"/v1/apps/{app['id']}", None, ["GetItem", "BatchGetItem"]),
        ("patch", "PATCH", f"/v1/apps/{app['id']}", {"name": "N"}, ["GetItem", "BatchGetItem", "TransactWriteItems"]),
        (
            "rotate",
            "POST",
            f"/v1/apps/{app['id']}/rotate-secret",
            None,
            ["GetItem", "BatchGetItem", "TransactWriteItems"],
        ),
        ("installations", "GET", f"{base}/installations", None, ["BatchGetItem", "Query", "BatchGetItem"]),
        (
            "uninstall",
            "DELETE",
            f"{base}/installations/{foreign['id']}",
            None,
            ["BatchGetItem", "BatchGetItem", "TransactWriteItems", "Query", "UpdateItem"],
        ),
    ]
    recorder = Recorder()
    recorder.install()
    try:
        for name, method, path, body, expected in plan:
            with recorder.recording() as calls:
                answer = api.call(method, path, body, token=owner.access_token)
            assert answer.status in (200, 201, 204), (name, answer.body)
            assert [c.operation for c in calls if c.phase == "handler"] == expected, name
    finally:
        recorder.uninstall()
