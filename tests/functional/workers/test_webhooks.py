"""Webhook delivery through the handlers Lambda runs (stream -> router -> webhooks
queue -> fan-out tasks -> attempts), against a real HTTP receiver on 127.0.0.1."""

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from standardwebhooks.webhooks import Webhook as StandardWebhook

from app import deliver_webhooks, route_events
from chalicelib import config
from chalicelib.config import get_settings
from chalicelib.services import webhook_delivery, webhook_secrets, webhooks
from chalicelib.store import webhooks as webhook_store
from tests.functional.workers.pipeline import LambdaContext, StreamReader, sqs_event
from tests.webhook_receiver import Receiver


@pytest.fixture
def client(aws_backend):
    """Requests run with the local stage's variables (.chalice/config.json)."""
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as test_client:
        yield test_client


@pytest.fixture
def local(monkeypatch, aws_backend):
    """The local stage (loopback receivers allowed), retries without waiting."""
    monkeypatch.setenv("DISQUA_STAGE", "local")
    monkeypatch.setenv("WEBHOOK_RETRY_SCALE", "0")
    config.reset()
    yield
    config.reset()


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def _hook(api, owner, ws, url, events=("message.created",)):
    answer = api.post(
        f"/v1/workspaces/{ws['id']}/webhooks",
        {"name": "test", "url": url, "events": list(events)},
        token=owner.access_token,
    )
    assert answer.status == 201, answer.body
    return answer.data


