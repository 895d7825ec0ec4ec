"""The local WebSocket gateway in memory: API Gateway's proxy events to the app's
handlers, and the Management API as the unchanged boto3 client sees it."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from devserver.realtime.gateway import LOSE_DISCONNECT_HEADER
from tests.realtime_standin import LocalRealtime, Refused


def management(endpoint: str) -> Any:
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)


def test_connect_event_is_api_gateways_and_the_header_hook_stays_local(echo: LocalRealtime, events: list) -> None:
    client = echo.connect({"token": "ok", "x": "1"}, headers=[("User-Agent", "ua/1"), (LOSE_DISCONNECT_HEADER, "0")])

    (event,) = events
    context = event["requestContext"]
    assert context["routeKey"] == "$connect"
    assert context["eventType"] == "CONNECT"
    assert context["connectionId"] == client.id
    assert context["stage"] == "test"
    assert context["apiId"] == "local"
    assert context["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "ua/1"}
    assert isinstance(context["connectedAt"], int)
    assert event["queryStringParameters"] == {"token": "ok", "x": "1"}
    assert event["multiValueQueryStringParameters"] == {"token": ["ok"], "x": ["1"]}
    assert event["headers"] == {"User-Agent": "ua/1"}
    assert event["isBase64Encoded"] is False
    assert len(base64.b64decode(client.id)) == 11  # shaped like API Gateway's ids


def test_connect_without_a_query_string_has_no_parameters_as_in_aws(echo: LocalRealtime, events: list) -> None:
    assert echo.refusal() == 403
    assert "queryStringParameters" not in events[0]


def test_refused_and_failing_connects_refuse_the_upgrade_and_leave_nothing(echo: LocalRealtime) -> None:
    assert echo.refusal({"token": "nope"}) == 403
    with pytest.raises(Refused) as failed:
        echo.connect({"token": "boom"})
    assert failed.value.status == 500
    assert json.loads(failed.value.body) == {"message": "Internal server error"}
    assert echo.gateway.connection_ids() == []


def test_a_message_reaches_default_and_boto3_posts_back(echo: LocalRealtime, events: list) -> None:
    client = echo.connect({"token": "ok"})
    client.send("hello")
    client.send(b"\x00\xff")

    encoded = base64.b64encode(b"\x00\xff").decode()
    assert client.received == ["echo:hello", f"echo:{encoded}"]
    text, binary = events[1], events[2]
    assert text["requestContext"]["routeKey"] == "$default"
    assert text["requestContext"]["eventType"] == "MESSAGE"
    assert text["requestContext"]["messageId"]
    assert (text["body"], text["isBase64Encoded"]) == ("hello", False)
    assert binary["isBase64Encoded"] is True


def test_post_to_a_gone_connection_is_410_gone_exception_for_boto3(echo: LocalRealtime) -> None:
    client = management(echo.endpoint)
    with pytest.raises(client.exceptions.GoneException) as gone:
        client.post_to_connection(ConnectionId="L0SM9cOFvHcCIhw=", Data=b"x")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert gone.value.response["Error"]["Code"] == "GoneException"
    for call in (client.get_connection, client.delete_connection):
        with pytest.raises(client.exceptions.GoneException):
            call(ConnectionId="L0SM9cOFvHcCIhw=")


def test_get_connection_parses(echo: LocalRealtime) -> None:
    client = echo.connect({"token": "ok"})
    client.send("info")
    (info,) = client.frames()
    assert info["sourceIp"] == "127.0.0.1"
    assert info["connectedAt"].endswith("+00:00")  # botocore parsed the ISO 8601 time


def test_delete_closes_and_disconnect_follows(echo: LocalRealtime, events: list) -> None:
    client = echo.connect({"token": "ok"})
    client.send("delete")

    assert client.peer.closed
    disconnect = events[-1]
    assert disconnect["requestContext"]["routeKey"] == "$disconnect"
    assert disconnect["requestContext"]["eventType"] == "DISCONNECT"
    assert disconnect["requestContext"]["connectionId"] == client.id
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1000
    with pytest.raises(ClientError, match="GoneException"):
        management(echo.endpoint).post_to_connection(ConnectionId=client.id, Data=b"x")


def test_a_client_close_runs_disconnect_once(echo: LocalRealtime, events: list) -> None:
    client = echo.connect({"token": "ok"})
    client.close(1001)
    client.close(1001)
    assert [e["requestContext"]["routeKey"] for e in events] == ["$connect", "$disconnect"]
    assert events[-1]["requestContext"]["disconnectStatusCode"] == 1001


def test_a_dropped_connection_loses_its_disconnect_and_is_gone(echo: LocalRealtime, events: list) -> None:
    client = echo.connect({"token": "ok"})
    client.drop()
    assert [e["requestContext"]["routeKey"] for e in events] == ["$connect"]
    with pytest.raises(ClientError, match="GoneException"):
        management(echo.endpoint).post_to_connection(ConnectionId=client.id, Data=b"x")


def test_a_failing_message_handler_tells_the_client_as_api_gateway_does(echo: LocalRealtime) -> None:
    client = echo.connect({"token": "ok"})
    client.send("boom")
    (error,) = client.frames()
    assert error["message"] == "Internal server error"
    assert error["connectionId"] == client.id


def test_data_over_128_kb_is_payload_too_large(echo: LocalRealtime) -> None:
    client = echo.connect({"token": "ok"})
    api = management(echo.endpoint)
    with pytest.raises(api.exceptions.PayloadTooLargeException):
        api.post_to_connection(ConnectionId=client.id, Data=b"x" * (128 * 1024 + 1))
    api.post_to_connection(ConnectionId=client.id, Data=b"x" * (128 * 1024))
    assert len(client.received) == 1


def test_an_endpoint_with_the_stage_in_its_path_works_and_calls_are_listed(echo: LocalRealtime) -> None:
    client = echo.connect({"token": "ok"})
    management(f"{echo.endpoint}/local").post_to_connection(ConnectionId=client.id, Data=b"staged")
    assert client.received == ["staged"]

    calls = requests.get(f"{echo.endpoint}/@local/calls", timeout=5).json()
    assert calls[-1] == {"method": "POST", "connectionId": client.id, "status": 200}


def test_unknown_paths_are_forbidden_as_api_gateway_answers(echo: LocalRealtime) -> None:
    answer = requests.post(f"{echo.endpoint}/nowhere", timeout=5)
    assert answer.status_code == 403
    assert answer.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert answer.json() == {"message": "Forbidden"}
