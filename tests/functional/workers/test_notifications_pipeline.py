"""The notifications worker under SQS's at-least-once delivery, crashes and large fan-outs.

What each test proves:
- the same SQS message twice creates each notification once, and a redelivery never
  makes a notification the user read unread again;
- a step that crashed halfway (an exception, or a process killed with its claim held)
  is re-run to completion: every recipient exactly once, reads kept;
- ``@channel`` in a 2,500-member channel continues through the queue in several
  bounded steps, each member notified exactly once;
- SQS refusing the next step's message once loses no one: the step is retried;
- an invocation past its time budget starts no more steps: the rest go back to the
  queue (a redelivered one stays careful) and run once.
"""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from app import notify
from chalicelib.ids import new_id, now_iso
from chalicelib.services import notifications as service
from chalicelib.store import channels as channel_store
from chalicelib.store import claims
from chalicelib.store import notifications as store
from chalicelib.store import users as user_store
from chalicelib.store.models import Notification
from tests.functional.workers.pipeline import LambdaContext


def _send(api, who, channel_id, content):
    answer = api.post(f"/v1/channels/{channel_id}/messages", {"content": content}, token=who.access_token)
    assert answer.status == 201, answer.body
    return answer.data


def _all_notifications() -> list[Notification]:
    return [n for n in Notification.scan() if isinstance(n, Notification)]


def _redelivered(record: dict, count: int = 2) -> dict:
    """The same SQS message again, as SQS hands it back (a new receipt, a higher count)."""
    return {
        **record,
        "messageId": f"{record['messageId']}-again{count}",
        "attributes": {**record["attributes"], "ApproximateReceiveCount": str(count)},
    }


def test_the_same_message_twice_notifies_once_and_keeps_reads(api, room):
    ws, jane, bob, carol, pipeline = room
    _send(api, jane, ws["generalChannelId"], "@bob @carol look")
    pipeline.route()
    event = pipeline.receive()
    (record,) = event["Records"]
    assert pipeline.deliver(event) == {"batchItemFailures": []}
    assert sorted(n.user_id for n in _all_notifications()) == sorted([bob.user_id, carol.user_id])
    bobs = next(n for n in _all_notifications() if n.user_id == bob.user_id)
    assert api.post("/v1/notifications/mark-read", {"ids": [bobs.id]}, token=bob.access_token).status == 200

    # The claim makes a finished step a no-op...
    assert notify({"Records": [_redelivered(record)]}, LambdaContext()) == {"batchItemFailures": []}
    # ...and a step whose claim is gone (expired with its crashed holder) rewrites
    # nothing the user changed: the redelivery runs careful.
    claims.release_processing("notifications", f"{json.loads(record['body'])['id']}#0")
    assert notify({"Records": [_redelivered(record, 3)]}, LambdaContext()) == {"batchItemFailures": []}
    after = _all_notifications()
    assert len(after) == 2
    assert next(n for n in after if n.user_id == bob.user_id).read is True
    assert api.get("/v1/notifications/count", token=bob.access_token).data == {"unread": 0}


def _seed_members(channel_id: str, workspace_id: str, count: int) -> list[str]:
    """``count`` users in the channel, written straight to the table (fast)."""
    from bench.seed import write_items

    channel = channel_store.get(channel_id)
    ids = [new_id() for _ in range(count)]
    now = now_iso()
    items = []
    for index, user_id in enumerate(ids):
        items.append(user_store.new_user(user_id, f"m{index}@example.com", f"member{index:05d}", f"M {index}", now))
        items.append(channel_store.new_member(channel, user_id, "member", now))
    write_items(items)
    assert channel.workspace_id == workspace_id
    return ids


def test_at_channel_to_2500_members_continues_through_the_queue_exactly_once(api, room, monkeypatch):
    ws, jane, bob, carol, pipeline = room
    monkeypatch.setattr(service, "STEP_RECIPIENTS", 1000)
    seeded = _seed_members(ws["generalChannelId"], ws["id"], 2500)
    _send(api, jane, ws["generalChannelId"], "@channel all hands @bob")
    pipeline.run()
    notes = _all_notifications()
    recipients = [n.user_id for n in notes]
    assert len(recipients) == len(set(recipients)) == 2502  # everyone but jane, once
    assert set(recipients) == {*seeded, bob.user_id, carol.user_id}
    assert {n.kind for n in notes if n.user_id == bob.user_id} == {"mention"}
    # step 0 (the direct mention) and then 2,503 members in pages of 1,000: 3 more steps
    assert pipeline.messages == 4