def _send(api, account, ws, content="hello"):
    answer = api.post(
        f"/v1/channels/{ws['generalChannelId']}/messages", {"content": content}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data


def _route(reader):
    route_events({"Records": reader.read()}, LambdaContext())


def _drain(rounds=60):
    """Run the webhooks queue until it is empty; a failed message comes back at once
    (as it would after its visibility timeout). Returns the batch results."""
    sqs, url = boto3.client("sqs"), get_settings().queue_url("webhooks")
    results = []
    for _ in range(rounds):
        event, _ = sqs_event("webhooks")
        if not event["Records"]:
            return results
        result = deliver_webhooks(event, LambdaContext())
        results.append(result)
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for record in event["Records"]:
            if record["messageId"] in failed:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
    raise AssertionError("the webhooks queue did not drain")


def _log(api, owner, hook_id):
    answer = api.get(f"/v1/webhooks/{hook_id}/deliveries", token=owner.access_token)
    assert answer.status == 200, answer.body
    return answer.data


def test_a_message_is_delivered_signed(api, team, local, receiver):
    ws, owner, member = team
    hook = _hook(api, owner, ws, receiver.url)
    reader = StreamReader()
    message = _send(api, member, ws, "hello hooks")
    _route(reader)
    _drain()
    (got,) = receiver.wait_for(1)
    envelope = json.loads(got.body)
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert set(envelope) == {"id", "type", "workspaceId", "createdAt", "data"}
    assert envelope["type"] == "message.created" and envelope["workspaceId"] == ws["id"]
    assert envelope["id"].startswith("evt_") and envelope["createdAt"].endswith("Z")
    assert envelope["data"]["id"] == message["id"] and envelope["data"]["content"] == "hello hooks"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Disqua-Webhook/1.0"
    assert headers["x-disqua-event"] == "message.created"
    assert headers["x-disqua-delivery"] == envelope["id"] == headers["webhook-id"]
    timestamp = int(headers["x-disqua-timestamp"])
    assert abs(time.time() - timestamp) < 60 and headers["webhook-timestamp"] == str(timestamp)
    expected = hmac.new(hook["secret"].encode(), f"{timestamp}.".encode() + got.body, hashlib.sha256).hexdigest()
    assert headers["x-disqua-signature-256"] == f"sha256={expected}"
    # The Standard Webhooks reference library accepts it, and refuses a changed body.
    assert StandardWebhook(hook["secret"]).verify(got.body, got.headers) == envelope
    with pytest.raises(Exception, match="signature"):
        StandardWebhook(hook["secret"]).verify(got.body.replace(b"hello", b"HELLO"), got.headers)
    (entry,) = _log(api, owner, hook["id"])
    assert (entry["eventId"], entry["eventType"], entry["attempt"], entry["status"]) == (
        envelope["id"],
        "message.created",
        1,
        "succeeded",
    )
    assert entry["responseStatus"] == 200 and entry["responseBody"] == '{"received": 1}'
    assert isinstance(entry["latencyMs"], int) and entry["error"] is None and entry["nextAttemptAt"] is None


def test_500_then_200_is_retried_with_the_same_delivery_id(api, team, local, receiver):
    ws, owner, _ = team
    receiver.statuses = [500, 200]
    hook = _hook(api, owner, ws, receiver.url)
    reader = StreamReader()
    _send(api, owner, ws)
    _route(reader)
    _drain()
    first, second = receiver.wait_for(2)
    assert first.headers["X-Disqua-Delivery"] == second.headers["X-Disqua-Delivery"]
    assert first.body == second.body
    newest, oldest = _log(api, owner, hook["id"])
    assert (oldest["attempt"], oldest["status"], oldest["responseStatus"]) == (1, "pending", 500)
    assert oldest["nextAttemptAt"] and oldest["error"] == "HTTP 500"
    assert (newest["attempt"], newest["status"], newest["responseStatus"]) == (2, "succeeded", 200)
    assert len(receiver.received) == 2


def test_a_dead_endpoint_gets_every_attempt_logged_then_the_dlq(api, team, local, receiver, aws_backend):
    ws, owner, _ = team
    receiver.statuses = [503]
    hook = _hook(api, owner, ws, receiver.url)
    reader = StreamReader()
    _send(api, owner, ws)
    _route(reader)
    _drain()
    assert len(receiver.wait_for(webhook_delivery.MAX_ATTEMPTS)) == webhook_delivery.MAX_ATTEMPTS == 8
    assert len({r.headers["X-Disqua-Delivery"] for r in receiver.received}) == 1
    log = _log(api, owner, hook["id"])
    assert [e["attempt"] for e in log] == list(range(8, 0, -1))
    assert [e["status"] for e in log] == ["failed"] + ["pending"] * 7
    assert log[0]["nextAttemptAt"] is None and all(e["responseStatus"] == 503 for e in log)
    dlq = aws_backend["QUEUE_URL:WebhooksDeadLetterQueue"]
    dead = boto3.client("sqs").receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert len(dead) == 1
    task = json.loads(dead[0]["Body"])
    assert (task["kind"], task["webhookId"], task["attempt"]) == ("webhook.delivery", hook["id"], 8)
    assert len(receiver.received) == 8  # failing the dead task again never POSTs again


def test_410_disables_the_webhook(api, team, local, receiver):
    ws, owner, _ = team
    receiver.statuses = [410]
    hook = _hook(api, owner, ws, receiver.url)
    reader = StreamReader()
    _send(api, owner, ws)
    _route(reader)
    _drain()
    assert len(receiver.wait_for(1)) == 1
    got = api.get(f"/v1/webhooks/{hook['id']}", token=owner.access_token).data
    assert got["status"] == "disabled" and "410" in got["disabledReason"]
    (entry,) = _log(api, owner, hook["id"])
    assert (entry["status"], entry["responseStatus"], entry["nextAttemptAt"]) == ("failed", 410, None)
    _send(api, owner, ws, "after")
    _route(reader)
    _drain()
    assert len(receiver.received) == 1
    # re-enabling clears the reason
    again = api.patch(f"/v1/webhooks/{hook['id']}", {"status": "active"}, token=owner.access_token).data
    assert (again["status"], again["disabledReason"]) == ("active", None)


def test_paused_gets_nothing_and_resumes_without_a_backlog(api, team, local, receiver):
    ws, owner, _ = team
    receiver.statuses = [500, 200]
    hook = _hook(api, owner, ws, receiver.url)
    path = f"/v1/webhooks/{hook['id']}"
    reader = StreamReader()
    _send(api, owner, ws, "first")
    _route(reader)
    event, _ = sqs_event("webhooks")
    assert deliver_webhooks(event, LambdaContext()) == {"batchItemFailures": []}  # the fan-out: a task queued
    assert api.patch(path, {"status": "paused"}, token=owner.access_token).status == 200
    _send(api, owner, ws, "while paused")
    _route(reader)
    _drain()
    assert receiver.received == []  # neither the queued task nor the new event
    assert api.patch(path, {"status": "active"}, token=owner.access_token).status == 200
    _send(api, owner, ws, "resumed")
    _route(reader)
    _drain()
    bodies = [json.loads(r.body)["data"]["content"] for r in receiver.wait_for(2)]
    assert bodies == ["resumed", "resumed"]  # 500 then 200: the new event only


def test_a_slow_endpoint_times_out_while_the_others_drain(api, team, local, monkeypatch):
    monkeypatch.setattr(webhook_delivery, "TIMEOUT_SECONDS", 1.0)
    ws, owner, _ = team
    slow, fast = Receiver(delay=3.0).start(), Receiver().start()
    try:
        slow_hook = _hook(api, owner, ws, slow.url)
        fast_hook = _hook(api, owner, ws, fast.url)
        reader = StreamReader()
        _send(api, owner, ws)
        _route(reader)
        event, _ = sqs_event("webhooks")
        deliver_webhooks(event, LambdaContext())  # fan-out: two tasks
        tasks, _ = sqs_event("webhooks")
        assert len(tasks["Records"]) == 2
        started = time.monotonic()
        result = deliver_webhooks(tasks, LambdaContext())
        took = time.monotonic() - started
        assert result == {"batchItemFailures": []}
        assert fast.received and fast.received[0].at - started < 1.0  # not behind the slow one
        assert took < 2.5  # bounded by the timeout, not by the endpoint's 3 s
        (timed_out,) = _log(api, owner, slow_hook["id"])
        assert timed_out["status"] == "pending" and "timed out" in timed_out["error"]
        assert timed_out["responseStatus"] is None and timed_out["latencyMs"] >= 900
        assert _log(api, owner, fast_hook["id"])[0]["status"] == "succeeded"
    finally:
        slow.stop()
        fast.stop()


def test_an_endpoint_that_drips_its_answer_is_cut_off_at_the_timeout(api, team, local, monkeypatch):
    """requests' timeouts are per socket read: a byte every 0.3 s would never trip a 1 s
    read timeout. The attempt as a whole is bounded."""
    monkeypatch.setattr(webhook_delivery, "TIMEOUT_SECONDS", 1.0)
    ws, owner, _ = team
    dripping = Receiver(drip=0.3).start()
    try:
        hook = _hook(api, owner, ws, dripping.url)
        started = time.monotonic()
        answer = api.post(f"/v1/webhooks/{hook['id']}/test", token=owner.access_token).data
        assert time.monotonic() - started < 3
        assert answer["status"] == "failed" and "timed out" in answer["error"] and answer["responseStatus"] is None
    finally:
        dripping.stop()


def test_sqs_redelivery_makes_one_delivery(api, team, local, receiver):
    ws, owner, _ = team
    hook = _hook(api, owner, ws, receiver.url)
    reader = StreamReader()
    _send(api, owner, ws)
    _route(reader)
    event, _ = sqs_event("webhooks")
    (record,) = [r for r in event["Records"] if json.loads(r["body"])["type"] == "message.created"]
    twice = {"Records": [record, {**record, "messageId": "redelivered"}]}
    # The records of a batch run concurrently: either copy may win the claim, and the other
    # is either done (no failure) or still in progress (reported for a retry), never both.
    failed = deliver_webhooks(twice, LambdaContext())["batchItemFailures"]
    assert failed in ([], [{"itemIdentifier": record["messageId"]}], [{"itemIdentifier": "redelivered"}]), failed
    assert deliver_webhooks({"Records": [record]}, LambdaContext()) == {"batchItemFailures": []}
    tasks, _ = sqs_event("webhooks")
    assert len(tasks["Records"]) == 1  # one fan-out
    (task,) = tasks["Records"]
    deliver_webhooks({"Records": [task]}, LambdaContext())
    deliver_webhooks({"Records": [{**task, "messageId": "again"}]}, LambdaContext())
    time.sleep(0.2)
    assert len(receiver.received) == 1 and len(_log(api, owner, hook["id"])) == 1


def test_test_ping_answers_the_attempt_and_no_redirect_is_followed(api, team, local, receiver):
    ws, owner, _ = team
    hook = _hook(api, owner, ws, receiver.url)
    answer = api.post(f"/v1/webhooks/{hook['id']}/test", token=owner.access_token)
    assert answer.status == 200, answer.body
    assert (answer.data["status"], answer.data["responseStatus"], answer.data["eventType"]) == (
        "succeeded",
        200,
        "ping",
    )
    assert isinstance(answer.data["latencyMs"], int)
    (got,) = receiver.received
    assert json.loads(got.body)["type"] == "ping" and got.headers["X-Disqua-Event"] == "ping"
    receiver.statuses = [302]
    moved = api.post(f"/v1/webhooks/{hook['id']}/test", token=owner.access_token).data
    assert (moved["status"], moved["responseStatus"]) == ("failed", 302)
    assert len(receiver.received) == 2  # the Location was not followed
    assert [e["eventType"] for e in _log(api, owner, hook["id"])] == ["ping", "ping"]
    # a logged ping can be redelivered too (a ping is no subscription)
    receiver.statuses = [200]
    logged = _log(api, owner, hook["id"])[0]
    queued = api.post(f"/v1/webhooks/{hook['id']}/deliveries/{logged['id']}/redeliver", token=owner.access_token)
    assert queued.status == 202
    _drain()
    assert len(receiver.wait_for(3)) == 3 and json.loads(receiver.received[2].body)["type"] == "ping"


def test_redeliver_queues_the_same_event_again(api, team, local, receiver):
    ws, owner, _ = team
    hook = _hook(api, owner, ws, receiver.url)
    reader = StreamReader()
    _send(api, owner, ws)
    _route(reader)
    _drain()
    (entry,) = _log(api, owner, hook["id"])
    answer = api.post(f"/v1/webhooks/{hook['id']}/deliveries/{entry['id']}/redeliver", token=owner.access_token)
    assert answer.status == 202 and answer.data == {"eventId": entry["eventId"], "queued": True}
    _drain()
    first, second = receiver.wait_for(2)
    assert first.body == second.body and second.headers["X-Disqua-Delivery"] == entry["eventId"]


def test_after_a_rotation_both_secrets_sign(api, team, local, receiver):
    ws, owner, _ = team
    hook = _hook(api, owner, ws, receiver.url)
    new = api.post(f"/v1/webhooks/{hook['id']}/rotate-secret", token=owner.access_token).data["secret"]
    assert api.post(f"/v1/webhooks/{hook['id']}/test", token=owner.access_token).data["status"] == "succeeded"
    (got,) = receiver.received
    timestamp = got.headers["X-Disqua-Timestamp"]
    signed = f"{timestamp}.".encode() + got.body
    expected = ["sha256=" + hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in (new, hook["secret"])]
    assert got.headers["X-Disqua-Signature-256"].split(",") == expected
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (new, hook["secret"]):
        assert StandardWebhook(secret).verify(got.body, got.headers)["type"] == "ping"
    # after the overlap only the new secret signs
    stored = webhook_store.get(hook["id"])
    assert webhooks.signing_secrets(stored, now=time.time() + 24 * 3600 + 1) == [new]


@pytest.mark.parametrize(
    "target",
    [
        "https://10.0.0.8/hook",
        "http://127.0.0.1:{port}/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/hooks",
        "https://[fd00:ec2::254]/hook",
        "http://localhost:{port}/hooks",
    ],
)
def test_private_targets_are_refused_at_delivery_outside_the_local_stage(api, team, receiver, target):
    """Stage "test": the URL is stored as if it had passed the check (DNS changed since,
    say); the attempt refuses to connect and logs why."""
    ws, owner, _ = team
    url = target.format(port=receiver.server.server_address[1])
    stored = webhook_store.new_webhook(
        "wh_0190b6a4-0000-7000-8000-000000000001",
        ws["id"],
        name="sneaky",
        url=url,
        events=["message.created"],
        status="active",
        secret_enc="",
        secret_kid="",
        created_by=owner.user_id,
        created_at="2026-01-01T00:00:00Z",
    )
    stored.secret_enc, stored.secret_kid = webhook_secrets.encrypt(webhook_secrets.generate(), stored.id)
    webhook_store.create(stored, None)
    config.reset()  # the settings of this process (stage "test"), not of the last request
    assert not get_settings().webhooks_reach_private_addresses
    event = {"id": "evt_x", "type": "message.created", "workspaceId": ws["id"], "createdAt": "x", "data": {}}
    task = {"kind": "webhook.delivery", "webhookId": stored.id, "series": "auto", "attempt": 1, "notBefore": 0}
    outcome = webhooks.attempt({**task, "event": event})
    assert outcome.entry.error.startswith("refused"), outcome.entry.error
    assert outcome.entry.response_status is None and outcome.entry.status == "pending"
    assert receiver.received == []


def _readme_receiver() -> str:
    """The Python block after the webhook-receiver marker in README.md, as it is."""
    text = (Path(__file__).parents[3] / "README.md").read_text()
    after = text[text.index("<!-- webhook-receiver") :]
    start = after.index("```python\n") + len("```python\n")
    return after[start : after.index("```\n", start)]


def test_the_readme_receiver_accepts_a_real_delivery_and_refuses_forgeries(api, team, local):
    code = _readme_receiver()
    assert len([line for line in code.splitlines() if line.strip()]) <= 15  # formatted by ruff, blank lines aside
    ws, owner, _ = team
    secret = webhook_secrets.generate()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DISQUA_WEBHOOK_SECRET": secret, "PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the README receiver did not start"
                time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/disqua"
        created = api.post(
            f"/v1/workspaces/{ws['id']}/webhooks",
            {"name": "readme", "url": url, "events": ["message.created"], "secret": secret},
            token=owner.access_token,
        )
        assert created.status == 201, created.body
        tested = api.post(f"/v1/webhooks/{created.data['id']}/test", token=owner.access_token).data
        assert (tested["status"], tested["responseStatus"]) == ("succeeded", 204)
        # after a rotation the receiver still holds the old secret: the second signature passes
        api.post(f"/v1/webhooks/{created.data['id']}/rotate-secret", token=owner.access_token)
        again = api.post(f"/v1/webhooks/{created.data['id']}/test", token=owner.access_token).data
        assert (again["status"], again["responseStatus"]) == ("succeeded", 204)
        body = b'{"id":"evt_forged","type":"message.created"}'
        now = int(time.time())

        def sign(timestamp, key=secret):
            digest = hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
            return {"X-Disqua-Timestamp": str(timestamp), "X-Disqua-Signature-256": f"sha256={digest}"}

        assert requests.post(url, data=body, headers=sign(now), timeout=5).status_code == 204  # control
        assert requests.post(url, data=body, headers=sign(now, "whsec_wrong"), timeout=5).status_code == 401
        assert requests.post(url, data=body, headers=sign(now - 301), timeout=5).status_code == 401
        tampered = {**sign(now), "X-Disqua-Timestamp": str(now + 1)}
        assert requests.post(url, data=body, headers=tampered, timeout=5).status_code == 401
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert out.split() == ["ping", "ping", "message.created"]


def test_private_channels_are_never_delivered(api, team, local, receiver):
    ws, owner, _ = team
    _hook(api, owner, ws, receiver.url, events=("message.created", "reaction.added", "channel.created"))
    reader = StreamReader()
    secret = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "hush", "type": "private"}, token=owner.access_token
    ).data
    said = api.post(f"/v1/channels/{secret['id']}/messages", {"content": "psst"}, token=owner.access_token).data
    assert api.post(f"/v1/messages/{said['id']}/reactions", {"emoji": "👍"}, token=owner.access_token).status < 300
    _send(api, owner, ws, "public news")
    _route(reader)
    _drain()
    receiver.wait_for(1)
    time.sleep(0.2)
    delivered = [json.loads(r.body) for r in receiver.received]
    assert [e["data"]["content"] for e in delivered if e["type"] == "message.created"] == ["public news"]
    assert secret["id"] not in json.dumps(delivered)  # not its creation, message or reaction


