"""The channel close job through the handlers Lambda runs: close -> table stream -> router ->
``closes`` queue -> close_channels, each batch queueing the next, until the record says done.

What each test proves:
- a channel of 250 messages with thread replies, reactions, a pin and an attached image is
  drained: nothing is left in its partition but the channel and the progress record, no
  reaction is left under any message, the file's record, upload, copy and thumbnails are gone,
  and the record counts every message once (batches of 100: 3+ steps, then done);
- a crash after a batch's deletes and before its progress write fails that message; its
  redelivery finishes the batch and the job ends with nothing left and exact counts;
- a duplicate (stale) step message does nothing;
- search leaves a closed channel's messages out as soon as it is closed (before the job runs).
"""

from __future__ import annotations

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from app import close_channels, route_events
from chalicelib.services import channel_close
from chalicelib.store import channel_close as close_store
from chalicelib.store import keys
from chalicelib.store.db import connection
from chalicelib.store.models import Entity
from tests.functional.api.admin.conftest import send
from tests.functional.api.test_files import _png, _process_queue, _upload
from tests.functional.workers.pipeline import LambdaContext, StreamReader, sqs_event
from tests.helpers import create_workspace, join_workspace, register


def _partition(pk: str) -> list[str]:
    answer = connection().client.query(
        TableName=Entity.Meta.table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    )
    return [i["SK"]["S"] for i in answer["Items"]]


def _objects(workspace_id: str) -> list[str]:
    import os

    s3 = boto3.client("s3")
    keys_found = []
    for prefix in ("quarantine/", "files/", "thumbnails/"):
        listed = s3.list_objects_v2(Bucket=os.environ["UPLOADS_BUCKET"], Prefix=f"{prefix}{workspace_id}")
        keys_found += [o["Key"] for o in listed.get("Contents", [])]
    return keys_found


def _busy_channel(api, messages: int = 250):
    owner, alice = register(api, "olive"), register(api, "alice")
    ws = create_workspace(api, owner)
    join_workspace(ws, alice)
    made = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "lobby"}, token=owner.access_token)
    assert made.status == 201, made.body
    channel_id = made.data["id"]
    assert api.post(f"/v1/channels/{channel_id}/join", {}, token=alice.access_token).status in (200, 201, 204)
    file_id = _upload(api, owner, ws["id"], _png(300, 200))
    _process_queue()
    first = api.post(
        f"/v1/channels/{channel_id}/messages", {"content": "look", "attachmentIds": [file_id]}, token=owner.access_token
    )
    assert first.status == 201, first.body
    ids = [first.data["id"]]
    for n in range(messages - 1):
        sent = api.post(f"/v1/channels/{channel_id}/messages", {"content": f"m{n}"}, token=alice.access_token)
        assert sent.status == 201, sent.body
        ids.append(sent.data["id"])
    for n in range(5):
        body = {"content": f"reply {n}", "threadId": ids[0]}
        assert api.post(f"/v1/channels/{channel_id}/messages", body, token=alice.access_token).status == 201
    for message_id in ids[:3]:
        for account in (owner, alice):
            reacted = api.post(f"/v1/messages/{message_id}/reactions", {"emoji": ":tada:"}, token=account.access_token)
            assert reacted.status in (200, 201), reacted.body
    pinned = api.post(f"/v1/channels/{channel_id}/pins", {"messageId": ids[1]}, token=owner.access_token)
    assert pinned.status in (200, 201), pinned.body
    token = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "console", "scopes": ["admin"]}, token=owner.access_token
    ).data["token"]
    return ws, channel_id, ids, file_id, token, owner


def _close(api, token, reader):
    while reader.read():  # what came before the close: not this test's
        pass
    closed = send(api, "POST", "/api/v2/channel/lobby/close", {}, token=token)
    assert closed.status == 200, closed.body
    route_events({"Records": reader.read()}, LambdaContext())


