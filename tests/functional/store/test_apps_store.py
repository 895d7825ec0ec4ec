"""The OAuth store against the moto table: keys, GSI listings, single-use codes, grants."""

from __future__ import annotations

import time

import pytest

from chalicelib.ids import new_id, now_iso
from chalicelib.store import apps, oauth, sessions
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.outbox import new_event


def _app(workspace_id: str) -> tuple[str, object]:
    app_id = new_id()
    app = apps.new_app(
        app_id,
        workspace_id,
        client_id=f"dqc_{app_id}",
        name="Deploy bot",
        redirect_uris=["https://example.com/cb"],
        scopes={"messages:read"},
        created_by="U1",
        created_at=now_iso(),
    )
    own = apps.new_installation(app_id, workspace_id, installed_by="U1", scopes={"messages:read"}, created_at=now_iso())
    apps.create(app, own, new_event("app.created", {"appId": app_id}, workspace_id=workspace_id))
    return app_id, app


def test_apps_and_installations_are_listed_per_workspace(aws_backend):
    first, _ = _app("W1")
    second, _ = _app("W1")
    _app("W2")
    assert [a.id for a in apps.list_for_workspace("W1", limit=10, position=None).items] == [first, second]
    listed = apps.list_installations("W1", limit=10, position=None).items
    assert sorted(i.app_id for i in listed) == sorted([first, second])

    elsewhere = apps.new_installation(first, "W2", installed_by="U2", scopes={"messages:read"}, created_at=now_iso())
    apps.install(elsewhere, new_event("app.installed", {"appId": first}, workspace_id="W2"))
    assert sorted(i.workspace_id for i in apps.installations_of(first)) == ["W1", "W2"]
    app, installation = apps.get_with_installation(first, "W2")
    assert app is not None and app.name == "Deploy bot" and installation is not None
    assert apps.get_with_installation(first, "W3")[1] is None

    apps.uninstall(installation, new_event("app.uninstalled", {"appId": first}, workspace_id="W2"))
    with pytest.raises(ConditionFailed):
        apps.uninstall(installation, new_event("app.uninstalled", {"appId": first}, workspace_id="W2"))
    apps.update(app, {"name": "Renamed", "description": None})
    assert apps.get(first).name == "Renamed"
    apps.delete(app, new_event("app.deleted", {"appId": first}, workspace_id="W1"))
    assert apps.get(first) is None
    with pytest.raises(ConditionFailed):
        apps.update(app, {"name": "Gone"})


def test_a_code_is_exchanged_once_and_grants_are_listed_under_the_app(aws_backend):
    code = oauth.save_code(
        "h" * 64,
        expires_at=int(time.time()) + oauth.CODE_TTL_SECONDS,
        app_id="A1",
        client_id="dqc_x",
        redirect_uri="https://example.com/cb",
        user_id="U1",
        workspace_id="W1",
        scopes={"messages:read"},
        code_challenge="c" * 43,
    )
    oauth.consume_code(code, "S1")
    with pytest.raises(ConditionFailed):
        oauth.consume_code(oauth.get_code("h" * 64), "S2")
    assert oauth.get_code("h" * 64).used_by == "S1"

    for workspace_id in ("W1", "W1", "W2"):
        oauth.new_grant(
            new_id(),
            "U1",
            token_hash="x",
            created_at=now_iso(),
            expires_at=int(time.time()) + 60,
            app_id="A1",
            workspace_id=workspace_id,
            scopes={"messages:read"},
        ).save()
    assert len(list(oauth.grants_of("A1"))) == 3
    in_w1 = list(oauth.grants_of("A1", "W1"))
    assert len(in_w1) == 2 and all(g.scopes == {"messages:read"} for g in in_w1)
    sessions.revoke("U1", in_w1[0].id, "app-deleted")
    assert sessions.get("U1", in_w1[0].id).revoked
    assert list(oauth.grants_of("A2")) == []
