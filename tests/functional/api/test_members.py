"""Workspace settings, members, roles and removal: PATCH /v1/workspaces/{id},
/v1/workspaces/{id}/members and /v1/workspaces/{id}/users/{userId}."""

import threading

import pytest

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict
from chalicelib.services import members
from chalicelib.store import channels as channel_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import Event
from tests.helpers import create_workspace, join_workspace, register

_join = join_workspace


def _events(event_type, workspace_id):
    return [e.data for e in Event.scan(Event.event_type == event_type) if e.workspace_id == workspace_id]


def _mint(api, account, workspace_id, scopes=("users:read",)):
    answer = api.post(
        f"/v1/workspaces/{workspace_id}/tokens", {"name": "bot", "scopes": list(scopes)}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["token"]


def _set_role(api, actor, ws, user, role):
    return api.patch(f"/v1/workspaces/{ws['id']}/members/{user.user_id}", {"role": role}, token=actor.access_token)


def _remove(api, actor, ws, user):
    return api.delete(f"/v1/workspaces/{ws['id']}/members/{user.user_id}", token=actor.access_token)


def _member_count(api, viewer, channel_id):
    return api.get(f"/v1/channels/{channel_id}", token=viewer.access_token).data["memberCount"]


def _roles(api, viewer, ws):
    listed = api.get(f"/v1/workspaces/{ws['id']}/members?limit=100", token=viewer.access_token).data
    return {m["id"]: m["role"] for m in listed}


@pytest.fixture
def team(api):
    """A workspace with an owner, an admin and two members."""
    owner, admin = register(api, "jane"), register(api, "adam")
    mia, max_ = register(api, "mia"), register(api, "max")
    ws = create_workspace(api, owner)
    _join(ws, admin, "admin")
    _join(ws, mia)
    _join(ws, max_)
    return ws, owner, admin, mia, max_


# --- PATCH /v1/workspaces/{id} ---------------------------------------------------------


def test_owner_updates_name_slug_and_icon(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    changed = api.patch(
        f"/v1/workspaces/{ws['id']}",
        {"name": "Acme Inc", "slug": "acme-inc", "iconUrl": "https://cdn.example.com/acme.png"},
        token=owner.access_token,
    )
    assert changed.status == 200, changed.body
    assert (changed.data["name"], changed.data["slug"], changed.data["iconUrl"], changed.data["role"]) == (
        "Acme Inc",
        "acme-inc",
        "https://cdn.example.com/acme.png",
        "owner",
    )
    assert api.get(f"/v1/workspaces/{ws['id']}", token=owner.access_token).data == changed.data
    cleared = api.patch(f"/v1/workspaces/{ws['id']}", {"iconUrl": None}, token=owner.access_token).data
    assert cleared["iconUrl"] is None and cleared["name"] == "Acme Inc"


def test_admin_may_update_the_workspace_member_may_not(api, team):
    ws, owner, admin, mia, _ = team
    renamed = api.patch(f"/v1/workspaces/{ws['id']}", {"name": "Renamed"}, token=admin.access_token)
    assert (renamed.status, renamed.data["name"], renamed.data["role"]) == (200, "Renamed", "admin")
    denied = api.patch(f"/v1/workspaces/{ws['id']}", {"name": "Mine now"}, token=mia.access_token)
    assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    assert api.get(f"/v1/workspaces/{ws['id']}", token=owner.access_token).data["name"] == "Renamed"


def test_non_member_update_is_not_found(api):
    owner, stranger = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, owner)
    answer = api.patch(f"/v1/workspaces/{ws['id']}", {"name": "Mine"}, token=stranger.access_token)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")


def test_update_needs_at_least_one_field(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    assert api.patch(f"/v1/workspaces/{ws['id']}", {}, token=owner.access_token).status == 400
    bad_slug = api.patch(f"/v1/workspaces/{ws['id']}", {"slug": "-nope-"}, token=owner.access_token)
    assert (bad_slug.status, bad_slug.error["field"]) == (400, "slug")


def test_a_taken_slug_is_not_given_away(api):
    owner = register(api, "jane")
    create_workspace(api, owner, "Acme")
    second = create_workspace(api, owner, "Globex")
    taken = api.patch(f"/v1/workspaces/{second['id']}", {"slug": "acme"}, token=owner.access_token)
    assert (taken.status, taken.error["code"], taken.error["field"]) == (409, "E_CONFLICT", "slug")
    assert api.get(f"/v1/workspaces/{second['id']}", token=owner.access_token).data["slug"] == "globex"
    assert workspace_store.get(second["id"]).slug == "globex"


def test_a_slug_change_claims_the_new_slug_and_frees_the_old_one(api):
    owner = register(api, "jane")
    first = create_workspace(api, owner, "Acme")
    moved = api.patch(f"/v1/workspaces/{first['id']}", {"slug": "acme-two"}, token=owner.access_token)
    assert moved.status == 200 and moved.data["slug"] == "acme-two"
    clash = api.post("/v1/workspaces", {"name": "Other", "slug": "acme-two"}, token=owner.access_token)
    assert (clash.status, clash.error["code"], clash.error["field"]) == (409, "E_CONFLICT", "slug")
    reused = api.post("/v1/workspaces", {"name": "Old", "slug": "acme"}, token=owner.access_token)
    assert (reused.status, reused.data["slug"]) == (201, "acme")
    # And a second workspace may move onto a slug freed by a PATCH.
    assert api.patch(f"/v1/workspaces/{first['id']}", {"slug": "acme-three"}, token=owner.access_token).status == 200
    onto = api.patch(f"/v1/workspaces/{reused.data['id']}", {"slug": "acme-two"}, token=owner.access_token)
    assert (onto.status, onto.data["slug"]) == (200, "acme-two")


def test_setting_the_same_slug_is_not_a_conflict(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner, "Acme")
    same = api.patch(f"/v1/workspaces/{ws['id']}", {"slug": "acme", "name": "Acme 2"}, token=owner.access_token)
    assert (same.status, same.data["slug"], same.data["name"]) == (200, "acme", "Acme 2")


def test_update_emits_workspace_updated(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    api.patch(f"/v1/workspaces/{ws['id']}", {"name": "New", "slug": "new-acme"}, token=owner.access_token)
    assert _events("workspace.updated", ws["id"]) == [
        {"workspaceId": ws["id"], "changes": ["name", "slug"], "updatedBy": owner.user_id}
    ]


def test_api_token_updates_with_its_creators_role(api, team):
    ws, owner, _, mia, _ = team
    owners = _mint(api, owner, ws["id"], ("admin",))
    assert api.patch(f"/v1/workspaces/{ws['id']}", {"name": "By bot"}, token=owners).status == 200
    without_admin = _mint(api, owner, ws["id"])
    denied = api.patch(f"/v1/workspaces/{ws['id']}", {"name": "By a plain bot"}, token=without_admin)
    assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    mias = _mint(api, mia, ws["id"])
    denied = api.patch(f"/v1/workspaces/{ws['id']}", {"name": "By mia's bot"}, token=mias)
    assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")


# --- GET members and profiles ------------------------------------------------------------


def test_members_list_shows_role_joined_at_and_profile(api, team):
    ws, owner, admin, mia, max_ = team
    listed = api.get(f"/v1/workspaces/{ws['id']}/members", token=mia.access_token)
    assert listed.status == 200, listed.body
    by_id = {m["id"]: m for m in listed.data}
    assert {uid: m["role"] for uid, m in by_id.items()} == {
        owner.user_id: "owner",
        admin.user_id: "admin",
        mia.user_id: "member",
        max_.user_id: "member",
    }
    jane = by_id[owner.user_id]
    for field in ("id", "username", "displayName", "avatarUrl", "status", "role", "joinedAt"):
        assert field in jane, field
    assert (jane["username"], jane["displayName"], jane["status"]) == ("jane", "Jane", "online")
    assert jane["joinedAt"].endswith("Z")
    assert "email" not in jane and "preferences" not in jane


def test_invisible_member_shows_as_offline_to_others(api, team):
    ws, owner, _, mia, _ = team
    assert api.patch("/v1/users/me/status", {"status": "invisible"}, token=mia.access_token).status == 200
    listed = api.get(f"/v1/workspaces/{ws['id']}/members", token=owner.access_token).data
    assert {m["id"]: m["status"] for m in listed}[mia.user_id] == "offline"
    profile = api.get(f"/v1/workspaces/{ws['id']}/users/{mia.user_id}", token=owner.access_token).data
    assert profile["status"] == "offline"
    assert api.get("/v1/users/me", token=mia.access_token).data["status"] == "invisible"


def test_members_list_is_paginated(api, team):
    ws, owner, *_ = team
    extra = register(api, "eve")
    _join(ws, extra)
    first = api.get(f"/v1/workspaces/{ws['id']}/members?limit=2", token=owner.access_token)
    assert len(first.data) == 2 and first.body["pagination"]["hasMore"] is True
    seen, cursor = [m["id"] for m in first.data], first.body["pagination"]["nextCursor"]
    while cursor:
        page = api.get(f"/v1/workspaces/{ws['id']}/members?limit=2&cursor={cursor}", token=owner.access_token)
        assert len(page.data) <= 2
        seen += [m["id"] for m in page.data]
        cursor = page.body["pagination"]["nextCursor"]
    assert len(seen) == 5 and len(set(seen)) == 5
    assert set(seen) == set(_roles(api, owner, ws))


def test_members_list_needs_users_read_scope(api, team):
    ws, owner, *_ = team
    without = _mint(api, owner, ws["id"], ["channels:read"])
    denied = api.get(f"/v1/workspaces/{ws['id']}/members", token=without)
    assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    denied_profile = api.get(f"/v1/workspaces/{ws['id']}/users/{owner.user_id}", token=without)
    assert (denied_profile.status, denied_profile.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    with_scope = _mint(api, owner, ws["id"], ["users:read"])
    assert len(api.get(f"/v1/workspaces/{ws['id']}/members", token=with_scope).data) == 4
    assert api.get(f"/v1/workspaces/{ws['id']}/users/{owner.user_id}", token=with_scope).status == 200


def test_api_token_cannot_list_members_of_another_workspace(api):
    owner = register(api, "jane")
    home, other = create_workspace(api, owner, "Home"), create_workspace(api, owner, "Other")
    secret = _mint(api, owner, home["id"])
    answer = api.get(f"/v1/workspaces/{other['id']}/members", token=secret)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_NOT_MEMBER")


def test_non_member_cannot_list_members(api, team):
    ws, *_ = team
    stranger = register(api, "bob")
    answer = api.get(f"/v1/workspaces/{ws['id']}/members", token=stranger.access_token)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")


def test_member_profile(api, team):
    ws, _, admin, mia, _ = team
    profile = api.get(f"/v1/workspaces/{ws['id']}/users/{admin.user_id}", token=mia.access_token)
    assert profile.status == 200, profile.body
    assert (profile.data["id"], profile.data["username"], profile.data["role"]) == (admin.user_id, "adam", "admin")
    assert {"displayName", "avatarUrl", "status", "joinedAt"} <= profile.data.keys()
    assert "email" not in profile.data


def test_profile_of_a_non_member_is_not_found(api, team):
    ws, _, _, mia, _ = team
    elsewhere = register(api, "bob")
    create_workspace(api, elsewhere, "Bob's")  # a real user, in another workspace only
    answer = api.get(f"/v1/workspaces/{ws['id']}/users/{elsewhere.user_id}", token=mia.access_token)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")
    unknown = api.get(f"/v1/workspaces/{ws['id']}/users/01a2088c-37fa-72c1-8671-8ba9a11937e0", token=mia.access_token)
    assert unknown.status == 404


def test_profile_needs_the_caller_to_be_a_member(api, team):
    ws, owner, *_ = team
    stranger = register(api, "bob")
    answer = api.get(f"/v1/workspaces/{ws['id']}/users/{owner.user_id}", token=stranger.access_token)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")


# --- DELETE members ----------------------------------------------------------------------


def test_admin_removes_a_member_who_then_gets_404(api, team):
    ws, owner, admin, mia, _ = team
    assert _remove(api, admin, ws, mia).status == 204
    assert mia.user_id not in _roles(api, owner, ws)
    gone = api.get(f"/v1/workspaces/{ws['id']}", token=mia.access_token)
    assert (gone.status, gone.error["code"]) == (404, "E_NOT_FOUND")
    assert api.get(f"/v1/workspaces/{ws['id']}/members", token=mia.access_token).status == 404
    assert ws["id"] not in [w["id"] for w in api.get("/v1/workspaces", token=mia.access_token).data]
    again = _remove(api, admin, ws, mia)
    assert (again.status, again.error["code"]) == (404, "E_NOT_FOUND")


def test_member_cannot_remove_others(api, team):
    ws, owner, admin, mia, max_ = team
    for target in (max_, admin, owner):
        denied = _remove(api, mia, ws, target)
        assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_FORBIDDEN"), target.username
    assert len(_roles(api, owner, ws)) == 4


def test_admin_cannot_remove_admins_or_owners(api, team):
    ws, owner, admin, _, _ = team
    other_admin = register(api, "ada")
    _join(ws, other_admin, "admin")
    for target in (other_admin, owner):
        denied = _remove(api, admin, ws, target)
        assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_FORBIDDEN"), target.username
    assert {other_admin.user_id, owner.user_id} <= _roles(api, owner, ws).keys()


def test_owner_removes_admins_and_other_owners(api, team):
    ws, owner, admin, mia, max_ = team
    assert _set_role(api, owner, ws, mia, "owner").status == 200
    assert _remove(api, owner, ws, admin).status == 204
    assert _remove(api, owner, ws, mia).status == 204
    assert _roles(api, owner, ws).keys() == {owner.user_id, max_.user_id}


def test_anyone_can_leave(api, team):
    ws, owner, admin, mia, max_ = team
    assert _remove(api, mia, ws, mia).status == 204
    assert _remove(api, admin, ws, admin).status == 204
    assert _roles(api, owner, ws) == {owner.user_id: "owner", max_.user_id: "member"}
    assert _events("member.left", ws["id"]) and {e["userId"] for e in _events("member.left", ws["id"])} == {
        mia.user_id,
        admin.user_id,
    }


def test_last_owner_cannot_leave_or_be_removed(api, team):
    ws, owner, _, mia, _ = team
    alone = _remove(api, owner, ws, owner)
    assert (alone.status, alone.error["code"]) == (409, "E_CONFLICT")
    assert _roles(api, owner, ws)[owner.user_id] == "owner"
    # With a second owner, one of them may go; then the other is the last one.
    assert _set_role(api, owner, ws, mia, "owner").status == 200
    assert _remove(api, mia, ws, owner).status == 204
    last = _remove(api, mia, ws, mia)
    assert (last.status, last.error["code"]) == (409, "E_CONFLICT")
    assert _roles(api, mia, ws)[mia.user_id] == "owner"


def test_removal_leaves_channels_and_counts_drop(api, team):
    ws, owner, admin, mia, _ = team
    general = ws["generalChannelId"]
    public = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "random"}, token=owner.access_token).data["id"]
    private = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "secret", "type": "private"}, token=owner.access_token
    ).data["id"]
    assert api.post(f"/v1/channels/{public}/join", token=mia.access_token).status == 200
    added = api.post(f"/v1/channels/{private}/members", {"userIds": [mia.user_id]}, token=owner.access_token)
    assert added.status in (200, 201), added.body
    before = {c: _member_count(api, owner, c) for c in (general, public, private)}
    assert before == {general: 4, public: 2, private: 2}

    assert _remove(api, admin, ws, mia).status == 204
    assert {c: _member_count(api, owner, c) for c in (general, public, private)} == {general: 3, public: 1, private: 1}
    for channel_id in (general, public, private):
        listed = api.get(f"/v1/channels/{channel_id}/members", token=owner.access_token).data
        assert mia.user_id not in [m["userId"] for m in listed]
    assert channel_store.memberships_in_workspace(mia.user_id, ws["id"]) == []


