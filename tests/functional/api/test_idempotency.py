"""The Idempotency-Key contract on POST routes."""

import json

import pytest

from tests.helpers import create_workspace, register


def _create(api, account, body, key):
    return api.post("/v1/workspaces", body, token=account.access_token, headers={"Idempotency-Key": key})


def test_same_key_and_body_replays_the_first_response(api):
    owner = register(api, "jane")
    first = _create(api, owner, {"name": "Acme"}, "key-1")
    second = _create(api, owner, {"name": "Acme"}, "key-1")
    assert first.status == second.status == 201
    assert second.data == first.data
    assert second.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert second.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert len(api.get("/v1/workspaces", token=owner.access_token).data) == 1


def test_same_key_with_another_body_is_an_error(api):
    owner = register(api, "jane")
    _create(api, owner, {"name": "Acme"}, "key-1")
    other = _create(api, owner, {"name": "Other"}, "key-1")
    assert (other.status, other.error["code"]) == (422, "E_IDEMPOTENCY_MISMATCH")


def test_keys_are_per_caller(api):
    jane, bob = register(api, "jane"), register(api, "bob")
    a = _create(api, jane, {"name": "Acme"}, "shared-key")
    b = _create(api, bob, {"name": "Acme"}, "shared-key")
    assert a.status == b.status == 201 and a.data["id"] != b.data["id"]
    assert "Idempotent-Replayed" not in b.headers


def test_without_a_key_each_post_acts(api):
    owner = register(api, "jane")
    api.post("/v1/workspaces", {"name": "Acme"}, token=owner.access_token)
    api.post("/v1/workspaces", {"name": "Acme"}, token=owner.access_token)
    assert len(api.get("/v1/workspaces", token=owner.access_token).data) == 2


def test_a_failed_request_is_not_remembered(api):
    owner = register(api, "jane")
    assert api.post("/v1/workspaces", {"name": "A", "slug": "taken"}, token=owner.access_token).status == 201
    failed = _create(api, owner, {"name": "B", "slug": "taken"}, "retry-me")
    assert failed.status == 409
    assert _create(api, owner, {"name": "B", "slug": "taken"}, "retry-me").status == 409  # ran again, not replayed


def test_key_in_progress_is_a_conflict(api):
    from chalicelib.api.routing import ROUTES, _fingerprint
    from chalicelib.services import idempotency

    owner = register(api, "jane")
    body = json.dumps({"name": "Acme"})
    route = next(r for r in ROUTES if (r.method, r.path) == ("POST", "/v1/workspaces"))
    assert idempotency.begin(f"user:{owner.user_id}", "busy-key", _fingerprint(route, {}, body.encode())) is None
    answer = api.post("/v1/workspaces", raw=body, token=owner.access_token, headers={"Idempotency-Key": "busy-key"})
    assert (answer.status, answer.error["code"]) == (409, "E_IDEMPOTENCY_IN_PROGRESS")


def test_auth_routes_ignore_the_key(api):
    """Login, refresh, register and verify never replay: a replayed refresh would
    hand out the successor of a rotated token, bypassing reuse detection."""
    body = {"email": "a@example.com", "password": "long enough pw", "username": "alice", "displayName": "A"}
    first = api.post("/v1/auth/register", body, headers={"Idempotency-Key": "signup"})
    second = api.post("/v1/auth/register", body, headers={"Idempotency-Key": "signup"})
    assert first.status == 201
    assert second.status == 409 and "Idempotent-Replayed" not in second.headers  # ran again: username taken
    jane = register(api, "jane")
    key = {"Idempotency-Key": "refresh-1"}
    rotated = api.post("/v1/auth/refresh", {"refreshToken": jane.refresh_token}, headers=key)
    assert rotated.status == 200
    replay = api.post("/v1/auth/refresh", {"refreshToken": jane.refresh_token}, headers=key)
    assert replay.status == 401 and "Idempotent-Replayed" not in replay.headers
    # Reuse detection revoked the family: the successor is dead too.
    successor = api.post("/v1/auth/refresh", {"refreshToken": rotated.data["refreshToken"]})
    assert successor.status == 401


def test_the_key_is_bound_to_the_path_parameters(api):
    """The same key and body on another channel is a mismatch: nothing is replayed
    as if it had been sent there (issue 8, item 2)."""
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    other = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "random"}, token=owner.access_token).data
    key = {"Idempotency-Key": "send-1"}
    general = f"/v1/channels/{ws['generalChannelId']}/messages"
    assert api.post(general, {"content": "hi"}, token=owner.access_token, headers=key).status == 201
    path = f"/v1/channels/{other['id']}/messages"
    elsewhere = api.post(path, {"content": "hi"}, token=owner.access_token, headers=key)
    assert (elsewhere.status, elsewhere.error["code"]) == (422, "E_IDEMPOTENCY_MISMATCH")
    assert [m for m in api.get(path, token=owner.access_token).data if m["type"] == "message"] == []


def test_the_key_is_bound_to_the_route(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    channel = ws["generalChannelId"]
    message = api.post(f"/v1/channels/{channel}/messages", {"content": "hi"}, token=owner.access_token).data
    key = {"Idempotency-Key": "same"}
    body = {"messageId": message["id"]}
    other = api.post(f"/v1/channels/{channel}/messages", {"content": "x"}, token=owner.access_token).data
    assert api.post(f"/v1/channels/{channel}/pins", body, token=owner.access_token, headers=key).status in (200, 201)
    # The same key and body to another route (and another message) is never the pin's answer.
    reply = api.post(f"/v1/messages/{other['id']}/reactions", {"emoji": "👍"}, token=owner.access_token, headers=key)
    assert (reply.status, reply.error["code"]) == (422, "E_IDEMPOTENCY_MISMATCH")


def test_a_replayed_token_creation_never_shows_the_secret_again(api):
    from chalicelib.store.models import Entity

    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    body = {"name": "ci", "scopes": ["users:read"]}
    key = {"Idempotency-Key": "mint-1"}
    path = f"/v1/workspaces/{ws['id']}/tokens"
    first = api.post(path, body, token=owner.access_token, headers=key)
    second = api.post(path, body, token=owner.access_token, headers=key)
    secret = first.data["token"]
    assert secret.startswith("dqa_") and second.status == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.data["token"] is None and second.data["id"] == first.data["id"]
    stored = [item for item in Entity.scan() if secret in json.dumps(item.attribute_values, default=str)]
    assert stored == []  # no item anywhere holds the secret in clear


def test_invalid_key(api):
    owner = register(api, "jane")
    answer = _create(api, owner, {"name": "Acme"}, "x" * 256)
    assert (answer.status, answer.error["field"]) == (400, "Idempotency-Key")


@pytest.mark.parametrize("key", ["caf\u00e9", "a\tb", "a\x00b"])
def test_a_key_is_visible_ascii_as_the_document_states(api, key):
    owner = register(api, "jane")
    answer = _create(api, owner, {"name": "Acme"}, key)
    assert (answer.status, answer.error["field"]) == (400, "Idempotency-Key")
