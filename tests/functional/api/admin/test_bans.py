"""Admin v2 channel bans (form-encoded and JSON): a banned member is removed at once
(``member.removed``), may not rejoin (v1 join), be re-added (v1 add members, Admin v2 add users)
until unbanned, and shows ``membership: banned``; unban lets them back in (nobody is re-added)."""

from __future__ import annotations

from chalicelib.store import channel_bans
from chalicelib.store import channels as channel_store
from chalicelib.store.models import ChannelBan, Event
from tests.functional.api.admin.test_channels import create, error_of

BAN, UNBAN = "/api/v2/channel/lobby/users/ban", "/api/v2/channel/lobby/users/unban"


def lobby(console) -> str:
    body = create(console, "lobby", userIds=[console.alice.user_id, console.bob.user_id])
    return body["channels"][0]["v1ChannelId"]


def users_of(reply) -> dict[str, dict]:
    assert reply.status == 200, reply.body
    return {u["userId"]: u for u in reply.body["channelUsers"]}


def member_ids(channel_id: str) -> set[str]:
    return {m.user_id for m in channel_store.list_members(channel_id, limit=100, position=None).items}


def removed_events(channel_id: str) -> list[dict]:
    return [e.data for e in Event.scan(Event.event_type == "member.removed") if e.data.get("channelId") == channel_id]


def test_a_ban_kicks_at_once_and_keeps_out_until_unbanned(console):
    channel_id = lobby(console)
    alice = console.alice
    banned = console.call("POST", BAN, {"userIds": [alice.user_id]})
    user = users_of(banned)[alice.user_id]
    assert (user["membership"], user["isBanned"], user["channelId"]) == ("banned", True, "lobby")
    assert banned.body["channels"][0]["memberCount"] == 2  # the owner and bob
    assert alice.user_id not in member_ids(channel_id)
    assert channel_store.get(channel_id).member_count == 2
    assert removed_events(channel_id) == [
        {
            "workspaceId": console.ws["id"],
            "channelId": channel_id,
            "userId": alice.user_id,
            "removedBy": console.owner.user_id,
        }
    ]

    # v1: no rejoining, no re-adding; Admin v2: no re-adding.
    join = console.api.post(f"/v1/channels/{channel_id}/join", {}, token=alice.access_token)
    assert (join.status, join.error["code"]) == (403, "E_CHANNEL_BANNED"), join.body
    readd = console.api.post(
        f"/v1/channels/{channel_id}/members", {"userIds": [alice.user_id]}, token=console.bob.access_token
    )
    assert (readd.status, readd.error["code"], readd.error.get("field")) == (403, "E_CHANNEL_BANNED", "userIds[0]")
    both = [console.admin.user_id, alice.user_id]
    again = error_of(console.call("POST", "/api/v2/channel/lobby/users", {"userIds": both}), 403, "userIds[1]")
    assert again["type"] == "E_CHANNEL_BANNED"
    assert member_ids(channel_id) == {console.owner.user_id, console.bob.user_id}  # nobody added: all or none
    listed = users_of(console.call("DELETE", "/api/v2/channel/lobby/users", {"userIds": [alice.user_id]}))
    assert listed[alice.user_id]["membership"] == "banned"  # other routes show the ban too
    refused = console.api.post(f"/v1/channels/{channel_id}/messages", {"content": "hi"}, token=alice.access_token)
    assert refused.status == 403, refused.body  # not a member: no posting

    unbanned = users_of(console.call("POST", UNBAN, {"userIds": [alice.user_id]}))
    assert (unbanned[alice.user_id]["membership"], unbanned[alice.user_id]["isBanned"]) == ("none", False)
    assert alice.user_id not in member_ids(channel_id)  # unbanning adds nobody back
    rejoined = console.api.post(f"/v1/channels/{channel_id}/join", {}, token=alice.access_token)
    assert rejoined.status == 200 and rejoined.data == {"joined": True}, rejoined.body
    assert channel_store.get(channel_id).member_count == 3


def test_a_user_not_in_the_channel_can_be_banned_before_joining(console):
    channel_id = lobby(console)
    stranger = console.admin  # in the workspace, not in the channel
    user = users_of(console.call("POST", BAN, {"userIds": [stranger.user_id]}))[stranger.user_id]
    assert user["membership"] == "banned"
    assert removed_events(channel_id) == []  # nobody was removed
    join = console.api.post(f"/v1/channels/{channel_id}/join", {}, token=stranger.access_token)
    assert (join.status, join.error["code"]) == (403, "E_CHANNEL_BANNED")
    # Banning twice and unbanning someone not banned are no-ops.
    assert users_of(console.call("POST", BAN, {"userIds": [stranger.user_id]}))[stranger.user_id]["isBanned"]
    bob = users_of(console.call("POST", UNBAN, {"userIds": [console.bob.user_id]}))[console.bob.user_id]
    assert (bob["membership"], bob["isBanned"]) == ("member", False)
    ban = ChannelBan.get(*channel_bans.ban_key(channel_id, stranger.user_id))
    assert (ban.banned_by, ban.workspace_id) == (console.owner.user_id, console.ws["id"])


def test_a_ban_written_while_the_member_leaves_still_holds(console, monkeypatch):
    channel_id = lobby(console)
    real = channel_bans.ban_member

    def leaves_first(channel, ban, events):  # the member leaves between the read and the ban
        left = console.api.post(f"/v1/channels/{channel_id}/leave", {}, token=console.alice.access_token)
        assert left.status in (200, 204), left.body
        return real(channel, ban, events)

    monkeypatch.setattr(channel_bans, "ban_member", leaves_first)
    user = users_of(console.call("POST", BAN, {"userIds": [console.alice.user_id]}))[console.alice.user_id]
    assert user["membership"] == "banned" and channel_store.get(channel_id).member_count == 2
    assert removed_events(channel_id) == []  # the leave was the only removal


