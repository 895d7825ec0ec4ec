"""The search indexer through the handlers Lambda runs: table stream -> router -> search queue
-> worker -> index, then the search route.

What each test proves:
- a sent message becomes searchable, an edit replaces its text, a deletion removes it at once,
  and the same SQS message delivered twice changes nothing;
- a member who joins the workspace becomes findable with type=users, and is gone after leaving;
- a new display name is found (user.updated) in every workspace the person is in;
- a deleted file leaves the results (file.deleted), committed with the deletion.
"""

from __future__ import annotations

import pytest

from app import index_for_search
from chalicelib.workers import router
from tests.functional.workers.pipeline import LambdaContext, StreamReader, deliver, drain, route, sqs_event
from tests.helpers import Api, create_workspace, join_workspace, register


@pytest.fixture
def search_db(tmp_path, monkeypatch):
    # Before the backend fixture reads the settings (the Chalice test client swaps the environment).
    monkeypatch.setenv("SEARCH_DB", str(tmp_path / "search.db"))


def _hits(api: Api, account, workspace_id: str, q: str, **params: str) -> list[str]:
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    answer = api.get(f"/v1/workspaces/{workspace_id}/search?q={q}{extra}", token=account.access_token)
    assert answer.status == 200, answer.body
    return [item["id"] for item in answer.data]


def test_the_router_sends_message_events_to_the_search_queue():
    for event_type in (
        "message.created",
        "message.updated",
        "message.deleted",
        "file.ready",
        "file.deleted",
        "member.joined",
        "user.updated",
    ):
        assert "search" in router.ROUTES[event_type]


def test_sent_edited_and_deleted_messages_follow_in_the_index(search_db, api):
    reader = StreamReader()
    owner = register(api, "olivia")
    ws = create_workspace(api, owner)
    general = ws["generalChannelId"]
    deliver(reader, "search", index_for_search)

    sent = api.post(f"/v1/channels/{general}/messages", {"content": "kickoff agenda"}, token=owner.access_token)
    assert sent.status == 201, sent.body
    message_id = sent.data["id"]
    assert _hits(api, owner, ws["id"], "agenda") == []  # not indexed before the worker runs
    delivered = deliver(reader, "search", index_for_search)
    assert _hits(api, owner, ws["id"], "agenda") == [message_id]

    # The same SQS message again (at-least-once delivery): no change, no failure.
    assert index_for_search({"Records": delivered}, LambdaContext()) == {"batchItemFailures": []}
    assert _hits(api, owner, ws["id"], "agenda") == [message_id]

    edited = api.patch(f"/v1/messages/{message_id}", {"content": "kickoff minutes"}, token=owner.access_token)
    assert edited.status == 200, edited.body
    deliver(reader, "search", index_for_search)
    assert _hits(api, owner, ws["id"], "agenda") == []
    assert _hits(api, owner, ws["id"], "minutes") == [message_id]

    assert api.delete(f"/v1/messages/{message_id}", token=owner.access_token).status == 204
    deliver(reader, "search", index_for_search)
    assert _hits(api, owner, ws["id"], "minutes") == []
    assert _hits(api, owner, ws["id"], "kickoff") == []


def test_workspace_members_are_searchable_as_users_until_they_leave(search_db, api):
    reader = StreamReader()
    owner = register(api, "olivia")
    member = register(api, "marco")
    ws = create_workspace(api, owner)
    join_workspace(ws, member)
    deliver(reader, "search", index_for_search)
    assert _hits(api, owner, ws["id"], "marc*", type="users") == [member.user_id]
    assert _hits(api, owner, ws["id"], "olivia", type="users") == [owner.user_id]

    left = api.delete(f"/v1/workspaces/{ws['id']}/members/{member.user_id}", token=member.access_token)
    assert left.status == 204, left.body
    deliver(reader, "search", index_for_search)
    assert _hits(api, owner, ws["id"], "marc*", type="users") == []


