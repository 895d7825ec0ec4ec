"""Webhook registration: validation, the Free plan's limit, secrets shown once, access."""

import socket

import pytest

from chalicelib.store import webhooks as webhook_store
from chalicelib.store.models import Webhook
from tests.helpers import create_workspace, join_workspace, register

PUBLIC_IP = "93.184.215.14"
URL = "https://hooks.example.com/disqua"


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """Offline DNS: hooks.example.com is public, sneaky.example.com is loopback."""
    real = socket.getaddrinfo
    names = {"hooks.example.com": PUBLIC_IP, "sneaky.example.com": "127.0.0.1"}

    def resolve(host, port, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port or 443))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def _create(api, account, ws, **body):
    payload = {"name": "CI", "url": URL, "events": ["message.created"], **body}
    return api.post(f"/v1/workspaces/{ws['id']}/webhooks", payload, token=account.access_token)


def _mint(api, account, ws, scopes):
    answer = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "bot", "scopes": list(scopes)}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["token"]


def test_create_returns_the_secret_once_and_never_again(api, team):
    ws, owner, _ = team
    created = _create(api, owner, ws, events=["message.created", "member.joined"])
    assert created.status == 201, created.body
    hook = created.data
    assert hook["id"].startswith("wh_") and hook["status"] == "active" and hook["workspaceId"] == ws["id"]
    assert (hook["name"], hook["url"], hook["events"]) == ("CI", URL, ["message.created", "member.joined"])
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) >= 6 + 44  # 32 bytes of base64
    listed = api.get(f"/v1/workspaces/{ws['id']}/webhooks", token=owner.access_token)
    one = api.get(f"/v1/webhooks/{hook['id']}", token=owner.access_token)
    assert [w["id"] for w in listed.data] == [hook["id"]] and "secret" not in listed.data[0]
    assert one.data["id"] == hook["id"] and "secret" not in one.data
    for answer in (listed, one):
        assert hook["secret"] not in str(answer.body)
    stored = Webhook.get(f"WH#{hook['id']}", "META")
    assert hook["secret"] not in str(stored.attribute_values)  # encrypted at rest
    assert stored.secret_kid


def test_an_idempotent_replay_of_create_does_not_show_the_secret(api, team):
    ws, owner, _ = team
    headers = {"Idempotency-Key": "create-hook-1"}
    body = {"name": "CI", "url": URL, "events": ["message.created"]}
    path = f"/v1/workspaces/{ws['id']}/webhooks"
    first = api.post(path, body, token=owner.access_token, headers=headers)
    again = api.post(path, body, token=owner.access_token, headers=headers)
    assert first.data["secret"] and again.data["secret"] is None and again.data["id"] == first.data["id"]


def test_a_supplied_secret_is_validated_and_kept(api, team):
    ws, owner, _ = team
    good = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"[:12]
    created = _create(api, owner, ws, secret=good)
    assert created.status == 201 and created.data["secret"] == good
    for bad in ("not-a-secret", "whsec_c2hvcnQ=", "whsec_!!!!"):
        answer = _create(api, owner, ws, secret=bad)
        assert (answer.status, answer.error["code"], answer.error.get("field")) == (400, "E_VALIDATION", "secret")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["message.created", "message.exploded"]}, "events[1]"),
        ({"events": ["ping"]}, "events[0]"),
        ({"events": []}, "events"),
        ({"url": "ftp://hooks.example.com/x"}, "url"),
        ({"url": "http://hooks.example.com/x"}, "url"),
        ({"url": "https://user:pw@hooks.example.com/x"}, "url"),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_validation_errors_name_the_field(api, team, body, field):
    ws, owner, _ = team
    answer = _create(api, owner, ws, **body)
    assert (answer.status, answer.error["code"]) == (400, "E_VALIDATION"), answer.body
    assert answer.error.get("field") == field and field in answer.error["message"]


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.8/hook",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://sneaky.example.com/hook",
        "http://127.0.0.1:8000/hook",
    ],
)
def test_private_targets_are_refused_outside_the_local_stage(api, team, url):
    ws, owner, _ = team
    answer = _create(api, owner, ws, url=url)
    assert (answer.status, answer.error.get("field")) == (400, "url"), answer.body


def test_free_plan_allows_ten_then_e_plan_limit(api, team):
    ws, owner, _ = team
    for i in range(10):
        assert _create(api, owner, ws, name=f"hook {i}").status == 201
    over = _create(api, owner, ws, name="eleventh")
    assert (over.status, over.error["code"]) == (403, "E_PLAN_LIMIT")
    assert webhook_store.count(ws["id"]) == 10
    # deleting one frees a place; the counter moves with the delete
    first = api.get(f"/v1/workspaces/{ws['id']}/webhooks?limit=1", token=owner.access_token).data[0]
    assert api.delete(f"/v1/webhooks/{first['id']}", token=owner.access_token).status == 204
    assert api.delete(f"/v1/webhooks/{first['id']}", token=owner.access_token).status == 404
    assert _create(api, owner, ws, name="again").status == 201
    assert webhook_store.count(ws["id"]) == 10


def test_pro_plan_is_unlimited(api, team):
    from chalicelib.store import workspaces as workspace_store

    ws, owner, _ = team
    workspace_store.set_plan(ws["id"], "pro")
    for i in range(11):
        assert _create(api, owner, ws, name=f"hook {i}").status == 201