def test_ban_errors(console):
    lobby(console)
    error_of(console.call("POST", BAN, {}), 400, "userIds")
    error_of(console.call("POST", BAN, {"userIds": ["nobody-here"]}), 400, "userIds[0]")
    error_of(console.call("POST", "/api/v2/channel/ghost/users/ban", {"userIds": [console.alice.user_id]}), 404)
    error_of(console.call("PUT", BAN, {"userIds": [console.alice.user_id]}), 405)
    general = error_of(
        console.call("POST", "/api/v2/channel/general/users/ban", {"userIds": [console.bob.user_id]}), 403
    )
    assert "#general" in general["message"]
    plain = console.mint(console.owner, ["channels:read", "channels:write"])
    error_of(console.call("POST", BAN, {"userIds": [console.alice.user_id]}, token=plain), 403)
    error_of(console.call("POST", UNBAN, {"userIds": [console.alice.user_id]}, token=console.alice.access_token), 401)


def test_a_comments_thread_bans_nobody(console):
    from tests.functional.api.disqus.calls import post as disqus_post

    made = disqus_post(
        console.api.client,
        "threads/create.json",
        {"forum": console.ws["slug"], "title": "T", "access_token": console.owner.access_token},
    )
    name = channel_store.get(str(made.response["id"])).name
    path = f"/api/v2/channel/{name}/users/ban"
    error_of(console.call("POST", path, {"userIds": [console.alice.user_id]}), 400, "channelId")


def test_a_join_costs_no_extra_call(console):
    """The ban keys ride in the BatchGetItems that join and add already make."""
    from chalicelib.services import channels as channel_service
    from tests.functional.services.test_moderation import recorded, session

    channel_id = lobby(console)
    console.call("POST", BAN, {"userIds": [console.admin.user_id]})
    channel_service.leave(session(console.bob), channel_id)
    joined, calls = recorded(lambda: channel_service.join(session(console.bob), channel_id))
    assert joined is True and calls == ["GetItem", "BatchGetItem", "TransactWriteItems"], calls
    channel_service.leave(session(console.bob), channel_id)
    added, calls = recorded(
        lambda: channel_service.add_members(session(console.alice), channel_id, [console.bob.user_id])
    )
    assert added == [console.bob.user_id]
    assert calls == ["GetItem", "BatchGetItem", "BatchGetItem", "TransactWriteItems"], calls


def test_ban_and_unban_route_calls(console):
    """The figures in docs/admin-v2.md and docs/access-patterns.md (the handler's calls)."""
    from bench.recorder import Recorder

    lobby(console)
    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as banned:
            console.call("POST", BAN, {"userIds": [console.alice.user_id, console.admin.user_id]})
        with recorder.recording() as unbanned:
            console.call("POST", UNBAN, {"userIds": [console.alice.user_id, console.admin.user_id]})
    finally:
        recorder.uninstall()
    banned_ops = [c.operation for c in banned if c.phase == "handler"]
    # find (claim, channel, memberships); the service's access (channel, memberships); the users'
    # workspace memberships; their channel memberships; alice (a member): one transaction (ban,
    # removal, count, member.removed and member.banned); the admin (not in): one transaction (ban
    # and member.banned); the channel again (2); the bundle's memberships and bans (one
    # BatchGetItem) and profiles.
    assert banned_ops == [
        "BatchGetItem",
        "GetItem",
        "BatchGetItem",
        "GetItem",
        "BatchGetItem",
        "BatchGetItem",
        "BatchGetItem",
        "TransactWriteItems",
        "TransactWriteItems",
        "GetItem",
        "BatchGetItem",
        "BatchGetItem",
        "BatchGetItem",
    ], banned_ops
    unbanned_ops = [c.operation for c in unbanned if c.phase == "handler"]
    # find (3); the service's access (2); per user one transaction (the ban's delete and
    # member.unbanned); the bundle (2).
    assert unbanned_ops == [
        "BatchGetItem",
        "GetItem",
        "BatchGetItem",
        "GetItem",
        "BatchGetItem",
        "TransactWriteItems",
        "TransactWriteItems",
        "BatchGetItem",
        "BatchGetItem",
    ], unbanned_ops


def test_channel_bans_and_unbans_raise_their_events(console):
    """member.banned (with channelId) for each user banned, with member.removed for a member in
    the same transaction; member.unbanned only for users who were banned."""
    from chalicelib.store.models import Event

    channel_id = lobby(console)
    alice, admin = console.alice.user_id, console.admin.user_id  # alice is in lobby, the admin is not
    console.call("POST", BAN, {"userIds": [alice, admin]})

    def of(event_type: str) -> dict[str, dict]:
        return {e.data["userId"]: e.data for e in Event.scan(Event.event_type == event_type)}

    banned = of("member.banned")
    assert set(banned) == {alice, admin}
    assert banned[alice]["channelId"] == channel_id and banned[alice]["bannedBy"] == console.owner.user_id
    assert set(of("member.removed")) == {alice}
    console.call("POST", UNBAN, {"userIds": [alice, console.bob.user_id]})  # bob was never banned
    unbanned = of("member.unbanned")
    assert set(unbanned) == {alice} and unbanned[alice]["channelId"] == channel_id