def test_a_step_that_crashes_halfway_is_rerun_to_completion(api, room, monkeypatch):
    ws, jane, bob, carol, pipeline = room
    monkeypatch.setattr(service, "STEP_RECIPIENTS", 300)
    seeded = _seed_members(ws["generalChannelId"], ws["id"], 400)
    _send(api, jane, ws["generalChannelId"], "@channel fire drill")
    pipeline.route()
    first = pipeline.receive()
    assert pipeline.deliver(first) == {"batchItemFailures": []}  # step 0: nobody directly
    (step1,) = pipeline.receive()["Records"]

    real, calls = store.write_all, []

    def crash_after_two_batches(items, *, careful):
        calls.append(careful)
        real(items[:50], careful=careful)  # two BatchWriteItem calls made it, then the crash
        raise RuntimeError("Lambda ran out of time")

    monkeypatch.setattr(store, "write_all", crash_after_two_batches)
    with pytest.raises(BatchProcessingError):  # a whole batch failed: Lambda retries it
        notify({"Records": [step1]}, LambdaContext())
    monkeypatch.setattr(store, "write_all", real)
    written = _all_notifications()
    assert 0 < len(written) < 300
    read_one = written[-1]
    store.mark_read(read_one.user_id, read_one.id)

    assert notify({"Records": [_redelivered(step1)]}, LambdaContext()) == {"batchItemFailures": []}
    pipeline.run()  # the next step, sent by the re-run
    notes = _all_notifications()
    recipients = [n.user_id for n in notes]
    assert len(recipients) == len(set(recipients)) == 402
    assert set(recipients) == {*seeded, bob.user_id, carol.user_id}
    assert next(n for n in notes if n.id == read_one.id).read is True
    assert calls == [False]


def test_a_killed_worker_holding_its_claim_is_taken_over_after_the_lease(api, room):
    ws, jane, bob, _, pipeline = room
    _send(api, jane, ws["generalChannelId"], "@bob are you there")
    pipeline.route()
    event = pipeline.receive()
    (record,) = event["Records"]
    claim = f"{json.loads(record['body'])['id']}#0"
    assert claims.begin_processing("notifications", claim, lease_seconds=-1) == "claimed"  # then it died
    assert notify({"Records": [_redelivered(record)]}, LambdaContext()) == {"batchItemFailures": []}
    assert [n.user_id for n in _all_notifications()] == [bob.user_id]


def test_a_failed_send_of_the_next_step_is_retried_and_nobody_is_lost(api, room, monkeypatch):
    """SQS refuses the continuation once: the step fails (its claim released), SQS hands
    it back, and the careful re-run sends the next step; everyone is notified once."""
    from chalicelib.workers import notifications as worker

    ws, jane, bob, carol, pipeline = room
    monkeypatch.setattr(service, "STEP_RECIPIENTS", 100)
    seeded = _seed_members(ws["generalChannelId"], ws["id"], 150)
    real, failures = worker.send, []

    def flaky(step):
        if not failures:
            failures.append(step.number)
            raise RuntimeError("SQS: ServiceUnavailable")
        real(step)

    monkeypatch.setattr(worker, "send", flaky)
    _send(api, jane, ws["generalChannelId"], "@channel once")
    pipeline.route()
    event = pipeline.receive()
    with pytest.raises(BatchProcessingError):
        notify(event, LambdaContext())
    assert failures == [1]
    assert notify({"Records": [_redelivered(event["Records"][0])]}, LambdaContext()) == {"batchItemFailures": []}
    pipeline.run()
    recipients = [n.user_id for n in _all_notifications()]
    assert len(recipients) == len(set(recipients)) == 152
    assert set(recipients) == {*seeded, bob.user_id, carol.user_id}


def test_past_its_time_budget_an_invocation_sends_the_rest_back(api, room, monkeypatch):
    from chalicelib.workers import notifications as worker

    ws, jane, bob, carol, pipeline = room
    monkeypatch.setattr(worker, "INVOCATION_BUDGET_S", 0.0)
    for text in ("@bob one", "@bob two", "@carol three"):
        _send(api, jane, ws["generalChannelId"], text)
    pipeline.route()
    event = pipeline.receive()
    assert len(event["Records"]) == 3
    records = [event["Records"][0], _redelivered(event["Records"][1]), event["Records"][2]]
    assert pipeline.deliver({"Records": records}) == {"batchItemFailures": []}
    assert len(_all_notifications()) == 1  # only the first ran
    deferred = [json.loads(r["body"]) for r in pipeline.receive()["Records"]]
    assert sorted(d.get("careful", False) for d in deferred) == [False, True]
    monkeypatch.setattr(worker, "INVOCATION_BUDGET_S", 10.0)
    for body in deferred:
        worker.handle(body)
    previews = sorted((n.user_id, n.preview) for n in _all_notifications())
    assert previews == sorted([(bob.user_id, "@bob one"), (bob.user_id, "@bob two"), (carol.user_id, "@carol three")])
