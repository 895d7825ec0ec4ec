"""Realtime in-process: the stream -> router -> realtime queue -> worker pump, run to the end.

The WebSocket side (API Gateway's proxy events to the app's handlers, the Management API
stand-in the worker posts to) is the local runtime's own, in-process: tests/conftest.py's
``realtime`` fixture (tests/realtime_standin.py).
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.config import get_settings
from tests.functional.workers.pipeline import LambdaContext, StreamReader, sqs_event

# --- stream -> router -> realtime queue -> worker -------------------------------------------------


class Pump:
    """Moves the table's new stream records through the router, then the realtime queue
    into the app's realtime handler (as Lambda would), until nothing is left."""

    def __init__(self) -> None:
        self.reader = StreamReader()

    def run(self, *, also: tuple[str, ...] = ()) -> int:
        """Route the stream, drain the queues in ``also`` through their app handlers (say
        "notifications": their items' own stream records come back round), then the realtime
        queue; returns how many realtime messages were handled."""
        import app as application

        handlers = {source.queue: source.name for source in application.app.event_sources if hasattr(source, "queue")}
        while True:
            self._route()
            moved = sum(self._drain(queue, getattr(application, handlers[queue])) for queue in also)
            if not moved:
                break
        return self._drain("realtime", application.fan_out_realtime, explain=True)

    def _route(self) -> None:
        from app import route_events

        records = self.reader.read()
        while records:
            route_events({"Records": records}, LambdaContext())
            records = self.reader.read()

    def _drain(self, queue: str, handler: Any, explain: bool = False) -> int:
        handled = 0
        sqs = boto3.client("sqs")
        url = get_settings().queue_url(queue)
        while True:
            event, _ = sqs_event(queue)
            if not event["Records"]:
                return handled
            result = handler(event, LambdaContext())
            if result["batchItemFailures"] and explain:  # run it again, unguarded, to show the error
                from chalicelib.workers import realtime

                for record in event["Records"]:
                    realtime.handle(json.loads(record["body"]))
            assert result == {"batchItemFailures": []}, result
            for record in event["Records"]:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
            handled += len(event["Records"])
