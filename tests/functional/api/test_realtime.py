"""Realtime over WebSockets, in-process (docs/realtime.md): tickets, $connect/$default/$disconnect
through the app's own handlers with API Gateway's proxy events, the fan-out through the stream,
the router, the realtime queue and its worker, posting to a Management API stand-in.

What must never happen is tested as such: an event for a channel the user cannot read now
(after leaving a private channel, after a global ban), a typing indicator echoed to its sender
or relayed twice within 3 s, a ticket used twice."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from chalicelib.auth import tokens
from chalicelib.config import get_settings
from chalicelib.store import keys
from chalicelib.store import realtime as realtime_store
from tests.helpers import create_workspace, join_workspace, register
from tests.realtime_standin import Client
from tests.realtime_support import Pump


@pytest.fixture
def room(realtime, api):
    """jane (owner) and bob in Acme, a connection each (bob's by ticket), the pump."""
    jane, bob = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, jane)
    join_workspace(ws, bob)
    pump = Pump()
    pump.run()
    return ws, jane, bob, pump


def _socket(api, realtime, account) -> Client:
    ticket = api.post("/v1/realtime/tickets", token=account.access_token)
    assert ticket.status == 201, ticket.body
    return realtime.connect({"ticket": ticket.data["ticket"]})


def _subscribe(socket: Client, **scope: str) -> None:
    [answer] = socket.ask({"type": "subscribe", **scope})
    assert answer["type"] == "subscribed" and scope.items() <= answer.items(), answer


def _post(api, account, channel_id: str, content: str) -> dict:
    answer = api.post(f"/v1/channels/{channel_id}/messages", {"content": content}, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data


def _events(socket: Client, kind: str | None = None) -> list[dict]:
    return [f for f in socket.take() if kind is None or f["type"] == kind]


# --- tickets and connecting ------------------------------------------------------------------------


def test_a_ticket_is_single_use_short_lived_and_stored_hashed(realtime, api):
    jane = register(api, "jane")
    answer = api.post("/v1/realtime/tickets", token=jane.access_token)
    assert answer.status == 201, answer.body
    ticket = answer.data["ticket"]
    assert ticket.startswith("dqw_") and answer.data["expiresIn"] == 60
    assert answer.data["url"] == realtime.endpoint.replace("http://", "ws://")
    items = boto3.client("dynamodb").scan(TableName=get_settings().table_name)["Items"]
    stored = [i for i in items if i["PK"]["S"].startswith("RTTICKET#")]
    assert [i["PK"]["S"] for i in stored] == [keys.realtime_ticket(tokens.sha256_hex(ticket))]
    assert ticket not in json.dumps(items)  # only its hash

    first = realtime.connect({"ticket": ticket})
    assert realtime.refusal({"ticket": ticket}) == 401  # used up
    assert first.ask({"type": "ping"}) == [{"type": "pong"}]


def test_connect_refuses_expired_unknown_and_missing_credentials(realtime, api):
    jane = register(api, "jane")
    realtime_store.put_ticket(tokens.sha256_hex("dqw_expired"), jane.user_id, {"user_id": jane.user_id}, -1)
    assert realtime.refusal({"ticket": "dqw_expired"}) == 401
    assert realtime.refusal({"ticket": "dqw_" + "x" * 43}) == 401
    assert realtime.refusal({"token": "dqt_not.a.jwt"}) == 401
    assert realtime.refusal() == 401
    realtime.connect({"token": jane.access_token})  # ?token= works too


def test_frames_are_validated_with_v1_codes(room, api, realtime):
    ws, jane, _, _ = room
    socket = _socket(api, realtime, jane)

    def error_of(frame):
        [answer] = socket.ask(frame)
        assert answer["type"] == "error", answer
        return answer["error"]

    assert error_of("not json")["code"] == "E_VALIDATION"
    assert error_of({"type": "shout"}) == {
        "code": "E_VALIDATION",
        "message": "type must be one of: subscribe, unsubscribe, typing, ping.",
        "field": "type",
    }
    assert error_of({"type": "subscribe"})["field"] == "channelId"
    assert error_of({"type": "subscribe", "workspaceId": ws["id"], "channelId": ws["generalChannelId"]})["field"]
    assert error_of({"type": "subscribe", "channelId": "nope"})["field"] == "channelId"
    assert error_of({"type": "ping", "extra": 1})["field"] == "extra"
    unknown = "0192f0c4-0000-7000-8000-000000000009"
    assert error_of({"type": "subscribe", "channelId": unknown})["code"] == "E_NOT_FOUND"
    assert error_of({"type": "subscribe", "workspaceId": unknown})["code"] == "E_NOT_FOUND"


def test_a_private_channel_you_may_not_read_is_not_found(room, api, realtime):
    ws, jane, bob, _ = room
    private = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "secret", "type": "private"}, token=jane.access_token
    ).data
    socket = _socket(api, realtime, bob)
    [answer] = socket.ask({"type": "subscribe", "channelId": private["id"]})
    assert answer["type"] == "error" and answer["error"]["code"] == "E_NOT_FOUND"
    [answer] = socket.ask({"type": "typing", "channelId": private["id"]})
    assert answer["error"]["code"] == "E_NOT_FOUND"


