"""The push worker against a push service on 127.0.0.1 (tests/push_browser.py): the
VAPID JWT verifies with the application server key, the body decrypts with the
browser's keys into {title, body, url, notificationId}; 404/410 delete the
subscription; 429/5xx retry later without pushing twice to a subscription already
reached; a redelivered event pushes once; internal addresses are refused."""

from __future__ import annotations

import copy
import json
import time

import boto3
import pytest

from chalicelib import config
from chalicelib.config import get_settings
from chalicelib.store import push as push_store
from chalicelib.workers import push as worker
from tests.functional.workers.pipeline import sqs_event
from tests.helpers import register
from tests.push_browser import Browser, push_service

NOTIFICATION_ID = "0192f0c4-8a1e-7a3b-9c1d-2e3f4a5b6c7d"


@pytest.fixture
def loopback(monkeypatch, aws_backend):
    """Loopback endpoints allowed. Requested before ``api``: chalice's test Client
    swaps the environment for its stage's while it runs, so the settings are read
    (and cached) here, first."""
    monkeypatch.setenv("PUSH_ALLOW_LOOPBACK", "true")
    config.reset()
    assert get_settings().push_allow_loopback


@pytest.fixture
def service(loopback):
    with push_service() as running:
        yield running


def _subscribe(api, account, service, browser=None, name=None):
    browser = browser or Browser()
    endpoint = service.endpoint(browser, name)
    answer = api.post("/v1/notifications/push/subscribe", browser.subscription(endpoint), token=account.access_token)
    assert answer.status == 201, answer.body
    return browser, endpoint


def _event(user_id, *, kind="mention", preview="hello @bob", event_id="evt_1"):
    return {
        "id": event_id,
        "type": "notification.created",
        "workspaceId": "0192f0c4-0000-7000-8000-000000000001",
        "createdAt": "2026-12-02T01:00:00.000Z",
        "data": {
            "notificationId": NOTIFICATION_ID,
            "userId": user_id,
            "type": kind,
            "workspaceId": "0192f0c4-0000-7000-8000-000000000001",
            "channelId": "0192f0c4-0000-7000-8000-000000000002",
            "messageId": "0192f0c4-0000-7000-8000-000000000003",
            "threadId": None,
            "actor": {"id": "0192f0c4-0000-7000-8000-000000000004", "username": "alice", "displayName": "Alice"},
            "preview": preview,
            "createdAt": "2026-12-02T01:00:00.000Z",
        },
    }


def _queue(event):
    boto3.client("sqs").send_message(QueueUrl=get_settings().queue_url("push"), MessageBody=json.dumps(event))


def _run(event):
    """Queue the event and run the worker on it, as Lambda would: (response, batch)."""
    _queue(event)
    batch, _ = sqs_event("push")
    assert len(batch["Records"]) == 1
    return worker.handle_batch(batch), batch


