"""A small Chalice app with WebSocket handlers, for testing the local gateway alone.

$connect accepts ``?token=ok`` (403 otherwise, 500 for ``?token=boom``); a message is
posted back through the Management API with the unchanged boto3 client (``echo:`` +
text), ``delete`` deletes the connection, ``info`` posts GetConnection's answer and
``boom`` raises; every event reaches ``events``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from chalice import Chalice
from chalice.app import WebsocketEvent

app = Chalice(app_name="realtime-echo")
app.experimental_feature_flags.update(["WEBSOCKETS"])
events: list[dict[str, Any]] = []


def management() -> Any:
    return boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["REALTIME_ENDPOINT"])


@app.on_ws_connect()
def connect(event: WebsocketEvent) -> dict[str, Any] | None:
    events.append(event.to_dict())
    token = (event.to_dict().get("queryStringParameters") or {}).get("token")
    if token == "boom":
        raise RuntimeError("boom")
    if token != "ok":
        return {"statusCode": 403}
    return None


@app.on_ws_message()
def message(event: WebsocketEvent) -> None:
    events.append(event.to_dict())
    client = management()
    if event.body == "boom":
        raise RuntimeError("boom")
    if event.body == "delete":
        client.delete_connection(ConnectionId=event.connection_id)
    elif event.body == "info":
        info = client.get_connection(ConnectionId=event.connection_id)
        answer = {"sourceIp": info["Identity"]["SourceIp"], "connectedAt": info["ConnectedAt"].isoformat()}
        client.post_to_connection(ConnectionId=event.connection_id, Data=json.dumps(answer).encode())
    else:
        client.post_to_connection(ConnectionId=event.connection_id, Data=f"echo:{event.body}".encode())


@app.on_ws_disconnect()
def disconnect(event: WebsocketEvent) -> None:
    events.append(event.to_dict())