# --- fan-out ------------------------------------------------------------------------------------


def test_a_message_reaches_channel_and_workspace_subscribers_as_the_rest_object(room, api, realtime):
    ws, jane, bob, pump = room
    general = ws["generalChannelId"]
    jane_socket, bob_socket = _socket(api, realtime, jane), _socket(api, realtime, bob)
    [subscribed] = jane_socket.ask({"type": "subscribe", "channelId": general})
    assert subscribed == {"type": "subscribed", "workspaceId": ws["id"], "channelId": general}
    _subscribe(bob_socket, workspaceId=ws["id"])
    other = _socket(api, realtime, bob)  # bob's second tab, subscribed to nothing: gets nothing

    sent = _post(api, jane, general, "hello **bob**")
    pump.run()
    shown = api.get(f"/v1/messages/{sent['id']}", token=bob.access_token).data
    for socket in (jane_socket, bob_socket):
        [event] = _events(socket)
        assert event["type"] == "message.created"
        assert event["workspaceId"] == ws["id"] and event["channelId"] == general
        assert event["id"].startswith("evt_") and event["createdAt"]
        assert event["data"] == shown  # the REST object itself
    assert other.take() == []

    edited = api.patch(f"/v1/messages/{sent['id']}", {"content": "edited"}, token=jane.access_token)
    assert edited.status == 200, edited.body
    reacted = api.post(f"/v1/messages/{sent['id']}/reactions", {"emoji": "👍"}, token=bob.access_token)
    assert reacted.status in (200, 201), reacted.body
    pump.run()
    for socket in (jane_socket, bob_socket):
        assert [e["type"] for e in _events(socket)] == ["message.updated", "reaction.added"]

    assert api.delete(f"/v1/messages/{sent['id']}", token=jane.access_token).status == 204
    pump.run()
    [deleted] = _events(jane_socket)
    assert deleted["type"] == "message.deleted" and deleted["data"]["id"] == sent["id"]
    assert deleted["data"]["deleted"] is True


def test_reaction_events_carry_the_message_with_its_tally(room, api, realtime):
    ws, jane, bob, pump = room
    general = ws["generalChannelId"]
    jane_socket = _socket(api, realtime, jane)
    _subscribe(jane_socket, channelId=general)
    sent = _post(api, jane, general, "react to me")
    pump.run()
    jane_socket.take()
    api.post(f"/v1/messages/{sent['id']}/reactions", {"emoji": "🎉"}, token=bob.access_token)
    pump.run()
    [event] = _events(jane_socket)
    assert event["type"] == "reaction.added"
    assert event["data"]["reaction"] == {"emoji": "🎉", "userId": bob.user_id}
    assert event["data"]["reactions"] == [{"emoji": "🎉", "count": 1, "userIds": [bob.user_id]}]