def test_secrets_follow_a_signing_key_rotation(api, team, local, receiver, monkeypatch):
    """Sealed under the active signing key; after a rotation the next use seals it
    under the new key, so retiring the old key later breaks nothing."""
    ws, owner, _ = team
    hook = _hook(api, owner, ws, receiver.url)
    before = webhook_store.get(hook["id"])
    old_kid = before.secret_kid
    keys = json.loads(os.environ["SIGNING_KEYS"])
    monkeypatch.setenv("SIGNING_KEYS", json.dumps({**keys, "active": "k9", "k9": "n" * 48}))
    config.reset()
    assert api.post(f"/v1/webhooks/{hook['id']}/test", token=owner.access_token).data["status"] == "succeeded"
    assert webhook_store.get(hook["id"]).secret_kid == "k9" != old_kid
    login = api.post("/v1/auth/login", {"email": owner.email, "password": owner.password}).data
    monkeypatch.setenv("SIGNING_KEYS", json.dumps({"active": "k9", "k9": "n" * 48}))  # the old key retired
    config.reset()
    assert api.post(f"/v1/webhooks/{hook['id']}/test", token=login["accessToken"]).data["status"] == "succeeded"
    for got in receiver.received:
        assert StandardWebhook(hook["secret"]).verify(got.body, got.headers)["type"] == "ping"


