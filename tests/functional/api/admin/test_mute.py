"""Admin v2 channel and member mutes (form-encoded and JSON), and what they do to posting:
refused with E_CHANNEL_MUTED by the one posting check (services/messages._may_post) that v1
and every other surface's chat writes pass through; admins still post in a muted channel."""

from __future__ import annotations

import time

from tests.functional.api.admin.test_channels import create, error_of


def post(console, account, channel_id: str, text: str = "hello"):
    return console.api.post(f"/v1/channels/{channel_id}/messages", {"content": text}, token=account.access_token)


def channel_with_alice_and_bob(console) -> str:
    body = create(console, "lobby", userIds=[console.alice.user_id, console.bob.user_id])
    return body["channels"][0]["v1ChannelId"]


def test_a_muted_channel_lets_only_admins_post(console):
    channel_id = channel_with_alice_and_bob(console)
    muted = console.call("PUT", "/api/v2/channel/lobby/mute", {})  # mutePeriod -1 by default
    assert muted.status == 200, muted.body
    (channel,) = muted.body["channels"]
    assert channel["isMuted"] is True and channel["muteTimeout"].startswith("9999-")
    refused = post(console, console.alice, channel_id)
    assert (refused.status, refused.error["code"]) == (403, "E_CHANNEL_MUTED"), refused.body
    assert post(console, console.owner, channel_id).status == 201  # a workspace admin (owner) posts
    listed = console.call("POST", "/api/v2/channels", {"filter": "member"})
    assert {c["channelId"]: c["isMuted"] for c in listed.body["channels"]}["lobby"] is True

    unmuted = console.call("PUT", "/api/v2/channel/lobby/mute", {"mutePeriod": 0})
    assert unmuted.body["channels"][0]["isMuted"] is False and unmuted.body["channels"][0]["muteTimeout"] is None
    assert post(console, console.alice, channel_id).status == 201


def test_a_mute_period_ends_by_itself(console):
    channel_id = channel_with_alice_and_bob(console)
    timed = console.call("PUT", "/api/v2/channel/lobby/mute", {"mutePeriod": 60_000})
    assert timed.body["channels"][0]["isMuted"] is True
    assert timed.body["channels"][0]["muteTimeout"] > timed.body["channels"][0]["createdAt"]
    assert post(console, console.alice, channel_id).status == 403
    console.call("PUT", "/api/v2/channel/lobby/mute", {"mutePeriod": 1})
    time.sleep(0.01)
    assert post(console, console.alice, channel_id).status == 201


def test_muted_members_may_not_post_and_others_may(console):
    channel_id = channel_with_alice_and_bob(console)
    stranger = console.admin.user_id  # in the workspace, not in the channel: passed over
    muted = console.call("PUT", "/api/v2/channel/lobby/users/mute", {"userIds": [console.alice.user_id, stranger]})
    assert muted.status == 200, muted.body
    users = {u["userId"]: u for u in muted.body["channelUsers"]}
    assert users[console.alice.user_id]["isMuted"] is True and users[stranger]["membership"] == "none"
    refused = post(console, console.alice, channel_id)
    assert (refused.status, refused.error["code"]) == (403, "E_CHANNEL_MUTED")
    assert "muted in this channel" in refused.error["message"]
    assert post(console, console.bob, channel_id).status == 201
    again = {"userIds": [console.alice.user_id], "mutePeriod": 0}
    assert console.call("PUT", "/api/v2/channel/lobby/users/mute", again).body["channelUsers"][0]["isMuted"] is False
    assert post(console, console.alice, channel_id).status == 201


def test_mute_errors(console):
    channel_with_alice_and_bob(console)
    error_of(console.call("PUT", "/api/v2/channel/lobby/mute", {"mutePeriod": -2}), 400, "mutePeriod")
    error_of(console.call("PUT", "/api/v2/channel/lobby/mute", {"mutePeriod": "soon"}), 400, "mutePeriod")
    error_of(console.call("PUT", "/api/v2/channel/lobby/mute", {"mutePeriod": 10**13}), 400, "mutePeriod")
    error_of(console.call("PUT", "/api/v2/channel/ghost/mute", {}), 404)
    error_of(console.call("PUT", "/api/v2/channel/lobby/users/mute", {"mutePeriod": -1}), 400, "userIds")
    error_of(console.call("PUT", "/api/v2/channel/lobby/users/mute", {"userIds": ["x"]}), 400, "userIds[0]")
    wrong = error_of(console.call("POST", "/api/v2/channel/lobby/mute", {}), 405)
    assert wrong["type"] == "E_METHOD_NOT_ALLOWED"


def test_a_comments_thread_is_closed_not_muted(console):
    from chalicelib.store import channels as channel_store
    from tests.functional.api.disqus.calls import post as disqus_post

    made = disqus_post(
        console.api.client,
        "threads/create.json",
        {"forum": console.ws["slug"], "title": "T", "access_token": console.owner.access_token},
    )
    assert made.code == 0, made.text
    name = channel_store.get(str(made.response["id"])).name
    refused = error_of(console.call("PUT", f"/api/v2/channel/{name}/mute", {}), 400, "channelId")
    assert "closed" in refused["message"]


def test_a_create_replays_with_its_idempotency_key(console):
    key = {"Idempotency-Key": "create-lobby-1"}
    first = console.call("POST", "/api/v2/channel", {"channelId": "lobby"}, headers=key)
    again = console.call("POST", "/api/v2/channel", {"channelId": "lobby"}, headers=key)
    assert first.status == again.status == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.body == first.body
    other = console.call("POST", "/api/v2/channel", {"channelId": "hall"}, headers=key)
    assert error_of(other, 422)["type"] == "E_IDEMPOTENCY_MISMATCH"
