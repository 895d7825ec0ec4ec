"""The Idempotency-Key contract on POST routes."""

from tests.helpers import register


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
    from chalicelib.services import idempotency

    owner = register(api, "jane")
    scope = f"user:{owner.user_id}|POST|/v1/workspaces"
    import hashlib
    import json

    body = json.dumps({"name": "Acme"})
    assert idempotency.begin(scope, "busy-key", hashlib.sha256(body.encode()).hexdigest()) is None
    answer = api.post("/v1/workspaces", raw=body, token=owner.access_token, headers={"Idempotency-Key": "busy-key"})
    assert (answer.status, answer.error["code"]) == (409, "E_IDEMPOTENCY_IN_PROGRESS")


def test_unauthenticated_posts_are_keyed_by_address(api):
    body = {"email": "a@example.com", "password": "long enough pw", "username": "alice", "displayName": "A"}
    first = api.post("/v1/auth/register", body, headers={"Idempotency-Key": "signup"})
    second = api.post("/v1/auth/register", body, headers={"Idempotency-Key": "signup"})
    assert first.status == second.status == 201 and first.data == second.data
    assert second.headers.get("Idempotent-Replayed") == "true"


def test_invalid_key(api):
    owner = register(api, "jane")
    answer = _create(api, owner, {"name": "Acme"}, "x" * 256)
    assert (answer.status, answer.error["field"]) == (400, "Idempotency-Key")