def test_removal_revokes_the_members_api_tokens_in_that_workspace(api, team):
    ws, _, admin, mia, _ = team
    elsewhere = create_workspace(api, mia, "Mia's")
    here = _mint(api, mia, ws["id"])
    there = _mint(api, mia, elsewhere["id"])
    assert api.get("/v1/users/me", token=here).status == 200
    assert _remove(api, admin, ws, mia).status == 204
    revoked = api.get("/v1/users/me", token=here)
    assert (revoked.status, revoked.error["code"]) == (401, "E_AUTHN_INVALID_TOKEN")
    assert api.get(f"/v1/workspaces/{ws['id']}/members", token=here).status == 401
    assert api.get("/v1/users/me", token=there).status == 200


def test_removal_emits_member_removed(api, team):
    ws, _, admin, mia, _ = team
    _remove(api, admin, ws, mia)
    assert _events("member.left", ws["id"]) == []
    assert _events("member.removed", ws["id"]) == [
        {"workspaceId": ws["id"], "userId": mia.user_id, "removedBy": admin.user_id}
    ]


def test_a_removed_member_can_no_longer_remove_anyone(api, team):
    ws, owner, admin, _, max_ = team
    assert _remove(api, owner, ws, admin).status == 204
    answer = _remove(api, admin, ws, max_)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")
    assert max_.user_id in _roles(api, owner, ws)