def test_list_pages_with_a_cursor(api, team):
    ws, owner, _ = team
    ids = [_create(api, owner, ws, name=f"h{i}").data["id"] for i in range(3)]
    first = api.get(f"/v1/workspaces/{ws['id']}/webhooks?limit=2", token=owner.access_token)
    assert first.body["pagination"]["hasMore"] is True
    cursor = first.body["pagination"]["nextCursor"]
    second = api.get(f"/v1/workspaces/{ws['id']}/webhooks?limit=2&cursor={cursor}", token=owner.access_token)
    assert [w["id"] for w in first.data + second.data] == ids and second.body["pagination"]["hasMore"] is False


def test_members_get_403_and_other_workspaces_404(api, team):
    ws, owner, member = team
    hook = _create(api, owner, ws).data
    denied = _create(api, member, ws)
    assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    assert api.get(f"/v1/webhooks/{hook['id']}", token=member.access_token).status == 403
    stranger = register(api, "eve")
    theirs = create_workspace(api, stranger, "Eve's")
    for answer in (
        api.get(f"/v1/webhooks/{hook['id']}", token=stranger.access_token),
        api.patch(f"/v1/webhooks/{hook['id']}", {"status": "paused"}, token=stranger.access_token),
        api.delete(f"/v1/webhooks/{hook['id']}", token=stranger.access_token),
        api.post(f"/v1/webhooks/{hook['id']}/rotate-secret", token=stranger.access_token),
        api.get(f"/v1/webhooks/{hook['id']}/deliveries", token=stranger.access_token),
        api.get(f"/v1/workspaces/{ws['id']}/webhooks", token=stranger.access_token),
    ):
        assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND"), answer.body
    other_token = _mint(api, stranger, theirs, ["webhooks:read"])
    assert api.get(f"/v1/webhooks/{hook['id']}", token=other_token).status == 404
    assert api.get(f"/v1/webhooks/{hook['id']}", token=owner.access_token).data["status"] == "active"


def test_admins_may_manage_webhooks(api, team):
    ws, owner, _ = team
    admin = register(api, "ada")
    join_workspace(ws, admin, role="admin")
    hook = _create(api, admin, ws)
    assert hook.status == 201
    assert api.delete(f"/v1/webhooks/{hook.data['id']}", token=owner.access_token).status == 204


def test_scopes(api, team):
    ws, owner, _ = team
    hook = _create(api, owner, ws).data
    reader = _mint(api, owner, ws, ["webhooks:read"])
    writer = _mint(api, owner, ws, ["webhooks:write"])
    other = _mint(api, owner, ws, ["messages:read"])
    assert api.get(f"/v1/workspaces/{ws['id']}/webhooks", token=reader).status == 200
    assert api.get(f"/v1/webhooks/{hook['id']}/deliveries", token=reader).status == 200
    denied = _create(api, type("T", (), {"access_token": reader})(), ws)
    assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    assert _create(api, type("T", (), {"access_token": writer})(), ws).status == 201
    for answer in (
        api.get(f"/v1/workspaces/{ws['id']}/webhooks", token=other),
        api.patch(f"/v1/webhooks/{hook['id']}", {"name": "x"}, token=reader),
    ):
        assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")


def test_a_members_token_cannot_manage_webhooks(api, team):
    ws, _, member = team
    token = _mint(api, member, ws, ["webhooks:write"])
    answer = _create(api, type("T", (), {"access_token": token})(), ws)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")


def test_patch_updates_pauses_and_validates(api, team):
    ws, owner, _ = team
    hook = _create(api, owner, ws).data
    path = f"/v1/webhooks/{hook['id']}"
    changed = api.patch(
        path,
        {"name": "Deploys", "events": ["channel.created", "file.ready"], "status": "paused"},
        token=owner.access_token,
    )
    assert changed.status == 200, changed.body
    assert (changed.data["name"], changed.data["events"], changed.data["status"]) == (
        "Deploys",
        ["channel.created", "file.ready"],
        "paused",
    )
    assert api.get(path, token=owner.access_token).data["status"] == "paused"
    for body, field in (
        ({"status": "disabled"}, "status"),
        ({"events": ["nope"]}, "events[0]"),
        ({"url": "https://10.1.2.3/"}, "url"),
        ({}, "body"),
    ):
        answer = api.patch(path, body, token=owner.access_token)
        assert (answer.status, answer.error.get("field")) == (400, field), answer.body


def test_rotate_secret_shows_the_new_secret_once(api, team):
    ws, owner, _ = team
    hook = _create(api, owner, ws).data
    rotated = api.post(f"/v1/webhooks/{hook['id']}/rotate-secret", token=owner.access_token)
    assert rotated.status == 200 and rotated.data["secret"].startswith("whsec_")
    assert rotated.data["secret"] != hook["secret"]
    from chalicelib.services import webhooks

    stored = webhook_store.get(hook["id"])
    assert webhooks.signing_secrets(stored) == [rotated.data["secret"], hook["secret"]]
    assert "secret" not in api.get(f"/v1/webhooks/{hook['id']}", token=owner.access_token).data


def test_unknown_webhook_and_delivery_are_404(api, team):
    ws, owner, _ = team
    hook = _create(api, owner, ws).data
    missing = "0190b6a4-0000-7000-8000-000000000000"
    assert api.get(f"/v1/webhooks/wh_{missing}", token=owner.access_token).status == 404
    malformed = api.get(f"/v1/webhooks/{missing}", token=owner.access_token)
    assert (malformed.status, malformed.error["field"]) == (400, "webhookId")
    answer = api.post(f"/v1/webhooks/{hook['id']}/deliveries/{missing}/redeliver", token=owner.access_token)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")
