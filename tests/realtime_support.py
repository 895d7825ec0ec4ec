"""Realtime in-process: a stand-in for the API Gateway Management API on 127.0.0.1 (the three
calls the app makes: POST, GET and DELETE /@connections/{id}), API Gateway's WebSocket proxy
events handed to the app's own handlers, and the stream -> router -> realtime worker pump.

The stand-in answers as API Gateway does (410 GoneException for a connection that is not
open), so the app's unchanged boto3 client talks to it through REALTIME_ENDPOINT.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
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


# --- API Gateway's WebSocket proxy events ---------------------------------------------------------


def ws_event(
    route_key: str, connection_id: str, *, query: dict[str, str] | None = None, body: Any = None
) -> dict[str, Any]:
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route_key,
            "eventType": event_type,
            "connectionId": connection_id,
            "domainName": "ws.example.test",
            "stage": "api",
            "apiId": "wsapi12345",
            "requestId": str(uuid.uuid4()),
            "connectedAt": 1764676800000,
        },
        "isBase64Encoded": False,
    }
    if query is not None:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


class Socket:
    """One client connection, driven through the app's WebSocket handlers."""

    def __init__(self, api: ManagementApi, connection_id: str | None = None):
        self.api = api
        self.id = connection_id or f"{uuid.uuid4().hex[:14]}="

    def connect(self, **query: str) -> int:
        from app import realtime_connect

        self.api.add(self.id)
        status = realtime_connect(ws_event("$connect", self.id, query=query), LambdaContext())["statusCode"]
        if status != 200:
            self.api.drop(self.id)
        return status

    def send(self, frame: Any) -> list[dict[str, Any]]:
        """Send a frame; the frames answered to this connection."""
        from app import realtime_message

        assert realtime_message(ws_event("$default", self.id, body=frame), LambdaContext()) == {"statusCode": 200}
        return self.frames()

    def frames(self) -> list[dict[str, Any]]:
        return self.api.frames(self.id)

    def disconnect(self) -> None:
        from app import realtime_disconnect

        self.api.drop(self.id)
        realtime_disconnect(ws_event("$disconnect", self.id), LambdaContext())


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