# --- PATCH members (roles) -----------------------------------------------------------


def test_only_owners_change_roles(api, team):
    ws, owner, admin, mia, max_ = team
    for actor, target, role in (
        (admin, mia, "admin"),
        (mia, max_, "admin"),
        (mia, mia, "owner"),
        (admin, admin, "owner"),
    ):
        denied = _set_role(api, actor, ws, target, role)
        assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_FORBIDDEN"), (actor.username, role)
    promoted = _set_role(api, owner, ws, mia, "admin")
    assert (promoted.status, promoted.data) == (200, {"userId": mia.user_id, "role": "admin"})
    assert _roles(api, owner, ws)[mia.user_id] == "admin"
    assert _set_role(api, owner, ws, admin, "member").data["role"] == "member"
    assert _roles(api, owner, ws)[admin.user_id] == "member"


def test_promote_to_owner_then_demote_the_original_owner(api, team):
    ws, owner, admin, mia, _ = team
    assert _set_role(api, owner, ws, admin, "owner").status == 200
    demoted = _set_role(api, admin, ws, owner, "member")
    assert (demoted.status, demoted.data["role"]) == (200, "member")
    assert _roles(api, admin, ws)[owner.user_id] == "member"
    # The former owner has lost the owner's powers.
    denied = _set_role(api, owner, ws, mia, "admin")
    assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    # And the new owner is now the last one.
    last = _set_role(api, admin, ws, admin, "admin")
    assert (last.status, last.error["code"]) == (409, "E_CONFLICT")


