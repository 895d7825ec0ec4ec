"""The WebSocket frame parser (chalicelib/api/realtime/websocket.py) and the principal a
connection stores (services/realtime.py): bad frames are E_VALIDATION naming the field."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib.api.realtime.websocket import MAX_FRAME_BYTES, parse_frame
from chalicelib.auth.principal import Principal
from chalicelib.errors import ValidationError
from chalicelib.services import realtime

CHANNEL = "0192f0c4-0000-7000-8000-000000000002"


def frame(body, **extra):
    return {"requestContext": {"connectionId": "c1="}, "body": body, **extra}


def test_good_frames_parse():
    assert parse_frame(frame(json.dumps({"type": "ping"}))) == {"type": "ping"}
    assert parse_frame(frame(json.dumps({"type": "typing", "channelId": CHANNEL}))) == {
        "type": "typing",
        "channelId": CHANNEL,
    }
    raw = base64.b64encode(json.dumps({"type": "subscribe", "workspaceId": CHANNEL}).encode()).decode()
    assert parse_frame(frame(raw, isBase64Encoded=True))["workspaceId"] == CHANNEL


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{", "body"),
        ("[1]", "body"),
        (json.dumps({"type": "subscribe"}), "channelId"),
        (json.dumps({"type": "subscribe", "channelId": CHANNEL, "workspaceId": CHANNEL}), "channelId"),
        (json.dumps({"type": "typing"}), "channelId"),
        (json.dumps({"type": "typing", "channelId": CHANNEL, "workspaceId": CHANNEL}), "workspaceId"),
        (json.dumps({"type": "ping", "channelId": CHANNEL}), "channelId"),
        (json.dumps({"type": "subscribe", "channelId": "x"}), "channelId"),
        (json.dumps({"type": "dance"}), "type"),
        (json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_BYTES}), "body"),
        (b"\xff\xfe".decode("latin-1"), "body"),
    ],
)
def test_bad_frames_name_the_field(body, field):
    with pytest.raises(ValidationError) as refused:
        parse_frame(frame(body))
    assert refused.value.field == field


def test_a_connection_keeps_the_whole_principal():
    principal = Principal(
        user_id="u", kind="api_token", scopes=frozenset({"messages:read"}), workspace_id="w", token_id="t", is_bot=True
    )
    record = realtime._principal_record(principal)
    assert json.loads(json.dumps(record)) == record  # stored as JSON
    assert realtime._principal_from(record) == principal
    session = Principal(user_id="u", kind="session", session_id="s")
    assert realtime._principal_from(realtime._principal_record(session)) == session


def test_the_websocket_url_follows_the_management_endpoint(monkeypatch):
    from chalicelib import config

    for endpoint, url in (
        ("https://abc.execute-api.us-east-1.amazonaws.com/api", "wss://abc.execute-api.us-east-1.amazonaws.com/api"),
        ("http://127.0.0.1:8001", "ws://127.0.0.1:8001"),
        ("", None),
    ):
        monkeypatch.setenv("REALTIME_ENDPOINT", endpoint)
        config.reset()
        assert realtime.websocket_url() == url
    config.reset()
