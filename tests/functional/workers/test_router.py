"""The event router: outbox items on the stream -> SQS, by event type."""

import pytest

from chalicelib.workers import router
from tests.functional.workers.pipeline import StreamReader, queued_bodies
from tests.helpers import register


def test_registration_event_reaches_the_email_queue(api):
    reader = StreamReader()
    account = register(api, "jane", verified=False)
    records = reader.read()
    assert router.route(records) == 1
    (event,) = queued_bodies("email")
    assert event["type"] == "user.registered" and event["data"] == {"userId": account.user_id}
    assert event["id"].startswith("evt_") and event["createdAt"].endswith("Z")


def test_only_outbox_inserts_are_events():
    event_item = {
        "type": {"S": "Event"},
        "id": {"S": "evt_1"},
        "event_type": {"S": "user.registered"},
        "occurred_at": {"S": "2026-01-01T00:00:00.000Z"},
        "data": {"S": '{"userId": "u"}'},
    }
    assert router.events_from_record({"eventName": "INSERT", "dynamodb": {"NewImage": event_item}})[0]["id"] == "evt_1"
    assert router.events_from_record({"eventName": "REMOVE", "dynamodb": {"OldImage": event_item}}) == []
    assert router.events_from_record({"eventName": "MODIFY", "dynamodb": {"NewImage": event_item}}) == []
    user_item = {**event_item, "type": {"S": "User"}}
    assert router.events_from_record({"eventName": "INSERT", "dynamodb": {"NewImage": user_item}}) == []


def test_unconsumed_event_types_go_nowhere(api):
    reader = StreamReader()
    register(api, "jane")  # also emits user.verified, which nothing consumes yet
    types = [e["type"] for r in reader.read() for e in router.events_from_record(r)]
    assert "user.verified" in types
    assert router.route(reader.read()) == 0


def test_a_refused_send_fails_the_batch_so_lambda_retries(api, monkeypatch):
    reader = StreamReader()
    register(api, "jane", verified=False)
    from chalicelib.aws import client

    sqs = client("sqs")
    monkeypatch.setattr(sqs, "send_message_batch", lambda **kw: {"Failed": [{"Id": "0"}], "Successful": []})
    with pytest.raises(RuntimeError, match="retried"):
        router.route(reader.read())


def test_without_a_search_engine_the_indexer_gets_nothing(api, monkeypatch):
    """SearchEngine=none (an AWS stage without SEARCH_URL): message events skip the search queue
    (it would only acknowledge them); the other consumers still get them. With an engine, it does."""
    from chalicelib import config
    from tests.helpers import create_workspace

    jane = register(api, "jane")
    ws = create_workspace(api, jane)
    reader = StreamReader()
    reader.read()
    sent = api.post(f"/v1/channels/{ws['generalChannelId']}/messages", {"content": "hi"}, token=jane.access_token)
    assert sent.status == 201
    records = reader.read()
    with monkeypatch.context() as patched:
        patched.setenv("DISQUA_STAGE", "dev")
        patched.delenv("SEARCH_DB", raising=False)
        patched.delenv("SEARCH_URL", raising=False)
        config.reset()
        assert config.get_settings().search_engine == "none"
        router.route(records)
    config.reset()
    assert queued_bodies("search") == []
    assert [e["type"] for e in queued_bodies("activity")] == ["message.created"]
    router.route(records)  # the test stage: the embedded engine
    assert [e["type"] for e in queued_bodies("search")] == ["message.created"]