def test_leaving_a_private_channel_stops_delivery_at_once(room, api, realtime):
    ws, jane, bob, pump = room
    private = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "secret", "type": "private"}, token=jane.access_token
    ).data
    added = api.post(f"/v1/channels/{private['id']}/members", {"userIds": [bob.user_id]}, token=jane.access_token)
    assert added.status == 200, added.body
    by_channel, by_workspace = _socket(api, realtime, bob), _socket(api, realtime, bob)
    assert by_channel.ask({"type": "subscribe", "channelId": private["id"]})[0]["type"] == "subscribed"
    _subscribe(by_workspace, workspaceId=ws["id"])
    pump.run()
    by_channel.take(), by_workspace.take()

    _post(api, jane, private["id"], "for members")
    pump.run()
    assert [e["type"] for e in _events(by_channel)] == ["message.created"]
    assert [e["type"] for e in _events(by_workspace)] == ["message.created"]

    assert api.post(f"/v1/channels/{private['id']}/leave", token=bob.access_token).status == 204
    _post(api, jane, private["id"], "members only now")  # sent before any event about the leave ran
    pump.run()
    assert by_channel.take() == [] and by_workspace.take() == []
    # ...while #general still reaches bob through his workspace subscription
    _post(api, jane, ws["generalChannelId"], "public")
    pump.run()
    assert [e["type"] for e in _events(by_workspace)] == ["message.created"]


def test_a_global_ban_stops_delivery_at_once_and_keeps_the_user_from_subscribing(room, api, realtime):
    ws, jane, bob, pump = room
    general = ws["generalChannelId"]
    by_channel, by_workspace = _socket(api, realtime, bob), _socket(api, realtime, bob)
    _subscribe(by_channel, channelId=general)
    _subscribe(by_workspace, workspaceId=ws["id"])
    admin_token = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "console", "scopes": ["admin"]}, token=jane.access_token
    ).data["token"]

    answer = api.post("/api/v2/users/ban", {"userId": bob.user_id}, token=admin_token)
    assert answer.status == 200, answer.body
    _post(api, jane, general, "after the ban")
    pump.run()
    assert by_channel.take() == [] and by_workspace.take() == []
    [refused] = by_workspace.ask({"type": "subscribe", "workspaceId": ws["id"]})
    assert refused["error"]["code"] == "E_USER_BANNED"
    [refused] = by_channel.ask({"type": "subscribe", "channelId": general})
    assert refused["error"]["code"] == "E_USER_BANNED"


def test_typing_is_relayed_to_others_once_per_3_seconds_and_never_stored(room, api, realtime, monkeypatch):
    ws, jane, bob, pump = room
    general = ws["generalChannelId"]
    jane_socket, bob_socket = _socket(api, realtime, jane), _socket(api, realtime, bob)
    _subscribe(jane_socket, channelId=general)
    _subscribe(bob_socket, channelId=general)
    messages_before = api.get(f"/v1/channels/{general}/messages", token=jane.access_token).data

    assert bob_socket.ask({"type": "typing", "channelId": general}) == []
    assert bob_socket.ask({"type": "typing", "channelId": general}) == []  # within 3 s: dropped
    assert pump.run() == 1
    assert _events(jane_socket) == [{"type": "typing", "channelId": general, "userId": bob.user_id}]
    assert bob_socket.take() == []  # not echoed

    later = time.time() + 3.1
    monkeypatch.setattr(realtime_store.time, "time", lambda: later)
    assert bob_socket.ask({"type": "typing", "channelId": general}) == []
    assert pump.run() == 1
    assert [e["type"] for e in _events(jane_socket)] == ["typing"]
    assert api.get(f"/v1/channels/{general}/messages", token=jane.access_token).data == messages_before


def test_a_dead_connection_is_pruned_on_410(room, api, realtime):
    ws, jane, bob, pump = room
    general = ws["generalChannelId"]
    dead = _socket(api, realtime, bob)
    _subscribe(dead, channelId=general)
    dead.drop()  # the client vanished; API Gateway answers 410 from now on
    _post(api, jane, general, "anyone there?")
    pump.run()
    assert realtime_store.get_connection(dead.id) is None
    subscribers, _ = realtime_store.subscribers(keys.realtime_channel(general))
    assert dead.id not in {s.connection_id for s in subscribers}


def test_disconnect_deletes_the_connection_and_its_subscriptions(room, api, realtime):
    ws, _, bob, _ = room
    socket = _socket(api, realtime, bob)
    _subscribe(socket, channelId=ws["generalChannelId"])
    _subscribe(socket, workspaceId=ws["id"])
    socket.close()
    assert realtime_store.get_connection(socket.id) is None
    for scope in (keys.realtime_channel(ws["generalChannelId"]), keys.realtime_workspace(ws["id"])):
        assert realtime_store.subscribers(scope)[0] == []


