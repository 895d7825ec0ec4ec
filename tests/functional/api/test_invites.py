"""Invites: links and email invites, looking them up, accepting, listing, revoking."""

import json
import re
import threading
import time
from datetime import datetime
from types import SimpleNamespace

import pytest

from app import send_emails
from chalicelib.auth import tokens
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.ids import new_id, now_iso
from chalicelib.services import invites as invite_service
from chalicelib.store import invites as invite_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import Event
from tests.functional.workers.pipeline import LambdaContext, StreamReader, deliver, route, sqs_event
from tests.helpers import create_workspace, outbox_messages, register

UNKNOWN_ID = "01a2088c-37fa-72c1-8671-8ba9a11937e0"


def _join(workspace_id, account, role):
    """Membership straight through the store, where the invite flow is not the subject."""
    workspace_store.new_membership(workspace_id, account.user_id, role, now_iso()).save()


def _invite(api, actor, ws, **body):
    return api.post(f"/v1/workspaces/{ws['id']}/invites", body, token=actor.access_token)


def _link(api, actor, ws, **body):
    created = _invite(api, actor, ws, **body)
    assert created.status == 201, created.body
    return created.data


def _accept(api, account, code):
    return api.post(f"/v1/invites/{code}/accept", token=account.access_token)


def _roles(api, viewer, ws):
    listed = api.get(f"/v1/workspaces/{ws['id']}/members?limit=100", token=viewer.access_token).data
    return {m["id"]: m["role"] for m in listed}


def _general_count(api, viewer, ws):
    return api.get(f"/v1/channels/{ws['generalChannelId']}", token=viewer.access_token).data["memberCount"]


def _events(event_type, workspace_id):
    return [e.data for e in Event.scan(Event.event_type == event_type) if e.workspace_id == workspace_id]


def _invite_mails(address):
    return [m for m in outbox_messages() if m["To"] == address and "invited you" in m["Subject"]]


def _emailed_code(address):
    mails = _invite_mails(address)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    body = mails[0].get_payload(decode=True).decode()
    found = re.search(r"^POST (\S+)/v1/invites/(\S+)/accept$", body, re.MULTILINE)
    assert found, body
    assert found.group(1) == get_settings().public_base_url
    return found.group(2)