def _drain() -> int:
    """Run the close queue to its end, one message at a time; how many ran."""
    ran = 0
    while True:
        event, _ = sqs_event("closes", 1)
        if not event["Records"]:
            return ran
        assert close_channels(event, LambdaContext()) == {"batchItemFailures": []}
        ran += 1
        assert ran < 50


def _assert_drained(ws, channel_id, ids, file_id, expected_messages):
    assert sorted(_partition(keys.channel(channel_id))) == [keys.CHANNEL_CLOSE, keys.META]
    for message_id in ids[:3]:
        assert _partition(keys.message(message_id)) == []
    assert _partition(keys.file(file_id)) == []
    assert [k for k in _objects(ws["id"]) if file_id in k] == []
    record = close_store.progress(channel_id)
    assert record.done and record.finished_at and record.pending_last is None
    assert int(record.messages_deleted) == expected_messages and int(record.files_deleted) == 1
    return record


def _messages_in(channel_id: str) -> int:
    return sum(1 for sk in _partition(keys.channel(channel_id)) if sk.startswith(("MSG#", "RPL#")))


@pytest.mark.usefixtures("aws_backend")
def test_the_job_drains_a_channel_in_batches(api):
    reader = StreamReader()
    ws, channel_id, ids, file_id, token, _owner = _busy_channel(api)
    expected = _messages_in(channel_id)
    assert expected >= 255
    assert [k for k in _objects(ws["id"]) if file_id in k]  # the copy and its thumbnails exist
    _close(api, token, reader)
    ran = _drain()
    record = _assert_drained(ws, channel_id, ids, file_id, expected)
    assert ran == int(record.step) + 1  # the didClose event, one message per batch, the last finds nothing
    assert int(record.step) >= 3
    assert channel_close.run_step(channel_id, 1) is False  # a stale duplicate step: nothing


@pytest.mark.usefixtures("aws_backend")
def test_a_crash_mid_batch_is_finished_by_the_redelivery(api, monkeypatch):
    reader = StreamReader()
    ws, channel_id, ids, file_id, token, _owner = _busy_channel(api, messages=150)
    expected = _messages_in(channel_id)
    _close(api, token, reader)
    event, _ = sqs_event("closes", 1)
    assert close_channels(event, LambdaContext()) == {"batchItemFailures": []}  # batch 1
    step, _ = sqs_event("closes", 1)
    real = close_store.finish_batch

    def crash(record):
        raise RuntimeError("the Lambda died after the deletes, before the progress write")

    monkeypatch.setattr(close_store, "finish_batch", crash)
    with pytest.raises(BatchProcessingError):  # the whole (one-message) batch failed: SQS redelivers it
        close_channels(step, LambdaContext())
    record = close_store.progress(channel_id)
    assert int(record.step) == 1 and record.pending_last  # the deletes happened, the count did not
    assert _messages_in(channel_id) < expected - 100
    monkeypatch.setattr(close_store, "finish_batch", real)
    assert close_channels(step, LambdaContext()) == {"batchItemFailures": []}  # the redelivery
    _drain()
    _assert_drained(ws, channel_id, ids, file_id, expected)


@pytest.fixture
def search_db(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCH_DB", str(tmp_path / "search.db"))


def test_search_leaves_a_closed_channel_out_at_once(search_db, api):
    from app import index_for_search

    reader = StreamReader()
    ws, _channel_id, ids, _file_id, token, owner = _busy_channel(api, messages=3)
    route_events({"Records": reader.read()}, LambdaContext())
    while True:
        event, _ = sqs_event("search")
        if not event["Records"]:
            break
        index_for_search(event, LambdaContext())
    found = api.get(f"/v1/workspaces/{ws['id']}/search?q=m0", token=owner.access_token)
    assert [m["id"] for m in found.data] == [ids[1]]
    _close(api, token, reader)  # the job has not run: the closed mark alone hides the results
    found = api.get(f"/v1/workspaces/{ws['id']}/search?q=m0", token=owner.access_token)
    assert found.status == 200 and found.data == []
