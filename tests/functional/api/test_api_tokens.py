"""Workspace API tokens: minting, listing, revoking, and what a token may do."""

from chalicelib.auth import tokens
from chalicelib.store import api_tokens as token_store
from tests.helpers import create_workspace, register


def _mint(api, account, workspace_id, scopes=("users:read",), name="bot"):
    answer = api.post(
        f"/v1/workspaces/{workspace_id}/tokens", {"name": name, "scopes": list(scopes)}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data


def test_secret_is_shown_once_and_stored_hashed(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    created = _mint(api, owner, ws["id"], ["users:read", "channels:read"])
    secret = created["token"]
    assert secret.startswith("dqa_") and tokens.is_well_formed_api_token(secret)
    assert created["scopes"] == ["channels:read", "users:read"] and created["hint"].endswith(secret[-4:])
    listed = api.get(f"/v1/workspaces/{ws['id']}/tokens", token=owner.access_token).data
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    stored = token_store.get_by_hash(tokens.sha256_hex(secret))
    assert stored is not None and secret not in str(stored.attribute_values)


def test_api_token_authenticates_as_its_creator(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    secret = _mint(api, owner, ws["id"])["token"]
    me = api.get("/v1/users/me", token=secret).data
    assert me["id"] == owner.user_id
    assert api.get(f"/v1/workspaces/{ws['id']}", token=secret).data["id"] == ws["id"]
    assert [w["id"] for w in api.get("/v1/workspaces", token=secret).data] == [ws["id"]]


def test_token_cannot_leave_its_workspace(api):
    owner = register(api, "jane")
    home, other = create_workspace(api, owner, "Home"), create_workspace(api, owner, "Other")
    secret = _mint(api, owner, home["id"])["token"]
    answer = api.get(f"/v1/workspaces/{other['id']}", token=secret)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_NOT_MEMBER")
    assert [w["id"] for w in api.get("/v1/workspaces", token=secret).data] == [home["id"]]


def test_token_cannot_mint_tokens_or_create_workspaces(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    secret = _mint(api, owner, ws["id"], list(tokens_scopes()))["token"]
    minted = api.post(f"/v1/workspaces/{ws['id']}/tokens", {"name": "x", "scopes": ["users:read"]}, token=secret)
    assert (minted.status, minted.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    created = api.post("/v1/workspaces", {"name": "Sneaky"}, token=secret)
    assert (created.status, created.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    logout = api.post("/v1/auth/logout", token=secret)
    assert (logout.status, logout.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")


def tokens_scopes():
    from chalicelib.auth import scopes

    return scopes.ALL


def test_revoked_token_stops_working(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    created = _mint(api, owner, ws["id"])
    assert api.get("/v1/users/me", token=created["token"]).status == 200
    assert api.delete(f"/v1/workspaces/{ws['id']}/tokens/{created['id']}", token=owner.access_token).status == 204
    answer = api.get("/v1/users/me", token=created["token"])
    assert (answer.status, answer.error["code"]) == (401, "E_AUTHN_INVALID_TOKEN")
    again = api.delete(f"/v1/workspaces/{ws['id']}/tokens/{created['id']}", token=owner.access_token)
    assert again.status == 404


def test_mistyped_token_is_rejected_without_a_read(api, monkeypatch):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    secret = _mint(api, owner, ws["id"])["token"]
    reads = []
    monkeypatch.setattr(token_store, "get_by_hash", lambda h: reads.append(h))
    typo = secret[:-7] + ("x" if secret[-7] != "x" else "y") + secret[-6:]
    assert api.get("/v1/users/me", token=typo).status == 401
    assert reads == []


def test_non_member_cannot_mint_tokens_for_a_workspace(api):
    owner, stranger = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, owner)
    answer = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "x", "scopes": ["users:read"]}, token=stranger.access_token
    )
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")


def test_scopes_are_validated(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    for scopes in ([], ["superuser"], ["users:read", "root"], "users:read", ["@session"], ["@any"]):
        answer = api.post(
            f"/v1/workspaces/{ws['id']}/tokens", {"name": "x", "scopes": scopes}, token=owner.access_token
        )
        assert answer.status == 400 and answer.error["field"].startswith("scopes"), scopes


def test_foreign_token_id_is_not_found(api):
    jane, bob = register(api, "jane"), register(api, "bob")
    ws_jane, ws_bob = create_workspace(api, jane, "J"), create_workspace(api, bob, "B")
    bobs = _mint(api, bob, ws_bob["id"])
    answer = api.delete(f"/v1/workspaces/{ws_jane['id']}/tokens/{bobs['id']}", token=jane.access_token)
    assert answer.status == 404
    assert api.get("/v1/users/me", token=bobs["token"]).status == 200


def _join(workspace_id, account, role):
    """Membership straight through the store: invites arrive with the members work."""
    from chalicelib.ids import now_iso
    from chalicelib.store import workspaces as workspace_store

    workspace_store.new_membership(workspace_id, account.user_id, role, now_iso()).save()


def test_members_see_and_revoke_only_their_own_tokens_admins_all(api):
    owner, admin, member = register(api, "jane"), register(api, "adam"), register(api, "mia")
    ws = create_workspace(api, owner)
    _join(ws["id"], admin, "admin")
    _join(ws["id"], member, "member")
    owners = _mint(api, owner, ws["id"], name="owner-bot")
    members = _mint(api, member, ws["id"], name="member-bot")
    listed_by_member = api.get(f"/v1/workspaces/{ws['id']}/tokens", token=member.access_token).data
    assert [t["id"] for t in listed_by_member] == [members["id"]]
    listed_by_admin = api.get(f"/v1/workspaces/{ws['id']}/tokens", token=admin.access_token).data
    assert {t["id"] for t in listed_by_admin} == {owners["id"], members["id"]}
    denied = api.delete(f"/v1/workspaces/{ws['id']}/tokens/{owners['id']}", token=member.access_token)
    assert denied.status == 404
    assert api.get("/v1/users/me", token=owners["token"]).status == 200
    assert api.delete(f"/v1/workspaces/{ws['id']}/tokens/{members['id']}", token=admin.access_token).status == 204
    assert api.get("/v1/users/me", token=members["token"]).status == 401


def test_token_listing_is_paginated(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    minted = [_mint(api, owner, ws["id"], name=f"bot{i}")["id"] for i in range(3)]
    first = api.get(f"/v1/workspaces/{ws['id']}/tokens?limit=2", token=owner.access_token)
    second = api.get(
        f"/v1/workspaces/{ws['id']}/tokens?limit=2&cursor={first.body['pagination']['nextCursor']}",
        token=owner.access_token,
    )
    assert [t["id"] for t in first.data + second.data] == minted
    assert second.body["pagination"] == {"hasMore": False, "nextCursor": None}


def test_api_token_cannot_ask_for_verification_mail(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    secret = _mint(api, owner, ws["id"])["token"]
    answer = api.post("/v1/auth/verify/resend", token=secret)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
