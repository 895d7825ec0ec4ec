"""infra/merge.py wires the WebSocket API Chalice generates (docs/realtime.md): its three
handlers get their own least-privilege roles, every function the Management API endpoint of
the stage, and only the frame handler and the realtime worker may post to connections."""

from __future__ import annotations

from typing import Any

from app import app
from infra import merge
from tests.infra.test_merge import allowed, functions_of, packaged  # noqa: F401 (fixture)

WEBSOCKET_FUNCTIONS = ("WebsocketConnect", "WebsocketMessage", "WebsocketDisconnect")


def test_the_websocket_api_has_its_routes_stage_and_handlers(packaged: dict[str, Any]) -> None:  # noqa: F811
    resources = packaged["Resources"]
    assert resources["WebsocketAPI"]["Properties"]["ProtocolType"] == "WEBSOCKET"
    routes = {r["Properties"]["RouteKey"] for r in resources.values() if r.get("Type") == "AWS::ApiGatewayV2::Route"}
    assert routes == {"$connect", "$default", "$disconnect"}
    assert resources["WebsocketAPIStage"]["Properties"]["StageName"] == "api"
    for logical in WEBSOCKET_FUNCTIONS:
        assert resources[logical]["Type"] == "AWS::Serverless::Function"
        permission = resources[f"{logical}InvokePermission"]["Properties"]
        assert permission["FunctionName"] == {"Ref": logical}
        assert permission["Principal"] == "apigateway.amazonaws.com"
    assert {f.name for f in merge.functions(app) if f.kind == "websocket"} == set(merge.WEBSOCKET_FUNCTIONS.values())


def test_every_function_knows_the_management_api_of_the_stage(packaged: dict[str, Any]) -> None:  # noqa: F811
    expected = {"Fn::Sub": "https://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"}
    for logical, function in functions_of(packaged).items():
        assert function["Properties"]["Environment"]["Variables"]["REALTIME_ENDPOINT"] == expected, logical
    assert merge.check_packaged(packaged, app) == []


def test_only_the_frame_handler_and_the_worker_manage_connections(packaged: dict[str, Any]) -> None:  # noqa: F811
    api = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebsocketAPI}/api"
    wanted = [{"Fn::Sub": f"{api}/{method}/@connections/*"} for method in ("POST", "DELETE", "GET")]
    for logical in functions_of(packaged):
        granted = allowed(packaged, logical, "execute-api:ManageConnections")
        assert granted == (wanted if logical in ("WebsocketMessage", "FanOutRealtime") else []), logical
    # typing indicators: the frame handler sends to the realtime queue, and nowhere else
    assert allowed(packaged, "WebsocketMessage", "sqs:SendMessage") == [{"Fn::GetAtt": ["RealtimeQueue", "Arn"]}]
    for logical in ("WebsocketConnect", "WebsocketDisconnect"):
        assert allowed(packaged, logical, "sqs:SendMessage") == []
        assert {"Fn::GetAtt": ["AppTable", "Arn"]} in allowed(packaged, logical, "dynamodb:DeleteItem")
    assert allowed(packaged, "FanOutRealtime", "sqs:ReceiveMessage") == [{"Fn::GetAtt": ["RealtimeQueue", "Arn"]}]
