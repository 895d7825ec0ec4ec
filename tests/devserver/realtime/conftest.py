"""The echo app (echo_app.py) behind the local gateway: in memory, and on real sockets."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from devserver.realtime.gateway import WebSocketGateway
from devserver.realtime.server import RealtimeServer
from tests.devserver.realtime import echo_app
from tests.realtime_standin import LocalRealtime, StandInServer


@pytest.fixture
def events() -> Iterator[list[dict]]:
    """What the echo app's handlers received, in order."""
    echo_app.events.clear()
    yield echo_app.events
    echo_app.events.clear()


@pytest.fixture
def echo(events: list[dict], realtime_standin: StandInServer, monkeypatch: pytest.MonkeyPatch) -> LocalRealtime:
    """The echo app's WebSocket API with in-memory clients."""
    monkeypatch.setenv("REALTIME_ENDPOINT", realtime_standin.endpoint)
    return LocalRealtime(echo_app.app, realtime_standin)


@pytest.fixture
def echo_server(events: list[dict], monkeypatch: pytest.MonkeyPatch) -> Iterator[RealtimeServer]:
    """The echo app's WebSocket API on a free port, serving; stopped after the test."""
    gateway = WebSocketGateway(echo_app.app, stage="local", domain_name="127.0.0.1")
    server = RealtimeServer(gateway, "127.0.0.1", 0)
    monkeypatch.setenv("REALTIME_ENDPOINT", server.endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(5)
    assert not thread.is_alive(), "the server did not stop"