def test_unsubscribe_stops_delivery(room, api, realtime):
    ws, jane, bob, pump = room
    general = ws["generalChannelId"]
    socket = _socket(api, realtime, bob)
    _subscribe(socket, channelId=general)
    answer = socket.ask({"type": "unsubscribe", "channelId": general})
    assert answer == [{"type": "unsubscribed", "workspaceId": ws["id"], "channelId": general}]
    _post(api, jane, general, "quiet")
    pump.run()
    assert socket.take() == []


def test_channel_member_events_carry_the_rest_member(room, api, realtime):
    ws, jane, bob, pump = room
    channel = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "ops"}, token=jane.access_token).data
    socket = _socket(api, realtime, jane)
    _subscribe(socket, channelId=channel["id"])
    assert api.post(f"/v1/channels/{channel['id']}/join", token=bob.access_token).status == 200
    pump.run()
    [joined] = _events(socket, "member.joined")
    listed = api.get(f"/v1/channels/{channel['id']}/members", token=jane.access_token).data
    assert joined["data"] == next(m for m in listed if m["userId"] == bob.user_id)
    assert api.post(f"/v1/channels/{channel['id']}/leave", token=bob.access_token).status == 204
    pump.run()
    [left] = _events(socket, "member.left")
    assert left["data"]["userId"] == bob.user_id


def test_a_notification_reaches_its_user_only(room, api, realtime):
    ws, jane, bob, pump = room
    general = ws["generalChannelId"]
    jane_socket, bob_socket = _socket(api, realtime, jane), _socket(api, realtime, bob)
    _subscribe(jane_socket, workspaceId=ws["id"])
    _subscribe(bob_socket, channelId=general)
    _post(api, jane, general, "hi @bob")
    pump.run(also=("notifications",))
    [note] = _events(bob_socket, "notification.created")
    listed = api.get("/v1/notifications", token=bob.access_token).data
    assert note["data"] == listed[0] and note["data"]["read"] is False
    assert note["workspaceId"] == ws["id"] and note["channelId"] == general
    assert _events(jane_socket, "notification.created") == []


def test_removal_from_the_workspace_stops_delivery_at_once(room, api, realtime):
    ws, jane, bob, pump = room
    socket = _socket(api, realtime, bob)
    _subscribe(socket, workspaceId=ws["id"])
    _subscribe(socket, channelId=ws["generalChannelId"])
    removed = api.delete(f"/v1/workspaces/{ws['id']}/members/{bob.user_id}", token=jane.access_token)
    assert removed.status == 204, removed.body
    _post(api, jane, ws["generalChannelId"], "bob is gone")
    pump.run()
    assert socket.take() == []
    [refused] = socket.ask({"type": "subscribe", "workspaceId": ws["id"]})
    assert refused["error"]["code"] == "E_NOT_FOUND"


def test_a_thread_reply_and_its_reaction_reach_the_channel_as_the_rest_object(room, api, realtime):
    ws, jane, bob, pump = room
    general = ws["generalChannelId"]
    socket = _socket(api, realtime, jane)
    _subscribe(socket, channelId=general)
    parent = _post(api, jane, general, "a thread")
    reply = api.post(
        f"/v1/channels/{general}/messages", {"content": "a reply", "threadId": parent["id"]}, token=bob.access_token
    )
    assert reply.status == 201, reply.body
    pump.run()
    created = _events(socket, "message.created")
    assert [e["data"]["id"] for e in created] == [parent["id"], reply.data["id"]]
    assert created[1]["data"] == api.get(f"/v1/messages/{reply.data['id']}", token=jane.access_token).data
    assert created[1]["data"]["threadId"] == parent["id"]

    reacted = api.post(f"/v1/messages/{reply.data['id']}/reactions", {"emoji": "👀"}, token=jane.access_token)
    assert reacted.status in (200, 201), reacted.body
    pump.run()
    [event] = _events(socket, "reaction.added")
    assert event["data"]["id"] == reply.data["id"] and event["data"]["threadId"] == parent["id"]
    assert event["data"]["reactions"] == [{"emoji": "👀", "count": 1, "userIds": [jane.user_id]}]
