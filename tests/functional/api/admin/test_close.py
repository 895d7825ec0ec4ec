"""Admin v2 channel close (form-encoded and JSON): irreversible, everyone removed at once.

What each test proves:
- a close answers the channel with closedAt/closedBy and the job's progress record; from then
  on v1 (read, post, join, details, members, pins, a message by id
  and its reactions) and Admin v2 (display name, add users, message
  query and get, a second mute) answer 410 E_CHANNEL_CLOSED; a second close is idempotent (same
  closedAt); the channel.didClose event was committed with it; v1's channel list and Admin
  v2's query leave it out;
- #general cannot be closed (403), an unknown channel is 404, a comments thread 400 (channelId).
"""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.services import comment_threads
from chalicelib.store.models import Event
from tests.functional.api.admin.test_channels import create, error_of


def _closed(reply) -> None:
    assert reply.status == 410, reply.body
    body = reply.body
    code = body.get("error", {}).get("code") if isinstance(body.get("error"), dict) else None
    assert "E_CHANNEL_CLOSED" in (code, body.get("type"), body.get("code"), str(body)), body


def test_a_closed_channel_answers_closed_on_every_surface(console):
    made = create(console, "lobby", userIds=[console.alice.user_id, console.bob.user_id])
    channel_id = made["channels"][0]["v1ChannelId"]
    alice = console.alice.access_token
    sent = console.api.post(f"/v1/channels/{channel_id}/messages", {"content": "hi"}, token=alice)
    assert sent.status == 201, sent.body

    listed = console.api.get(f"/v1/workspaces/{console.ws['id']}/channels", token=console.owner.access_token)
    assert "lobby" in [c["name"] for c in listed.data]  # listed until closed
    closed = console.call("POST", "/api/v2/channel/lobby/close", {})
    assert closed.status == 200, closed.body
    (channel,) = closed.body["channels"]
    assert channel["channelId"] == "lobby" and channel["closedBy"] == console.owner.user_id
    assert channel["closedAt"] and channel["close"]["done"] is False and channel["close"]["messagesDeleted"] == 0
    events = [e for e in Event.scan() if e.event_type == "channel.didClose"]
    assert [(e.data["channelId"], e.data["closedBy"]) for e in events] == [(channel_id, console.owner.user_id)]

    for account in (console.alice, console.bob, console.admin):
        token = account.access_token
        _closed(console.api.post(f"/v1/channels/{channel_id}/messages", {"content": "x"}, token=token))
        _closed(console.api.get(f"/v1/channels/{channel_id}/messages", token=token))
        _closed(console.api.get(f"/v1/channels/{channel_id}", token=token))
        _closed(console.api.get(f"/v1/channels/{channel_id}/members", token=token))
        _closed(console.api.get(f"/v1/channels/{channel_id}/pins", token=token))
    _closed(console.api.post(f"/v1/channels/{channel_id}/join", {}, token=console.admin.access_token))
    message = f"/v1/messages/{sent.data['id']}"
    _closed(console.api.get(message, token=alice))  # by id too (the channel is in the same batch)
    _closed(console.api.post(f"{message}/reactions", {"emoji": ":tada:"}, token=alice))
    error_of(console.call("GET", f"/api/v2/message/{sent.data['id']}"), 410)

    renamed = console.call("POST", "/api/v2/channel/displayName", {"channelId": "lobby", "displayName": "Again"})
    assert error_of(renamed, 410)["type"] == "E_CHANNEL_CLOSED" or "closed" in renamed.body["message"]
    error_of(console.call("POST", "/api/v2/channel/lobby/users", {"userIds": [console.admin.user_id]}), 410)
    error_of(console.call("PUT", "/api/v2/channel/lobby/mute", {}), 410)
    error_of(console.call("POST", "/api/v2/messages", {"channelId": "lobby"}), 410)

    listed = console.api.get(f"/v1/workspaces/{console.ws['id']}/channels", token=console.owner.access_token)
    assert listed.status == 200 and "lobby" not in [c["name"] for c in listed.data]
    queried = console.call("POST", "/api/v2/channels", {"filter": "all"})
    assert queried.status == 200 and "lobby" not in [c["channelId"] for c in queried.body["channels"]]

    again = console.call("POST", "/api/v2/channel/lobby/close", {})
    assert again.status == 200, again.body
    assert again.body["channels"][0]["closedAt"] == channel["closedAt"]
    assert again.body["channels"][0]["closedBy"] == console.owner.user_id


def test_general_unknown_channels_and_members_are_refused(console):
    general = error_of(console.call("POST", "/api/v2/channel/general/close", {}), 403)
    assert "#general" in general["message"]
    error_of(console.call("POST", "/api/v2/channel/nowhere/close", {}), 404)
    create(console, "lobby")
    # nothing closed by those: the channel still answers
    still = console.call("POST", "/api/v2/channel/displayName", {"channelId": "lobby", "displayName": "Open"})
    assert still.status == 200, still.body


def test_a_comments_thread_is_refused(console):
    me = Principal(user_id=console.owner.user_id, kind="session")
    thread = comment_threads.create(me, console.ws["slug"], title="Comments").thread
    refused = error_of(console.call("POST", f"/api/v2/channel/{thread.name}/close", {}), 400, "channelId")
    assert "comments thread" in refused["message"]
