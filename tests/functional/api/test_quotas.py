"""Quotas where one caller could fill the table (chalicelib/services/quotas.py), set low per
test: each is refused with 403 E_PLAN_LIMIT past its figure and writes nothing; a revoked
token frees its place; concurrent creates never pass the quota together."""

from __future__ import annotations

import threading

from chalicelib.services import quotas
from tests.helpers import create_workspace


def test_workspaces_per_user(api, team, monkeypatch):
    _, owner, member = team  # the owner created one already
    monkeypatch.setattr(quotas, "WORKSPACES_PER_USER", 2)
    assert api.post("/v1/workspaces", {"name": "Second"}, token=owner.access_token).status == 201
    refused = api.post("/v1/workspaces", {"name": "Third"}, token=owner.access_token)
    assert (refused.status, refused.error["code"]) == (403, "E_PLAN_LIMIT")
    assert "at most 2 workspaces" in refused.error["message"]
    names = [w["name"] for w in api.get("/v1/workspaces", token=owner.access_token).data]
    assert "Third" not in names and len(names) == 2
    assert create_workspace(api, member, "Theirs")["name"] == "Theirs"  # per user


def test_channels_per_workspace(api, team, monkeypatch):
    ws, owner, _ = team
    monkeypatch.setattr(quotas, "CHANNELS_PER_WORKSPACE", 2)  # #general was created before the quota
    path = f"/v1/workspaces/{ws['id']}/channels"
    assert api.post(path, {"name": "one"}, token=owner.access_token).status == 201
    assert api.post(path, {"name": "two"}, token=owner.access_token).status == 201
    refused = api.post(path, {"name": "three"}, token=owner.access_token)
    assert (refused.status, refused.error["code"]) == (403, "E_PLAN_LIMIT")
    listed = [c["name"] for c in api.get(path, token=owner.access_token).data]
    assert "three" not in listed


def test_tokens_per_workspace_and_a_revoked_token_frees_its_place(api, team, monkeypatch):
    ws, owner, _ = team
    monkeypatch.setattr(quotas, "TOKENS_PER_WORKSPACE", 1)
    path = f"/v1/workspaces/{ws['id']}/tokens"
    body = {"name": "bot", "scopes": ["messages:read"]}
    first = api.post(path, body, token=owner.access_token)
    assert first.status == 201
    refused = api.post(path, body, token=owner.access_token)
    assert (refused.status, refused.error["code"]) == (403, "E_PLAN_LIMIT")
    assert api.delete(f"{path}/{first.data['id']}", token=owner.access_token).status == 204
    assert api.post(path, body, token=owner.access_token).status == 201


def test_invites_per_workspace_window(api, team, monkeypatch):
    ws, owner, _ = team
    monkeypatch.setattr(quotas, "INVITES_PER_WORKSPACE_WINDOW", 2)
    path = f"/v1/workspaces/{ws['id']}/invites"
    assert [api.post(path, {}, token=owner.access_token).status for _ in range(2)] == [201, 201]
    refused = api.post(path, {}, token=owner.access_token)
    assert (refused.status, refused.error["code"]) == (403, "E_PLAN_LIMIT")
    assert len(api.get(path, token=owner.access_token).data) == 2


def test_concurrent_creates_never_pass_a_quota(api, team, monkeypatch):
    from chalicelib.auth.principal import Principal
    from chalicelib.errors import Conflict, PlanLimit
    from chalicelib.services import api_tokens

    ws, owner, _ = team
    monkeypatch.setattr(quotas, "TOKENS_PER_WORKSPACE", 3)
    caller = Principal(user_id=owner.user_id, kind="session")
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def mint(n: int) -> None:
        start.wait()
        try:
            api_tokens.create(caller, ws["id"], name=f"t{n}", scopes=["messages:read"])
            outcomes.append("created")
        except PlanLimit:
            outcomes.append("refused")
        except Conflict:  # DynamoDB cancelled a contended transaction: the client retries
            outcomes.append("conflict")

    workers = [threading.Thread(target=mint, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(outcomes) == 8 and outcomes.count("created") <= 3
    if "conflict" not in outcomes:  # none cancelled for contention: exactly the quota passed
        assert outcomes.count("created") == 3
    listed = api.get(f"/v1/workspaces/{ws['id']}/tokens", token=owner.access_token).data
    assert len(listed) == outcomes.count("created")
