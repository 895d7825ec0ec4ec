"""Driving the notifications pipeline in-process, as Lambda would: the table's stream
into ``app.route_events``, then the notifications queue into ``app.notify`` until it
is empty (continuations of large fan-outs included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from app import notify, route_events
from chalicelib.config import get_settings
from tests.functional.workers.pipeline import LambdaContext, StreamReader, sqs_event


@dataclass
class Pipeline:
    reader: StreamReader = field(default_factory=StreamReader)
    invocations: int = 0
    messages: int = 0

    def route(self) -> None:
        while True:
            records = self.reader.read()
            if not records:
                return
            route_events({"Records": records}, LambdaContext())

    def receive(self) -> dict[str, Any]:
        event, _ = sqs_event("notifications")
        return event

    def deliver(self, event: dict[str, Any]) -> dict[str, Any]:
        """Hand an SQS event to the handler; delete what it did not report as failed."""
        self.invocations += 1
        self.messages += len(event["Records"])
        result = notify(event, LambdaContext())
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        sqs = boto3.client("sqs")
        for record in event["Records"]:
            if record["messageId"] not in failed:
                sqs.delete_message(
                    QueueUrl=get_settings().queue_url("notifications"), ReceiptHandle=record["receiptHandle"]
                )
        return result

    def run(self) -> None:
        """Stream -> router -> queue -> worker, until nothing is left."""
        self.route()
        while True:
            event = self.receive()
            if not event["Records"]:
                return
            assert self.deliver(event) == {"batchItemFailures": []}


def drain_queue(queue: str) -> None:
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=get_settings().queue_url(queue))