def test_a_new_display_name_is_found_in_every_workspace_of_the_person(search_db, api):
    reader = StreamReader()
    owner = register(api, "olivia")
    member = register(api, "marco")
    first, second = create_workspace(api, owner), create_workspace(api, owner, name="Second")
    join_workspace(first, member)
    join_workspace(second, member)
    deliver(reader, "search", index_for_search)
    assert _hits(api, owner, first["id"], "Polo", type="users") == []

    renamed = api.patch("/v1/users/me", {"displayName": "Marco Polo"}, token=member.access_token)
    assert renamed.status == 200, renamed.body
    delivered = deliver(reader, "search", index_for_search)
    assert [r for r in delivered if '"user.updated"' in r["body"]], "the profile change raised no event"
    for ws in (first, second):
        assert _hits(api, owner, ws["id"], "Polo", type="users") == [member.user_id]

    # Other profile fields raise nothing: no copy of them is kept anywhere.
    assert api.patch("/v1/users/me", {"bio": "explorer"}, token=member.access_token).status == 200
    assert [r for r in deliver(reader, "search", index_for_search) if '"user.updated"' in r["body"]] == []


def test_a_deleted_file_leaves_the_results(search_db, api):
    from chalicelib.search.port import SearchQuery
    from chalicelib.search.query import parse_query
    from chalicelib.services import search
    from tests.functional.searching import ready_file

    reader = StreamReader()
    owner = register(api, "olivia")
    ws = create_workspace(api, owner)
    item = ready_file(ws["id"], owner.user_id, "roadmap-2026.pdf", channel_id=ws["generalChannelId"])
    search.index_file(item, ws["generalChannelId"], 1)  # as file.ready left it
    deliver(reader, "search", index_for_search)
    assert _hits(api, owner, ws["id"], "roadmap", type="files") == [item.id]

    def indexed() -> list[str]:
        query = SearchQuery(ws["id"], frozenset(), parse_query("roadmap").text, kind="files", public_readable=True)
        return [hit.doc_id for hit in search.index().search(query).hits]

    assert api.delete(f"/v1/files/{item.id}", token=owner.access_token).status == 204
    assert _hits(api, owner, ws["id"], "roadmap", type="files") == []  # hydration finds no record
    assert indexed() == [item.id]  # the index forgets it when the worker runs
    delivered = deliver(reader, "search", index_for_search)
    assert [r for r in delivered if '"file.deleted"' in r["body"]]
    assert indexed() == []


def test_without_search_configured_queued_events_are_acknowledged_not_indexed(api, monkeypatch):
    from chalicelib import config
    from chalicelib.workers import search as search_worker

    reader = StreamReader()
    owner = register(api, "olivia")
    ws = create_workspace(api, owner)
    sent = api.post(f"/v1/channels/{ws['generalChannelId']}/messages", {"content": "kickoff"}, token=owner.access_token)
    assert sent.status == 201, sent.body
    # Routed while there was an engine (a router without one sends the indexer nothing:
    # test_router.py); the engine then goes (the stack's SearchEngine set back to none).
    route(reader)

    monkeypatch.setenv("DISQUA_STAGE", "dev")
    monkeypatch.delenv("SEARCH_DB", raising=False)
    monkeypatch.delenv("SEARCH_URL", raising=False)
    config.reset()
    monkeypatch.setattr(search_worker, "_warned_unconfigured", False)
    counted: list[str] = []
    logged: list[str] = []
    monkeypatch.setattr("chalicelib.observability.count", lambda name, value=1: counted.append(name))
    monkeypatch.setattr(
        "chalicelib.observability.logger", lambda: type("L", (), {"warning": lambda *a, **k: logged.append(a[0])})()
    )

    delivered = drain("search", index_for_search)  # asserts every record is acknowledged (no batch item failures)
    assert any(r["body"] and "message.created" in r["body"] for r in delivered)
    assert counted == ["SearchEventsSkipped"] * len(delivered)
    assert len(logged) == 1  # once per container, not per event
    sqs_dlq, _ = sqs_event("search")
    assert sqs_dlq["Records"] == []  # nothing left for a retry or the DLQ