def test_a_failed_queue_send_or_a_crash_after_the_post_loses_nothing(api, team, local, receiver, monkeypatch):
    """SQS refusing the fan-out's tasks once: the event comes back and is fanned out
    then. A crash after the POST, before the attempt is recorded: the attempt runs
    again, with the same event id (the receiver's idempotency key)."""
    from chalicelib import aws

    ws, owner, _ = team
    hook = _hook(api, owner, ws, receiver.url)
    reader = StreamReader()
    _send(api, owner, ws)
    _route(reader)
    sqs = aws.client("sqs")
    real_send, real_log = sqs.send_message_batch, webhook_store.log_delivery
    failures = {"send": 1, "log": 1}

    def send_once_failing(**kwargs):
        if failures["send"]:
            failures["send"] -= 1
            raise RuntimeError("SQS is unavailable")
        return real_send(**kwargs)

    def crash_once(entry):
        if failures["log"]:
            failures["log"] -= 1
            raise RuntimeError("the function was killed")
        return real_log(entry)

    monkeypatch.setattr(sqs, "send_message_batch", send_once_failing)
    monkeypatch.setattr(webhook_store, "log_delivery", crash_once)
    results = _drain()
    assert results[0]["batchItemFailures"]  # the fan-out failed and came back
    assert failures == {"send": 0, "log": 0}
    first, second = receiver.wait_for(2)
    assert first.headers["X-Disqua-Delivery"] == second.headers["X-Disqua-Delivery"]
    (entry,) = _log(api, owner, hook["id"])
    assert (entry["attempt"], entry["status"]) == (1, "succeeded")


def test_the_delivery_log_pages_newest_first_with_a_cursor(api, team, local, receiver):
    ws, owner, _ = team
    hook = _hook(api, owner, ws, receiver.url)
    sent = [api.post(f"/v1/webhooks/{hook['id']}/test", token=owner.access_token).data["id"] for _ in range(3)]
    path = f"/v1/webhooks/{hook['id']}/deliveries"
    first = api.get(f"{path}?limit=2", token=owner.access_token)
    assert first.body["pagination"]["hasMore"] is True
    cursor = first.body["pagination"]["nextCursor"]
    second = api.get(f"{path}?limit=2&cursor={cursor}", token=owner.access_token)
    assert [e["id"] for e in first.data + second.data] == sent[::-1]
    assert second.body["pagination"] == {"hasMore": False, "nextCursor": None}
    other = _hook(api, owner, ws, receiver.url)
    foreign = api.get(f"/v1/webhooks/{other['id']}/deliveries?cursor={cursor}", token=owner.access_token)
    assert (foreign.status, foreign.error["field"]) == (400, "cursor")