def _redeliver(batch, receive_count):
    """The same message again, as SQS hands it over after its visibility timeout."""
    again = copy.deepcopy(batch)
    for record in again["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(receive_count)
    return worker.handle_batch(again)


def test_a_push_verifies_and_decrypts_in_the_browser(service, api):
    bob = register(api, "bob")
    _subscribe(api, bob, service)
    public_key = api.get("/v1/notifications/push/vapid-public-key", token=bob.access_token).data["publicKey"]

    response, _ = _run(_event(bob.user_id))

    assert response == {"batchItemFailures": []}
    assert service.errors == []
    [got] = service.received
    assert got.vapid_key == public_key  # k= is our application server key, and the JWT verified with it
    assert got.claims["aud"] == service.base  # the endpoint's origin
    assert got.claims["sub"] == "mailto:no-reply@disqua.local"  # from EMAIL_SENDER
    assert got.headers["urgency"] == "high"  # a mention
    assert got.headers["topic"] == NOTIFICATION_ID.replace("-", "")
    assert got.payload == {
        "title": "Alice mentioned you",
        "body": "hello @bob",
        "url": f"{get_settings().public_base_url}/v1/channels/0192f0c4-0000-7000-8000-000000000002"
        "/messages/0192f0c4-0000-7000-8000-000000000003",
        "notificationId": NOTIFICATION_ID,
    }


def test_every_subscription_of_the_recipient_only(service, api):
    bob, carol = register(api, "bob"), register(api, "carol")
    _subscribe(api, bob, service, name="bob-laptop")
    _subscribe(api, bob, service, name="bob-phone")
    _subscribe(api, carol, service, name="carol")

    _run(_event(bob.user_id, kind="thread_reply"))

    assert sorted(r.path for r in service.received) == ["/push/bob-laptop", "/push/bob-phone"]
    assert {r.headers["urgency"] for r in service.received} == {"normal"}
    assert service.received[0].payload["title"] == "Alice replied in a thread"


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted(service, api, status):
    bob = register(api, "bob")
    _subscribe(api, bob, service, name="gone")
    _subscribe(api, bob, service, name="alive")
    service.answers["/push/gone"] = [(status, {})]

    response, _ = _run(_event(bob.user_id))

    assert response == {"batchItemFailures": []}  # nothing to retry
    assert [s.endpoint for s in push_store.list_for_user(bob.user_id)] == [f"{service.base}/push/alive"]
    assert [r.path for r in service.received] == ["/push/alive"]
    # its slot is free again: the counter went down with it
    assert push_store.remove(bob.user_id, push_store.endpoint_hash(f"{service.base}/push/alive"))


@pytest.fixture
def delays(monkeypatch):
    """The visibility delays the worker asks SQS for (it still asks)."""
    asked: list[int] = []
    real = worker._delay

    def record(receipt_handle, seconds):
        asked.append(seconds)
        real(receipt_handle, seconds)

    monkeypatch.setattr(worker, "_delay", record)
    return asked


def test_429_retries_later_honouring_retry_after_and_skips_who_got_it(service, api, delays):
    bob = register(api, "bob")
    _subscribe(api, bob, service, name="ok")
    _subscribe(api, bob, service, name="busy")
    service.answers["/push/busy"] = [(429, {"Retry-After": "600"})]

    response, batch = _run(_event(bob.user_id))

    [failed] = response["batchItemFailures"]
    assert failed["itemIdentifier"] == batch["Records"][0]["messageId"]
    assert [r.path for r in service.received] == ["/push/ok"]
    # The message is hidden for Retry-After (600 s), not the queue's 180 s default.
    waiting = boto3.client("sqs").get_queue_attributes(
        QueueUrl=get_settings().queue_url("push"), AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert waiting["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert sqs_event("push")[0]["Records"] == []
    assert delays == [600]

    # SQS hands it over again: only the subscription that was busy gets it.
    assert _redeliver(batch, 2) == {"batchItemFailures": []}
    assert sorted(r.path for r in service.received) == ["/push/busy", "/push/ok"]
    # and once done, a further redelivery pushes nothing
    assert _redeliver(batch, 3) == {"batchItemFailures": []}
    assert len(service.received) == 2


def test_5xx_retries_with_exponential_backoff_then_succeeds(service, api, delays):
    bob = register(api, "bob")
    _subscribe(api, bob, service, name="flaky")
    service.answers["/push/flaky"] = [(503, {}), (500, {})]

    response, batch = _run(_event(bob.user_id))
    assert len(response["batchItemFailures"]) == 1
    assert len(_redeliver(batch, 2)["batchItemFailures"]) == 1
    assert _redeliver(batch, 3) == {"batchItemFailures": []}
    # 30 s then 60 s, +-20 % jitter (the queue's maxReceiveCount then sends it to the DLQ)
    assert 24 <= delays[0] <= 36 and 48 <= delays[1] <= 72, delays
    assert [r.path for r in service.received] == ["/push/flaky"]
    assert push_store.list_for_user(bob.user_id)  # kept: it was never gone


def test_a_redelivered_event_pushes_once(service, api):
    bob = register(api, "bob")
    _subscribe(api, bob, service)
    response, batch = _run(_event(bob.user_id))
    assert response == {"batchItemFailures": []}
    assert _redeliver(batch, 2) == {"batchItemFailures": []}
    assert _redeliver(batch, 1) == {"batchItemFailures": []}  # a duplicate send, not a retry
    assert len(service.received) == 1


def test_other_event_types_and_users_without_subscriptions_are_acknowledged(service, api):
    bob = register(api, "bob")
    assert _run(_event(bob.user_id))[0] == {"batchItemFailures": []}
    assert _run({**_event(bob.user_id, event_id="evt_2"), "type": "message.created"})[0] == {"batchItemFailures": []}
    assert service.received == []


def test_loopback_endpoints_are_refused_outside_the_local_stage(service, api, monkeypatch):
    """A subscription that points inside (here: loopback, stored while it was allowed)
    is never fetched once the setting is off: it is dropped."""
    bob = register(api, "bob")
    _subscribe(api, bob, service)
    monkeypatch.setenv("PUSH_ALLOW_LOOPBACK", "false")
    config.reset()

    assert _run(_event(bob.user_id))[0] == {"batchItemFailures": []}

    assert service.received == [] and service.errors == []
    assert push_store.list_for_user(bob.user_id) == []


def test_an_unreachable_push_service_is_retried_and_the_subscription_kept(service, api, delays):
    import socket

    bob = register(api, "bob")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    browser = Browser()
    endpoint = f"http://127.0.0.1:{port}/push/nobody"
    assert (
        api.post("/v1/notifications/push/subscribe", browser.subscription(endpoint), token=bob.access_token).status
        == 201
    )

    response, _ = _run(_event(bob.user_id))

    assert len(response["batchItemFailures"]) == 1 and len(delays) == 1
    assert [s.endpoint for s in push_store.list_for_user(bob.user_id)] == [endpoint]


def test_a_dead_push_service_ends_in_the_dead_letter_queue_every_attempt_logged(service, api, monkeypatch, caplog):
    """Always 503: the message comes back (here at once) until the queue's
    maxReceiveCount (5), then SQS moves it to the push DLQ: nothing is lost."""
    bob = register(api, "bob")
    _subscribe(api, bob, service, name="dead")
    service.answers["/push/dead"] = [(503, {})] * 10
    monkeypatch.setattr(worker, "backoff", lambda receive_count: 0)  # visible again at once
    sqs = boto3.client("sqs")
    url = get_settings().queue_url("push")
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    )
    dead_letters = sqs.get_queue_url(QueueName=policy["deadLetterTargetArn"].rsplit(":", 1)[1])["QueueUrl"]
    _queue(_event(bob.user_id))

    attempts = 0
    while True:
        batch, _ = sqs_event("push")
        if not batch["Records"]:
            break
        assert batch["Records"][0]["attributes"]["ApproximateReceiveCount"] == str(attempts + 1)
        assert len(worker.handle_batch(batch)["batchItemFailures"]) == 1
        attempts += 1

    assert attempts == int(policy["maxReceiveCount"]) == 5
    [parked] = sqs.receive_message(QueueUrl=dead_letters).get("Messages", [])
    assert json.loads(parked["Body"])["id"] == "evt_1"
    logged = [r for r in caplog.records if r.getMessage() == "push attempt failed: retrying"]
    assert len(logged) == 5
    assert service.received == []
    assert push_store.list_for_user(bob.user_id)  # a 503 never deletes the subscription


def test_a_slow_push_service_times_out_while_the_others_are_pushed(service, api, monkeypatch, delays, caplog):
    bob = register(api, "bob")
    _subscribe(api, bob, service, name="slow")
    _subscribe(api, bob, service, name="fast")
    service.slow["/push/slow"] = 2.0
    monkeypatch.setattr(worker, "READ_TIMEOUT_SECONDS", 0.3)

    response, batch = _run(_event(bob.user_id))

    assert len(response["batchItemFailures"]) == 1
    assert [r.path for r in service.received] == ["/push/fast"]
    [failed] = [r for r in caplog.records if r.getMessage() == "push attempt failed: retrying"]
    assert failed.error == "ReadTimeout" and failed.status is None
    # next time it answers in time: only the slow one is pushed again
    service.slow.clear()
    assert _redeliver(batch, 2) == {"batchItemFailures": []}
    assert sorted(r.path for r in service.received) == ["/push/fast", "/push/slow"]


def test_a_push_service_dripping_its_answer_is_cut_off_at_the_attempt_deadline(service, api, monkeypatch, caplog):
    """Each byte comes within the read timeout, so only the attempt's own deadline
    stops it: the push is given up in time and retried, the other one is pushed."""
    bob = register(api, "bob")
    _subscribe(api, bob, service, name="drip")
    _subscribe(api, bob, service, name="fine")
    service.dripping["/push/drip"] = 0.05
    monkeypatch.setattr(worker, "ATTEMPT_SECONDS", 1.0)

    started = time.monotonic()
    response, _ = _run(_event(bob.user_id))

    assert time.monotonic() - started < 5  # the answer would take ~4,000 bytes x 0.05 s
    assert len(response["batchItemFailures"]) == 1
    assert [r.path for r in service.received] == ["/push/fine"]
    [failed] = [r for r in caplog.records if r.getMessage() == "push attempt failed: retrying"]
    assert failed.status is None and failed.error
