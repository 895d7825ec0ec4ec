"""Web Push: what subscribing costs, and the DynamoDB calls of the push worker for one
``notification.created`` (a push service on 127.0.0.1 answers).

A push is: the event's claim (PutItem), the recipient's subscriptions (one Query, at
most 10 items), the claim's completion (PutItem); the HTTP posts to the push service
touch no table. A retry (429/5xx) adds one UpdateItem recording who was reached, and
the redelivery one GetItem to read it.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.table import INFO, heading, render

PUSH_BUDGET_CALLS = 3
PUSH_BUDGET_WCU = 2


class _PushService:
    """Answers every push with 201, or with the statuses queued for a path."""

    def __init__(self) -> None:
        self.answers: dict[str, list[int]] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                queued = service.answers.get(self.path) or []
                self.send_response(queued.pop(0) if queued else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _subscription(endpoint: str) -> dict[str, Any]:
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
    return {"endpoint": endpoint, "expirationTime": None, "keys": {"p256dh": b64(point), "auth": b64(os.urandom(16))}}


def _event(event_id: str, user_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "notification.created",
        "workspaceId": "w",
        "createdAt": "2026-12-02T00:00:00.000Z",
        "data": {
            "notificationId": "0192f0c4-8a1e-7a3b-9c1d-2e3f4a5b6c7d",
            "userId": user_id,
            "type": "mention",
            "workspaceId": "w",
            "channelId": "c",
            "messageId": "m",
            "threadId": None,
            "actor": {"id": "a", "username": "alice", "displayName": "Alice"},
            "preview": "hello",
            "createdAt": "2026-12-02T00:00:00.000Z",
        },
    }


def _sqs_batch(event: dict[str, Any], receive_count: int) -> dict[str, Any]:
    """The event through the push queue (a real receipt handle, so the worker can delay
    it), as Lambda hands it over on its ``receive_count``-th delivery."""
    import boto3

    from chalicelib.config import get_settings

    sqs, url = boto3.client("sqs"), get_settings().queue_url("push")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {"ApproximateReceiveCount": str(receive_count)},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:push",
                "awsRegion": "us-east-1",
            }
        ]
    }


def run() -> list[Any]:
    """The measurements (bench.endpoints.Measurement) of subscribing and pushing."""
    import os

    from chalice.test import Client

    from app import app
    from bench.endpoints import (
        PASSWORD,
        ROOT,
        Budget,
        Measurement,
        Runner,
        _verify_email,
        at_most,
        backend,
        calls_and_writes,
    )
    from bench.recorder import Recorder
    from chalicelib import config
    from chalicelib.auth import tokens
    from chalicelib.ids import new_id
    from chalicelib.services import accounts
    from chalicelib.workers import push as worker

    os.environ["PUSH_ALLOW_LOOPBACK"] = "true"  # the push service is on 127.0.0.1
    service = _PushService()
    recorder = Recorder()
    measurements: list[Measurement] = []
    try:
        with backend(), Client(app, project_dir=str(ROOT)) as client:
            recorder.install()
            try:
                runner = Runner(client, recorder)
                email = "push-bench@example.com"
                user_id = accounts.register(email, PASSWORD, "pushbench", "Push Bench", client_ip="bench-push")
                _verify_email(user_id, email)
                jwt = tokens.issue_access_token(user_id, new_id(), email_verified=True)
                path = "/v1/notifications/push/subscribe"
                endpoint = "POST /v1/notifications/push/subscribe"
                first = _subscription(f"{service.base}/push/0")
                runner.measure(
                    endpoint, "new endpoint", path=path, token=jwt, body=first, expect=201, budget=at_most(2)
                )
                runner.measure(endpoint, "same endpoint again", path=path, token=jwt, body=first, budget=at_most(3))
                runner.measure(
                    "GET /v1/notifications/push/vapid-public-key",
                    "session",
                    path="/v1/notifications/push/vapid-public-key",
                    token=jwt,
                    budget=Budget("calls = 0", lambda m: m.total_calls == 0),
                )
                measurements += runner.measurements

                def push(case: str, event: dict[str, Any], receive_count: int, budget: Any) -> None:
                    batch = _sqs_batch(event, receive_count)
                    with recorder.recording() as calls:
                        worker.handle_batch(batch)
                    measurements.append(Measurement("push worker", case, 200, 200, list(calls), budget))

                push(
                    "1 subscription", _event("evt_b1", user_id), 1, calls_and_writes(PUSH_BUDGET_CALLS, PUSH_BUDGET_WCU)
                )
                for n in range(1, 10):
                    runner.request(
                        endpoint,
                        "setup",
                        path=path,
                        token=jwt,
                        body=_subscription(f"{service.base}/push/{n}"),
                        expect=201,
                        keep=False,
                    )
                push(
                    "10 subscriptions",
                    _event("evt_b10", user_id),
                    1,
                    calls_and_writes(PUSH_BUDGET_CALLS, PUSH_BUDGET_WCU),
                )
                push("redelivered (done)", _event("evt_b10", user_id), 2, at_most(2))
                service.answers["/push/3"] = [429]
                push("10, one answers 429", _event("evt_r", user_id), 1, None)
                push("its retry (9 skipped)", _event("evt_r", user_id), 2, None)
                service.answers["/push/4"] = [410]
                push("10, one answers 410", _event("evt_g", user_id), 1, None)
            finally:
                recorder.uninstall()
    finally:
        service.close()
        os.environ.pop("PUSH_ALLOW_LOOPBACK", None)
        config.reset()
    return measurements


def section() -> list[tuple[str, str]]:
    """Print the Web Push rows; returns the budget checks."""
    measurements = run()
    print(heading("Web Push: subscribing, and one push's DynamoDB calls"))
    rows = [
        [
            m.endpoint,
            m.case,
            m.total_calls,
            m.operations,
            f"{m.capacity.read:g}",
            f"{m.capacity.write:g}",
            m.budget.text if m.budget else INFO,
            m.result,
        ]
        for m in measurements
    ]
    print(render(["What", "Case", "Calls", "Operations", "RCU", "WCU", "Budget", "Result"], rows, right=(2, 4, 5)))
    print(
        "A push: claim, the recipient's subscriptions (one Query, <= 10 items), done: the same for 1 or 10\n"
        "subscriptions; the HTTP posts touch no table. A 429/5xx adds an UpdateItem (who was reached) and the\n"
        "retry a GetItem to skip them; a 410 a transaction deleting the subscription and counting it out."
    )
    return [(f"web push: {m.endpoint}, {m.case}", m.result) for m in measurements if m.budget]
