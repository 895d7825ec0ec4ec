"""The recorder sees pynamodb's calls and raw client calls alike, and costs writes
from the items' images."""

from __future__ import annotations

import pytest

from bench.recorder import Recorder


@pytest.fixture
def recorder(aws_backend):
    installed = Recorder()
    installed.install()
    yield installed
    installed.uninstall()


def test_counts_model_calls_and_direct_client_calls(recorder):
    from chalicelib.store import throttle
    from chalicelib.store.models import Throttle

    counter = throttle.Counter("bench", "someone", 60)
    with recorder.recording() as calls:
        throttle.increment([counter])  # conn.client.transact_write_items: bypasses pynamodb
        Throttle.get(*counter.key())
    assert [c.operation for c in calls] == ["TransactWriteItems", "GetItem"]
    assert calls[0].computed.write == 2  # one small item, transactional
    assert calls[1].computed.read == 0.5  # eventually consistent


def test_only_inside_recording_and_failed_writes_still_count(recorder):
    from pynamodb.exceptions import PutError

    from chalicelib.store.models import Throttle

    Throttle("THROTTLE#x", "W#1", count=1).save()  # not recorded
    with recorder.recording() as calls, pytest.raises(PutError):
        Throttle("THROTTLE#x", "W#1", count=2).save(condition=Throttle.PK.does_not_exist())
    assert [(c.operation, c.error) for c in calls] == [("PutItem", "ConditionalCheckFailedException")]
    assert calls[0].computed.write == 1
    assert recorder.calls == calls


def test_calls_inside_authenticate_are_tagged(recorder):
    from chalicelib.auth import tokens
    from chalicelib.services import authn
    from chalicelib.store import api_tokens
    from chalicelib.store.outbox import new_event

    secret = tokens.new_api_token()
    record = api_tokens.new_token(
        tokens.sha256_hex(secret),
        "token-1",
        name="bench",
        workspace_id="ws-1",
        user_id="user-1",
        scopes={"messages:read"},
        hint=secret[-4:],
        created_at="2025-01-01T00:00:00Z",
    )
    api_tokens.create(record, new_event("token.created", {}))
    with recorder.recording() as calls:
        authn.authenticate(f"Bearer {secret}")
        authn.authenticate(f"Bearer {secret}")  # cached: no second read
    assert [(c.operation, c.phase) for c in calls] == [("GetItem", "auth")]


def test_writes_are_charged_on_the_indexes_the_item_is_in(recorder):
    from chalicelib.store import channels as channel_store
    from chalicelib.store import messages as message_store

    channel = channel_store.new_channel("c-1", "ws-1", "general", "public", "user-1", "2025-01-01T00:00:00Z")
    channel.save()  # not recorded
    message = message_store.new_message(
        "m-1",
        channel,
        parent_id=None,
        author_id="user-1",
        content="x" * 1024,
        content_html="<p>" + "x" * 1024 + "</p>",
        created_at="2025-01-01T00:00:01Z",
    )
    with recorder.recording() as calls:
        message_store.put(message)  # 2 units (~1.2 KB: its HTML is compressed) + its keys-only GSI2 entry
        channel_store.touch(channel.id, message.created_at)  # GSI1 (ALL) projects last_message_at
        channel_store.touch(channel.id, "2024-01-01T00:00:00Z")  # older: the condition fails
    assert [(c.operation, c.computed.write, c.computed.index_write) for c in calls] == [
        ("PutItem", 3, 1),
        ("UpdateItem", 2, 1),
        ("UpdateItem", 1, 0),
    ]