def test_demoting_the_last_owner_is_a_conflict(api, team):
    ws, owner, *_ = team
    for role in ("admin", "member"):
        answer = _set_role(api, owner, ws, owner, role)
        assert (answer.status, answer.error["code"]) == (409, "E_CONFLICT"), role
    assert _roles(api, owner, ws)[owner.user_id] == "owner"


def test_invalid_role_is_rejected(api, team):
    ws, owner, _, mia, _ = team
    for role in ("superuser", "", None, 3):
        answer = _set_role(api, owner, ws, mia, role)
        assert (answer.status, answer.error["code"], answer.error["field"]) == (400, "E_VALIDATION", "role"), role
    assert _roles(api, owner, ws)[mia.user_id] == "member"


def test_role_of_a_non_member_is_not_found(api, team):
    ws, owner, *_ = team
    stranger = register(api, "bob")
    answer = _set_role(api, owner, ws, stranger, "admin")
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")


def test_role_change_emits_member_role_changed(api, team):
    ws, owner, _, mia, _ = team
    _set_role(api, owner, ws, mia, "admin")
    assert _events("member.role_changed", ws["id"]) == [
        {"workspaceId": ws["id"], "userId": mia.user_id, "from": "member", "to": "admin", "by": owner.user_id}
    ]


def test_api_token_cannot_change_roles(api, team):
    ws, owner, _, mia, _ = team
    secret = _mint(api, owner, ws["id"], list(scopes.ALL))
    answer = api.patch(f"/v1/workspaces/{ws['id']}/members/{mia.user_id}", {"role": "admin"}, token=secret)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    assert _roles(api, owner, ws)[mia.user_id] == "member"


def test_owners_demoting_each_other_at_once_leave_one_owner(api, team, monkeypatch):
    ws, owner, admin, *_ = team
    assert _set_role(api, owner, ws, admin, "owner").status == 200
    # Hold both demotions between their reads and their transactions, so they race.
    barrier = threading.Barrier(2, timeout=10)
    original = workspace_store.change_role

    def change_role_after_both_read(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(workspace_store, "change_role", change_role_after_both_read)
    results = {}

    def demote(actor, target):
        principal = Principal(user_id=actor.user_id, kind="session")
        try:
            results[actor.username] = members.change_role(principal, ws["id"], target.user_id, "member")
        except Exception as error:
            results[actor.username] = error

    threads = [threading.Thread(target=demote, args=pair) for pair in ((owner, admin), (admin, owner))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    losers = [r for r in results.values() if isinstance(r, Exception)]
    assert len(results) == 2 and len(losers) == 1, results
    assert isinstance(losers[0], Conflict)
    monkeypatch.setattr(workspace_store, "change_role", original)
    roles = workspace_store.list_members(ws["id"], limit=100, position=None).items
    assert [m.role for m in roles].count("owner") == 1
    assert int(workspace_store.get(ws["id"]).owner_count) == 1