def _mint(api, account, workspace_id, scopes=("users:read",)):
    answer = api.post(
        f"/v1/workspaces/{workspace_id}/tokens", {"name": "bot", "scopes": list(scopes)}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["token"]


def _at(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def owned(api):
    owner = register(api, "jane")
    return owner, create_workspace(api, owner)


# --- creating ------------------------------------------------------------------------------


def test_link_invite_returns_its_code_once(api, owned):
    owner, ws = owned
    before = time.time()
    created = _link(api, owner, ws)
    assert (created["workspaceId"], created["role"], created["email"], created["uses"], created["maxUses"]) == (
        ws["id"],
        "member",
        None,
        0,
        None,
    )
    assert created["revoked"] is False and created["createdBy"] == owner.user_id
    invite_id, _, secret = created["code"].partition(".")
    assert invite_id == created["id"] and len(secret) >= 16
    assert created["url"] == f"{get_settings().public_base_url}/v1/invites/{created['code']}"
    # Seven days by default.
    assert before + 7 * 24 * 3600 - 5 <= _at(created["expiresAt"]) <= time.time() + 7 * 24 * 3600 + 5
    # Only the hash is kept; the listing never shows the code again.
    stored = invite_store.get(created["id"])
    assert stored.secret_hash == tokens.sha256_hex(secret) and secret not in str(stored.attribute_values)
    listed = api.get(f"/v1/workspaces/{ws['id']}/invites", token=owner.access_token).data
    assert [i["id"] for i in listed] == [created["id"]]
    assert "code" not in listed[0] and "url" not in listed[0]


def test_link_invite_with_expiry_and_max_uses(api, owned):
    owner, ws = owned
    created = _link(api, owner, ws, expiresInHours=48, maxUses=5, role="admin")
    assert (created["maxUses"], created["uses"], created["role"]) == (5, 0, "admin")
    assert abs(_at(created["expiresAt"]) - (time.time() + 48 * 3600)) < 10


def test_invalid_invite_requests(api, owned):
    owner, ws = owned
    for body, field in (
        ({"expiresInHours": 0}, "expiresInHours"),
        ({"expiresInHours": 30 * 24 + 1}, "expiresInHours"),
        ({"maxUses": 0}, "maxUses"),
        ({"role": "owner"}, "role"),
        ({"email": "not-an-email"}, "email"),
    ):
        answer = _invite(api, owner, ws, **body)
        assert (answer.status, answer.error["code"], answer.error["field"]) == (400, "E_VALIDATION", field), body
    assert api.get(f"/v1/workspaces/{ws['id']}/invites", token=owner.access_token).data == []


def test_only_admins_and_owners_invite_and_only_owners_invite_admins(api, owned):
    owner, ws = owned
    admin, mia, stranger = register(api, "adam"), register(api, "mia"), register(api, "bob")
    _join(ws["id"], admin, "admin")
    _join(ws["id"], mia, "member")
    by_member = _invite(api, mia, ws)
    assert (by_member.status, by_member.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    admin_invites_admin = _invite(api, admin, ws, role="admin")
    assert (admin_invites_admin.status, admin_invites_admin.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    by_stranger = _invite(api, stranger, ws)
    assert (by_stranger.status, by_stranger.error["code"]) == (404, "E_NOT_FOUND")
    assert _invite(api, admin, ws).status == 201
    assert _invite(api, admin, ws, email="new@example.com").status == 201
    assert _invite(api, owner, ws, role="admin").status == 201
    listed = api.get(f"/v1/workspaces/{ws['id']}/invites", token=owner.access_token).data
    assert sorted(i["role"] for i in listed) == ["admin", "member", "member"]


def test_creating_an_invite_emits_invite_created(api, owned):
    owner, ws = owned
    link = _link(api, owner, ws)
    personal = _link(api, owner, ws, email="new@example.com")
    by_id = {e["inviteId"]: e for e in _events("invite.created", ws["id"])}
    assert by_id[link["id"]] == {
        "workspaceId": ws["id"],
        "inviteId": link["id"],
        "role": "member",
        "createdBy": owner.user_id,
    }
    assert by_id[personal["id"]]["email"] == "new@example.com"


# --- email invites -------------------------------------------------------------------------


def test_email_invite_is_mailed_with_a_code_only_that_address_can_use(api, owned):
    owner, ws = owned
    reader = StreamReader()
    created = _link(api, owner, ws, email="Newbie@Example.com")
    assert "code" not in created and "url" not in created
    assert (created["email"], created["maxUses"], created["uses"]) == ("newbie@example.com", 1, 0)
    assert invite_store.get(created["id"]).secret_hash is None  # minted by the worker, not the API

    deliver(reader, "email", send_emails)
    code = _emailed_code("newbie@example.com")
    assert code.partition(".")[0] == created["id"]
    assert "Acme" in _invite_mails("newbie@example.com")[0]["Subject"]
    shown = api.get(f"/v1/invites/{code}")
    assert (shown.status, shown.data["workspace"]["name"], shown.data["email"]) == (200, "Acme", "newbie@example.com")

    someone_else = register(api, "mallory")
    wrong = _accept(api, someone_else, code)
    assert (wrong.status, wrong.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    newbie = register(api, "newbie")
    joined = _accept(api, newbie, code)
    assert (joined.status, joined.data) == (200, {"workspaceId": ws["id"], "joined": True})
    roles = _roles(api, owner, ws)
    assert roles[newbie.user_id] == "member" and someone_else.user_id not in roles


def test_email_invite_is_mailed_once_even_if_delivered_twice(api, owned):
    owner, ws = owned
    reader = StreamReader()
    created = _link(api, owner, ws, email="newbie@example.com")
    route(reader)
    event, _ = sqs_event("email")
    [record] = [r for r in event["Records"] if json.loads(r["body"])["data"].get("inviteId") == created["id"]]
    # SQS delivers at least once: the worker gets the same message twice.
    twice = {"Records": [record, {**record, "messageId": "redelivered"}]}
    assert send_emails(twice, LambdaContext()) == {"batchItemFailures": []}
    assert len(_invite_mails("newbie@example.com")) == 1
    newbie = register(api, "newbie")
    assert _accept(api, newbie, _emailed_code("newbie@example.com")).status == 200


def test_link_invites_send_no_email(api, owned):
    owner, ws = owned
    reader = StreamReader()
    _link(api, owner, ws)
    deliver(reader, "email", send_emails)
    assert [m for m in outbox_messages() if "invited you" in m["Subject"]] == []


def test_an_email_invite_revoked_before_sending_is_not_mailed(api, owned):
    owner, ws = owned
    reader = StreamReader()
    created = _link(api, owner, ws, email="newbie@example.com")
    assert api.delete(f"/v1/workspaces/{ws['id']}/invites/{created['id']}", token=owner.access_token).status == 204
    deliver(reader, "email", send_emails)
    assert _invite_mails("newbie@example.com") == []


# --- looking up ----------------------------------------------------------------------------


def test_look_up_needs_no_login(api, owned):
    owner, ws = owned
    created = _link(api, owner, ws, role="admin")
    shown = api.get(f"/v1/invites/{created['code']}")
    assert shown.status == 200, shown.body
    assert shown.data["workspace"] == {"id": ws["id"], "name": "Acme", "slug": ws["slug"], "iconUrl": None}
    assert (shown.data["role"], shown.data["expiresAt"], shown.data["email"]) == ("admin", created["expiresAt"], None)


def test_look_up_with_a_wrong_secret_or_unknown_id_is_not_found(api, owned):
    owner, ws = owned
    code = _link(api, owner, ws)["code"]
    invite_id, _, secret = code.partition(".")
    forged = f"{invite_id}.{'A' * len(secret)}"
    unknown = f"{UNKNOWN_ID}.{secret}"
    for bad in (forged, unknown):
        answer = api.get(f"/v1/invites/{bad}")
        assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND"), bad
        assert _accept(api, owner, bad).status == 404
    assert api.get(f"/v1/invites/{code}").status == 200


def test_malformed_code_is_a_validation_error(api, owned):
    owner, _ = owned
    for bad in ("nope", "x" * 50, UNKNOWN_ID, f"{UNKNOWN_ID}.short", f"{UNKNOWN_ID}.{'a' * 20}!"):
        answer = api.get(f"/v1/invites/{bad}")
        assert (answer.status, answer.error["code"], answer.error["field"]) == (400, "E_VALIDATION", "code"), bad
        accepted = _accept(api, owner, bad)
        assert (accepted.status, accepted.error["field"]) == (400, "code"), bad


# --- accepting -----------------------------------------------------------------------------


def test_accepting_makes_the_caller_a_member_with_the_invites_role(api, owned):
    owner, ws = owned
    created = _link(api, owner, ws, role="admin")
    adam = register(api, "adam")
    assert api.get(f"/v1/workspaces/{ws['id']}", token=adam.access_token).status == 404
    assert _general_count(api, owner, ws) == 1
    joined = _accept(api, adam, created["code"])
    assert (joined.status, joined.data) == (200, {"workspaceId": ws["id"], "joined": True})
    assert api.get(f"/v1/workspaces/{ws['id']}", token=adam.access_token).data["role"] == "admin"
    assert _roles(api, owner, ws) == {owner.user_id: "owner", adam.user_id: "admin"}
    assert _general_count(api, owner, ws) == 2
    general_members = api.get(f"/v1/channels/{ws['generalChannelId']}/members", token=adam.access_token).data
    assert adam.user_id in [m["userId"] for m in general_members]
    listed = api.get(f"/v1/workspaces/{ws['id']}/invites", token=owner.access_token).data
    assert listed[0]["uses"] == 1
    assert _events("member.joined", ws["id"]) == [
        {"workspaceId": ws["id"], "userId": adam.user_id, "role": "admin", "inviteId": created["id"]}
    ]


def test_accepting_twice_is_a_conflict_and_spends_nothing(api, owned):
    owner, ws = owned
    code = _link(api, owner, ws)["code"]
    mia = register(api, "mia")
    assert _accept(api, mia, code).status == 200
    again = _accept(api, mia, code)
    assert (again.status, again.error["code"]) == (409, "E_CONFLICT")
    by_owner = _accept(api, owner, code)
    assert (by_owner.status, by_owner.error["code"]) == (409, "E_CONFLICT")
    assert int(invite_store.get(code.partition(".")[0]).uses) == 1
    assert _general_count(api, owner, ws) == 2
    assert _roles(api, owner, ws)[owner.user_id] == "owner"


def test_unverified_account_cannot_accept(api, owned):
    owner, ws = owned
    code = _link(api, owner, ws)["code"]
    unverified = register(api, "mia", verified=False)
    answer = _accept(api, unverified, code)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_EMAIL_UNVERIFIED")
    assert unverified.user_id not in _roles(api, owner, ws)
    assert int(invite_store.get(code.partition(".")[0]).uses) == 0


def test_expired_invite_is_gone(api, owned, monkeypatch):
    owner, ws = owned
    code = _link(api, owner, ws, expiresInHours=1)["code"]
    mia = register(api, "mia")
    later = SimpleNamespace(time=lambda: time.time() + 3601)
    monkeypatch.setattr(invite_service, "time", later)
    monkeypatch.setattr(invite_store, "time", later)
    shown = api.get(f"/v1/invites/{code}")
    assert (shown.status, shown.error["code"]) == (410, "E_INVITE_EXPIRED")
    answer = _accept(api, mia, code)
    assert (answer.status, answer.error["code"]) == (410, "E_INVITE_EXPIRED")
    assert mia.user_id not in _roles(api, owner, ws)


def test_invite_stored_with_a_past_expiry_is_gone(api, owned):
    owner, ws = owned
    invite_id, secret = new_id(), "s" * 32
    invite = invite_store.new_invite(
        invite_id,
        ws["id"],
        created_by=owner.user_id,
        role="member",
        email=None,
        expires_at=int(time.time()) - 60,
        max_uses=None,
        uses=0,
        revoked=False,
        created_at=now_iso(),
        secret_hash=tokens.sha256_hex(secret),
    )
    invite.save()
    code = f"{invite_id}.{secret}"
    assert api.get(f"/v1/invites/{code}").status == 410
    mia = register(api, "mia")
    answer = _accept(api, mia, code)
    assert (answer.status, answer.error["code"]) == (410, "E_INVITE_EXPIRED")


def test_invite_expiring_between_look_up_and_join_is_gone(api, owned, monkeypatch):
    """The join transaction re-checks expiry itself (the store's clock is later here)."""
    owner, ws = owned
    code = _link(api, owner, ws, expiresInHours=1)["code"]
    mia = register(api, "mia")
    monkeypatch.setattr(invite_store, "time", SimpleNamespace(time=lambda: time.time() + 3601))
    answer = _accept(api, mia, code)
    assert (answer.status, answer.error["code"]) == (410, "E_INVITE_EXPIRED")
    assert mia.user_id not in _roles(api, owner, ws)
    assert _general_count(api, owner, ws) == 1


def test_used_up_invite_is_gone(api, owned):
    owner, ws = owned
    code = _link(api, owner, ws, maxUses=1)["code"]
    mia, max_ = register(api, "mia"), register(api, "max")
    assert _accept(api, mia, code).status == 200
    answer = _accept(api, max_, code)
    assert (answer.status, answer.error["code"]) == (410, "E_INVITE_EXPIRED")
    assert api.get(f"/v1/invites/{code}").status == 410
    assert max_.user_id not in _roles(api, owner, ws)
    assert _general_count(api, owner, ws) == 2


def test_revoked_invite_is_gone(api, owned):
    owner, ws = owned
    created = _link(api, owner, ws)
    assert api.delete(f"/v1/workspaces/{ws['id']}/invites/{created['id']}", token=owner.access_token).status == 204
    assert api.get(f"/v1/invites/{created['code']}").status == 410
    mia = register(api, "mia")
    answer = _accept(api, mia, created["code"])
    assert (answer.status, answer.error["code"]) == (410, "E_INVITE_EXPIRED")
    listed = api.get(f"/v1/workspaces/{ws['id']}/invites", token=owner.access_token).data
    assert listed[0]["revoked"] is True and listed[0]["uses"] == 0
    again = api.delete(f"/v1/workspaces/{ws['id']}/invites/{created['id']}", token=owner.access_token)
    assert again.status == 204
    assert _events("invite.revoked", ws["id"]) == [{"workspaceId": ws["id"], "inviteId": created["id"]}]


def test_concurrent_accepts_spend_exactly_the_allowed_uses(api, owned, monkeypatch):
    owner, ws = owned
    code = _link(api, owner, ws, maxUses=2)["code"]
    joiners = [register(api, name) for name in ("anna", "bert", "cleo", "dave")]
    # Hold every accept between its look-up and its transaction, so they race.
    barrier = threading.Barrier(len(joiners), timeout=10)
    original = workspace_store.join

    def join_after_everyone_looked(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(workspace_store, "join", join_after_everyone_looked)
    results = {}

    def attempt(account):
        try:
            results[account.username] = invite_service.accept(Principal(user_id=account.user_id, kind="session"), code)
        except Exception as error:
            results[account.username] = error

    threads = [threading.Thread(target=attempt, args=(a,)) for a in joiners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.setattr(workspace_store, "join", original)
    losers = [r for r in results.values() if isinstance(r, Exception)]
    assert len(results) == 4 and len(losers) == 2, results
    assert all(isinstance(e, invite_service.InviteGone) for e in losers), losers
    assert int(invite_store.get(code.partition(".")[0]).uses) == 2
    winners = {a.user_id for a in joiners if not isinstance(results[a.username], Exception)}
    assert set(_roles(api, owner, ws)) == {owner.user_id} | winners
    assert _general_count(api, owner, ws) == 3


def test_a_member_who_left_can_come_back_with_a_new_invite(api, owned):
    owner, ws = owned
    mia = register(api, "mia")
    assert _accept(api, mia, _link(api, owner, ws)["code"]).status == 200
    assert api.delete(f"/v1/workspaces/{ws['id']}/members/{mia.user_id}", token=mia.access_token).status == 204
    assert _general_count(api, owner, ws) == 1
    again = _accept(api, mia, _link(api, owner, ws, role="admin")["code"])
    assert again.status == 200, again.body
    assert _roles(api, owner, ws)[mia.user_id] == "admin"
    assert _general_count(api, owner, ws) == 2


# --- listing and revoking ------------------------------------------------------------------


def test_list_is_newest_first_and_paginated(api, owned):
    owner, ws = owned
    made = [_link(api, owner, ws)["id"] for _ in range(3)]
    first = api.get(f"/v1/workspaces/{ws['id']}/invites?limit=2", token=owner.access_token)
    assert [i["id"] for i in first.data] == made[::-1][:2]
    assert first.body["pagination"]["hasMore"] is True
    second = api.get(
        f"/v1/workspaces/{ws['id']}/invites?limit=2&cursor={first.body['pagination']['nextCursor']}",
        token=owner.access_token,
    )
    assert [i["id"] for i in second.data] == made[:1]
    assert second.body["pagination"] == {"hasMore": False, "nextCursor": None}


def test_only_admins_list_and_revoke(api, owned):
    owner, ws = owned
    admin, mia, stranger = register(api, "adam"), register(api, "mia"), register(api, "bob")
    _join(ws["id"], admin, "admin")
    _join(ws["id"], mia, "member")
    created = _link(api, owner, ws)
    path = f"/v1/workspaces/{ws['id']}/invites"
    for caller, status, code in ((mia, 403, "E_AUTHZ_FORBIDDEN"), (stranger, 404, "E_NOT_FOUND")):
        listed = api.get(path, token=caller.access_token)
        assert (listed.status, listed.error["code"]) == (status, code), caller.username
        revoked = api.delete(f"{path}/{created['id']}", token=caller.access_token)
        assert (revoked.status, revoked.error["code"]) == (status, code), caller.username
    assert api.get(f"/v1/invites/{created['code']}").status == 200
    assert [i["id"] for i in api.get(path, token=admin.access_token).data] == [created["id"]]
    assert api.delete(f"{path}/{created['id']}", token=admin.access_token).status == 204
    assert api.get(f"/v1/invites/{created['code']}").status == 410


def test_revoking_a_foreign_or_unknown_invite_is_not_found(api, owned):
    owner, ws = owned
    bob = register(api, "bob")
    bobs_ws = create_workspace(api, bob, "Bob's")
    bobs = _link(api, bob, bobs_ws)
    foreign = api.delete(f"/v1/workspaces/{ws['id']}/invites/{bobs['id']}", token=owner.access_token)
    assert (foreign.status, foreign.error["code"]) == (404, "E_NOT_FOUND")
    unknown = api.delete(f"/v1/workspaces/{ws['id']}/invites/{UNKNOWN_ID}", token=owner.access_token)
    assert (unknown.status, unknown.error["code"]) == (404, "E_NOT_FOUND")
    assert api.get(f"/v1/invites/{bobs['code']}").status == 200
    assert api.get(f"/v1/workspaces/{ws['id']}/invites", token=owner.access_token).data == []


# --- API tokens --------------------------------------------------------------------------


def test_api_token_cannot_create_or_accept_invites(api, owned):
    owner, ws = owned
    secret = _mint(api, owner, ws["id"])
    created = api.post(f"/v1/workspaces/{ws['id']}/invites", {}, token=secret)
    assert (created.status, created.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    bob = register(api, "bob")
    bobs_ws = create_workspace(api, bob, "Bob's")
    code = _link(api, bob, bobs_ws)["code"]
    accepted = api.post(f"/v1/invites/{code}/accept", token=secret)
    assert (accepted.status, accepted.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    assert owner.user_id not in _roles(api, bob, bobs_ws)
    assert int(invite_store.get(code.partition(".")[0]).uses) == 0


def test_api_token_lists_and_revokes_with_its_creators_role(api, owned):
    owner, ws = owned
    mia = register(api, "mia")
    _join(ws["id"], mia, "member")
    created = _link(api, owner, ws)
    mias = _mint(api, mia, ws["id"])
    denied = api.get(f"/v1/workspaces/{ws['id']}/invites", token=mias)
    assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    assert api.delete(f"/v1/workspaces/{ws['id']}/invites/{created['id']}", token=mias).status == 403
    assert api.get(f"/v1/workspaces/{ws['id']}/invites", token=_mint(api, owner, ws["id"])).status == 403
    owners = _mint(api, owner, ws["id"], ("admin",))
    assert [i["id"] for i in api.get(f"/v1/workspaces/{ws['id']}/invites", token=owners).data] == [created["id"]]
    assert api.delete(f"/v1/workspaces/{ws['id']}/invites/{created['id']}", token=owners).status == 204
    assert api.get(f"/v1/invites/{created['code']}").status == 410
