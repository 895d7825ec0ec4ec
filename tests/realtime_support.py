"""Realtime in-process: the stream -> router -> realtime queue -> worker pump, run to the end.

The WebSocket side (API Gateway's proxy events to the app's handlers, the Management API
stand-in the worker posts to) is the local runtime's own, in-process: tests/conftest.py's
``realtime`` fixture (tests/realtime_standin.py).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import boto3

from chalicelib.config import get_settings
from tests.functional.workers.pipeline import LambdaContext, StreamReader, sqs_event

_PATH = re.compile(r"^/@connections/([^/?]+)$")


# bench/realtime.py's counting stand-in (to be moved onto devserver/realtime's).
@dataclass
class ManagementApi:
    """Open connections and the frames posted to each."""

    open: dict[str, list[bytes]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    posts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def add(self, connection_id: str) -> None:
        with self.lock:
            self.open[connection_id] = []

    def drop(self, connection_id: str) -> None:
        """The client went away without API Gateway telling the app (a dead connection)."""
        with self.lock:
            self.open.pop(connection_id, None)

    def frames(self, connection_id: str) -> list[dict[str, Any]]:
        """The frames posted to the connection since the last call (taken)."""
        with self.lock:
            taken = self.open.get(connection_id, [])
            if connection_id in self.open:
                self.open[connection_id] = []
        return [json.loads(raw) for raw in taken]


def _handler(api: ManagementApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, body: bytes = b"", error: str | None = None) -> None:
            self.send_response(status)
            if error:
                self.send_header("x-amzn-ErrorType", error)
                body = json.dumps({"message": None, "__type": error}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _connection(self) -> str | None:
            match = _PATH.match(self.path)
            return unquote(match.group(1)) if match else None

        def do_POST(self) -> None:
            connection_id = self._connection()
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with api.lock:
                api.posts += 1
                inbox = api.open.get(connection_id or "")
                if inbox is not None:
                    inbox.append(data)
            self._reply(200) if inbox is not None else self._reply(410, error="GoneException")

        def do_GET(self) -> None:
            connection_id = self._connection()
            if connection_id in api.open:
                body = {"connectedAt": "2026-12-02T12:00:00Z", "identity": {"sourceIp": "127.0.0.1"}}
                self._reply(200, json.dumps(body).encode())
            else:
                self._reply(410, error="GoneException")

        def do_DELETE(self) -> None:
            connection_id = self._connection() or ""
            with api.lock:
                gone = api.open.pop(connection_id, None) is None
                api.deleted.append(connection_id)
            self._reply(410, error="GoneException") if gone else self._reply(204)

    return Handler


@contextmanager
def management_api() -> Iterator[ManagementApi]:
    api = ManagementApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


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
