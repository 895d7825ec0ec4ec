"""Webhooks: what a delivery costs in DynamoDB calls, capacity and SQS messages.

A domain event on the webhooks queue is fanned out (one task per subscribed webhook),
then each task is one attempt. Measured through ``chalicelib.workers.webhooks.handle_batch``
(what the Lambda runs) against a receiver on 127.0.0.1 (the local stage's rules), in
moto, with bench/recorder.py counting every DynamoDB call. Creating a webhook (the
request, through the API) is measured too.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from bench.capacity import Capacity
from bench.recorder import ApiCall, CallCosts, Recorder
from bench.table import INFO, heading, render, verdict

# (calls, WCU) budgets: a fan-out claims the event, queries the workspace's webhooks
# and marks the claim done; an attempt claims itself, reads the webhook, logs the
# attempt and marks the claim done.
BUDGETS: dict[str, tuple[int, float]] = {
    "fan-out of one event (1 subscribed webhook)": (3, 2.0),
    "attempt, 2xx": (4, 3.0),
    "attempt, 500 (next attempt scheduled)": (4, 3.0),
}


@dataclass(frozen=True)
class Row(CallCosts):
    case: str
    calls: list[ApiCall]
    sqs_sent: int

    @property
    def result(self) -> str:
        budget = BUDGETS.get(self.case)
        if budget is None:
            return INFO
        return verdict(len(self.calls) <= budget[0] and self.capacity.write <= budget[1])


def _queued() -> list[dict[str, Any]]:
    import boto3

    from chalicelib.config import get_settings

    sqs, url = boto3.client("sqs"), get_settings().queue_url("webhooks")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]


def measure() -> list[Row]:
    from chalice.test import Client

    from app import app
    from bench import ROOT
    from bench.endpoints import _verified_user, backend
    from chalicelib import config
    from chalicelib.ids import new_id, now_iso
    from chalicelib.workers import webhooks as worker
    from tests.webhook_receiver import Receiver

    rows: list[Row] = []
    recorder = Recorder()
    receiver = Receiver(statuses=[200, 500, 200]).start()
    with backend(), Client(app, project_dir=str(ROOT), stage_name="local") as client:
        os.environ.update(DISQUA_STAGE="local", WEBHOOK_RETRY_SCALE="0")
        config.reset()
        jwt = _verified_user("hooks@example.com", "hooks")
        workspace_id = _workspace(client, jwt)
        recorder.install()
        try:
            with recorder.recording() as calls:
                created = client.http.post(
                    f"/v1/workspaces/{workspace_id}/webhooks",
                    headers={"Authorization": f"Bearer {jwt}", "Content-Type": "application/json"},
                    body=json.dumps({"name": "bench", "url": receiver.url, "events": ["message.created"]}),
                )
            assert created.status_code == 201, created.body
            rows.append(Row("POST /v1/workspaces/{id}/webhooks (create)", calls, 0))
            for case in ("2xx", "500 (next attempt scheduled)"):
                event = {
                    "id": f"evt_{new_id()}",
                    "type": "message.created",
                    "workspaceId": workspace_id,
                    "createdAt": now_iso(),
                    "data": {"id": new_id(), "content": "bench"},
                }
                record = {"messageId": "m1", "body": json.dumps(event)}
                with recorder.recording() as calls:
                    assert worker.handle_batch({"Records": [record]}) == {"batchItemFailures": []}
                tasks = _queued()
                if case == "2xx":
                    rows.append(Row("fan-out of one event (1 subscribed webhook)", calls, len(tasks)))
                with recorder.recording() as calls:
                    worker.handle_batch({"Records": tasks})
                rows.append(Row(f"attempt, {case}", calls, len(_queued())))
        finally:
            recorder.uninstall()
            receiver.stop()
    return rows


def _workspace(client: Any, jwt: str) -> str:
    answer = client.http.post(
        "/v1/workspaces",
        headers={"Authorization": f"Bearer {jwt}", "Content-Type": "application/json"},
        body=json.dumps({"name": "Hooks"}),
    )
    assert answer.status_code == 201, answer.body
    return json.loads(answer.body)["data"]["id"]


def section() -> list[tuple[str, str]]:
    print(heading("Webhooks: one delivery's DynamoDB calls and capacity"))
    rows = measure()

    def units(value: float) -> str:
        return f"{value:.2f}".rstrip("0").rstrip(".")

    table = [
        [
            r.case,
            len(r.calls),
            r.operations,
            units(r.capacity.read),
            units(r.capacity.write),
            r.sqs_sent,
            f"<= {BUDGETS[r.case][0]} calls, {units(BUDGETS[r.case][1])} WCU" if r.case in BUDGETS else INFO,
            r.result,
        ]
        for r in rows
    ]
    print(
        render(["Case", "Calls", "Operations", "RCU", "WCU", "SQS sent", "Budget", "Result"], table, right=(1, 3, 4, 5))
    )
    delivery = [r for r in rows if r.case.startswith(("fan-out", "attempt, 2xx"))]
    total = sum((r.capacity for r in delivery), Capacity())
    calls = sum(len(r.calls) for r in delivery)
    print(
        f"One event to one webhook, delivered at the first attempt: {calls} DynamoDB calls, "
        f"{units(total.read)} RCU, {units(total.write)} WCU, 2 SQS messages (the event, the task).\n"
        "Each further webhook adds one attempt (and its task); each retry one attempt. SQS sent: tasks queued."
    )
    return [(f"webhooks: {r.case}", r.result) for r in rows if r.case in BUDGETS]


if __name__ == "__main__":
    from bench import env

    env.apply()
    section()
