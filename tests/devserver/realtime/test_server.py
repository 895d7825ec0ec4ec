"""The local WebSocket API on a real socket (websockets' client), with the Management
API and the page on the same port."""

from __future__ import annotations

import http.client
import time

import boto3
import pytest
import requests
from websockets.exceptions import ConnectionClosedOK, InvalidStatus
from websockets.sync.client import connect

from devserver.realtime.gateway import LOSE_DISCONNECT_HEADER
from devserver.realtime.server import RealtimeServer

TIMEOUT = 5


def routes(events: list[dict]) -> list[str]:
    return [e["requestContext"]["routeKey"] for e in events]


def wait_for(condition, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_messages_go_to_the_handlers_and_posts_come_back(echo_server: RealtimeServer, events: list) -> None:
    with connect(f"{echo_server.url}/?token=ok", open_timeout=TIMEOUT) as ws:
        ws.send("hi")
        assert ws.recv(TIMEOUT) == "echo:hi"
        ws.send(b"\x01")
        assert ws.recv(TIMEOUT) == "echo:AQ=="
    wait_for(lambda: routes(events)[-1:] == ["$disconnect"])
    assert routes(events) == ["$connect", "$default", "$default", "$disconnect"]
    assert events[-1]["requestContext"]["disconnectStatusCode"] == 1000
    assert events[0]["headers"]["Upgrade"] == "websocket"


def test_a_refusing_connect_refuses_the_upgrade_with_its_status(echo_server: RealtimeServer, events: list) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{echo_server.url}/?token=no", open_timeout=TIMEOUT)
    assert refused.value.response.status_code == 403
    assert routes(events) == ["$connect"]  # no $disconnect for a connection never made
    assert echo_server.gateway.connection_ids() == []


def test_delete_connection_closes_the_socket(echo_server: RealtimeServer, events: list) -> None:
    with connect(f"{echo_server.url}/?token=ok", open_timeout=TIMEOUT) as ws:
        ws.send("delete")
        with pytest.raises(ConnectionClosedOK):
            ws.recv(TIMEOUT)
    wait_for(lambda: routes(events)[-1:] == ["$disconnect"])


def test_a_lost_disconnect_leaves_a_gone_connection(echo_server: RealtimeServer, events: list) -> None:
    with connect(
        f"{echo_server.url}/?token=ok", additional_headers={LOSE_DISCONNECT_HEADER: "1"}, open_timeout=TIMEOUT
    ) as ws:
        ws.send("hi")
        ws.recv(TIMEOUT)
    api = boto3.client("apigatewaymanagementapi", endpoint_url=echo_server.endpoint)
    connection_id = events[0]["requestContext"]["connectionId"]
    wait_for(lambda: echo_server.gateway.connection_ids() == [])
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=connection_id, Data=b"late")
    assert routes(events) == ["$connect", "$default"]
    assert LOSE_DISCONNECT_HEADER not in {k.lower() for k in events[0]["headers"]}


def test_the_management_api_shares_the_port_with_keep_alive(echo_server: RealtimeServer) -> None:
    api = boto3.client("apigatewaymanagementapi", endpoint_url=echo_server.endpoint)
    for _ in range(3):  # one pooled connection, several requests
        with pytest.raises(api.exceptions.GoneException):
            api.get_connection(ConnectionId="nobody=")


def test_a_plain_get_is_told_to_upgrade(echo_server: RealtimeServer) -> None:
    answer = requests.get(f"{echo_server.endpoint}/", timeout=TIMEOUT)
    assert answer.status_code == 426


def test_the_page_is_served_with_a_strict_csp(echo_server: RealtimeServer) -> None:
    page = requests.get(f"{echo_server.endpoint}/realtime", timeout=TIMEOUT)
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert '<script src="/realtime.js"' in page.text
    assert "<script>" not in page.text and "style=" not in page.text
    script = requests.get(f"{echo_server.endpoint}/realtime.js", timeout=TIMEOUT)
    assert script.headers["Content-Type"].startswith("text/javascript")


def test_shutdown_closes_clients_and_idle_http_connections_promptly(events: list, monkeypatch) -> None:
    import threading

    from devserver.realtime.gateway import WebSocketGateway
    from tests.devserver.realtime import echo_app

    server = RealtimeServer(WebSocketGateway(echo_app.app, stage="local", domain_name="x"), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    idle.request("GET", "/@local/calls")
    assert idle.getresponse().read() == b"[]"  # kept alive, idle from now on
    ws = connect(f"{server.url}/?token=ok", open_timeout=TIMEOUT)

    started = time.monotonic()
    server.shutdown()
    thread.join(TIMEOUT)

    assert not thread.is_alive()
    assert time.monotonic() - started < 3
    wait_for(lambda: ws.protocol.close_rcvd is not None)
    assert ws.protocol.close_rcvd.code == 1001
    assert routes(events)[-1] == "$disconnect"
    idle.close()
