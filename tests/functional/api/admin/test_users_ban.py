"""Admin v2 global ban / unban (form-encoded and JSON): a ban takes effect at once on every
surface (v1 reads and writes, Disqus, Admin v2 for the banned user's own tokens) with one
error, E_USER_BANNED (403; Disqus code 22); an invite cannot bring them back; unban lifts it."""

from __future__ import annotations

from tests.functional.api.admin.test_channels import create, error_of
from tests.functional.api.disqus.calls import get as disqus_get
from tests.functional.api.disqus.calls import post as disqus_post


def banned(answer) -> None:
    assert (answer.status, answer.error["code"]) == (403, "E_USER_BANNED"), answer.body


def ban(console, *accounts, route: str = "ban"):
    ids = [a.user_id for a in accounts]
    body = {"userId": ids[0]} if len(ids) == 1 else {"userIds": ids}
    reply = console.call("POST", f"/api/v2/users/{route}", body)
    assert reply.status == 200, reply.body
    return {u["userId"]: u for u in reply.body["users"]}


def test_a_ban_refuses_every_v1_read_and_write_until_unbanned(console):
    channel_id = create(console, "lobby", userIds=[console.alice.user_id])["channels"][0]["v1ChannelId"]
    api, alice, wid = console.api, console.alice, console.ws["id"]
    own = api.post(f"/v1/channels/{channel_id}/messages", {"content": "mine"}, token=alice.access_token)
    assert own.status == 201, own.body
    token = console.mint(console.owner, ["admin"])
    alice_token = api.post(
        f"/v1/workspaces/{wid}/tokens", {"name": "t", "scopes": ["messages:write"]}, token=alice.access_token
    )
    assert alice_token.status == 201, alice_token.body

    users = ban(console, alice)
    assert users[alice.user_id]["isGlobalBan"] is True and users[alice.user_id]["bannedAt"]
    banned(api.post(f"/v1/channels/{channel_id}/messages", {"content": "after"}, token=alice.access_token))
    banned(api.post(f"/v1/channels/{channel_id}/messages", {"content": "t"}, token=alice_token.data["token"]))
    banned(api.get(f"/v1/channels/{channel_id}/messages", token=alice.access_token))
    banned(api.get(f"/v1/messages/{own.data['id']}", token=alice.access_token))
    banned(api.get(f"/v1/workspaces/{wid}", token=alice.access_token))
    banned(api.get(f"/v1/workspaces/{wid}/channels", token=alice.access_token))
    banned(api.get(f"/v1/channels/{channel_id}", token=alice.access_token))
    banned(api.get(f"/v1/workspaces/{wid}/threads", token=alice.access_token))
    banned(api.post(f"/v1/channels/{channel_id}/join", token=alice.access_token))
    general = console.ws["generalChannelId"]  # a channel she is in through the workspace
    banned(api.post(f"/v1/channels/{general}/messages", {"content": "x"}, token=alice.access_token))
    left = api.delete(f"/v1/workspaces/{wid}/members/{alice.user_id}", token=alice.access_token)
    banned(left)  # leaving would lift the ban: refused too
    removed = api.delete(f"/v1/workspaces/{wid}/members/{alice.user_id}", token=console.owner.access_token)
    assert (removed.status, removed.error["code"]) == (409, "E_CONFLICT")
    # Others are unaffected; the ban shows in the users query.
    assert api.post(f"/v1/channels/{general}/messages", {"content": "hi"}, token=console.bob.access_token).status == 201
    listed = console.call("GET", "/api/v2/users", {"search": "alice"}, token=token)
    assert listed.body["users"][0]["isGlobalBan"] is True

    users = ban(console, alice, route="unban")
    assert users[alice.user_id]["isGlobalBan"] is False and users[alice.user_id]["bannedAt"] is None
    again = api.post(f"/v1/channels/{channel_id}/messages", {"content": "back"}, token=alice.access_token)
    assert again.status == 201, again.body
    assert api.get(f"/v1/workspaces/{wid}", token=alice.access_token).status == 200


def test_a_banned_user_added_to_a_channel_still_cannot_read_or_post_there(console):
    ban(console, console.bob)
    added = console.call("POST", "/api/v2/channel", {"channelId": "hall", "userIds": [console.bob.user_id]})
    assert added.status == 200, added.body
    channel_id = added.body["channels"][0]["v1ChannelId"]
    api = console.api
    banned(api.post(f"/v1/channels/{channel_id}/messages", {"content": "hi"}, token=console.bob.access_token))
    banned(api.get(f"/v1/channels/{channel_id}/messages", token=console.bob.access_token))
    ban(console, console.bob, route="unban")  # the unban finds this channel's copy too
    posted = api.post(f"/v1/channels/{channel_id}/messages", {"content": "hi"}, token=console.bob.access_token)
    assert posted.status == 201, posted.body


def test_a_banned_user_cannot_come_back_by_invite(console):
    api = console.api
    ban(console, console.bob)
    invite = api.post(f"/v1/workspaces/{console.ws['id']}/invites", {}, token=console.owner.access_token)
    assert invite.status == 201, invite.body
    banned(api.post(f"/v1/invites/{invite.data['code']}/accept", token=console.bob.access_token))
    ban(console, console.bob, route="unban")
    accepted = api.post(f"/v1/invites/{invite.data['code']}/accept", token=console.bob.access_token)
    assert (accepted.status, accepted.error["code"]) == (409, "E_CONFLICT")  # a member again, as before


def test_a_banned_users_admin_token_is_refused_on_admin_v2(console):
    token = console.mint(console.admin, ["admin"])
    assert console.call("GET", "/api/v2/users", token=token).status == 200
    ban(console, console.admin)  # the owner bans an admin
    refused = error_of(console.call("GET", "/api/v2/users", token=token), 403)
    assert refused["type"] == "E_USER_BANNED"
    error_of(console.call("POST", "/api/v2/channels", {}, token=token), 403)
    ban(console, console.admin, route="unban")
    assert console.call("GET", "/api/v2/users", token=token).status == 200


def test_a_ban_refuses_disqus_reads_and_posts_with_code_22(console):
    client, alice = console.api.client, console.alice
    thread = disqus_post(
        client,
        "threads/create.json",
        {"forum": console.ws["slug"], "title": "T", "access_token": console.owner.access_token},
    )
    assert thread.code == 0, thread.text
    form = {"thread": thread.response["id"], "message": "hello", "access_token": alice.access_token}
    assert disqus_post(client, "posts/create.json", form).code == 0
    ban(console, alice)
    refused = disqus_post(client, "posts/create.json", form)
    assert refused.code == 22 and "banned" in refused.response, refused.text  # Forbidden's code
    listing = disqus_get(
        client, "threads/listPosts.json", {"thread": thread.response["id"], "access_token": alice.access_token}
    )
    assert listing.code == 22, listing.text
    ban(console, alice, route="unban")
    assert disqus_post(client, "posts/create.json", form).code == 0


def test_who_may_ban_whom(console):
    admin_token = console.mint(console.admin, ["admin"])
    own = console.call("POST", "/api/v2/users/ban", {"userId": console.owner.user_id})
    error_of(own, 400, "userId")  # yourself
    owner = console.call("POST", "/api/v2/users/ban", {"userId": console.owner.user_id}, token=admin_token)
    assert error_of(owner, 403, "userId")["type"] == "E_AUTHZ_FORBIDDEN"  # an owner
    peer = console.call("POST", "/api/v2/users/ban", {"userId": console.admin.user_id}, token=admin_token)
    error_of(peer, 400, "userId")  # the admin themself
    member = console.call("POST", "/api/v2/users/ban", {"userId": console.bob.user_id}, token=admin_token)
    assert member.status == 200 and member.body["users"][0]["isGlobalBan"] is True


def test_ban_takes_several_users_and_is_idempotent_and_all_or_nothing(console):
    users = ban(console, console.alice, console.bob)
    assert all(u["isGlobalBan"] for u in users.values()) and len(users) == 2
    assert ban(console, console.alice)[console.alice.user_id]["isGlobalBan"] is True  # again: no change
    stranger = "00000000-0000-4000-8000-000000000000"
    mixed = console.call("POST", "/api/v2/users/unban", {"userIds": [console.alice.user_id, stranger]})
    error_of(mixed, 404, "userIds[1]")
    listed = {u["userId"]: u for u in console.call("GET", "/api/v2/users").body["users"]}
    assert listed[console.alice.user_id]["isGlobalBan"] is True  # nothing was written


def test_ban_errors(console):
    error_of(console.call("POST", "/api/v2/users/ban", {}), 400, "userId")
    error_of(console.call("POST", "/api/v2/users/ban", {"userId": "nope"}), 400, "userId")
    both = {"userId": console.bob.user_id, "userIds": [console.bob.user_id]}
    error_of(console.call("POST", "/api/v2/users/ban", both), 400, "userId")
    error_of(console.call("POST", "/api/v2/users/unban", {"userIds": ["x"]}), 400, "userIds[0]")
    error_of(console.call("POST", "/api/v2/users/ban", {"userId": "00000000-0000-4000-8000-000000000000"}), 404)
    error_of(console.call("GET", "/api/v2/users/ban"), 405)


def _events(event_type: str) -> list[dict]:
    from chalicelib.store.models import Event

    return sorted((e.data for e in Event.scan(Event.event_type == event_type)), key=lambda d: d.get("bannedAt", ""))


def _marked(user_id: str, workspace_id: str) -> dict[str, bool]:
    from chalicelib.store import channels as channel_store

    return {m.channel_id: bool(m.banned) for m in channel_store.memberships_in_workspace(user_id, workspace_id)}


def test_a_ban_raises_its_event_and_the_activity_worker_marks_the_channels_the_request_left(console, monkeypatch):
    """The request marks the first INLINE_SWEEP channel memberships; the rest come from the
    ban's event (member.banned, durable with the ban), and a late or repeated event never undoes
    a later unban: the Membership decides."""
    from chalicelib.services import admin_users
    from chalicelib.workers import activity

    for name in ("one", "two"):
        create(console, name, userIds=[console.alice.user_id])
    monkeypatch.setattr(admin_users, "INLINE_SWEEP", 1)
    wid, alice = console.ws["id"], console.alice.user_id
    ban(console, console.alice)
    marks = _marked(alice, wid)
    assert len(marks) == 3 and sorted(marks.values()) == [False, False, True]  # #general, one, two
    (event,) = _events("member.banned")
    assert event == {
        "workspaceId": wid,
        "userId": alice,
        "bannedBy": console.owner.user_id,
        "bannedAt": event["bannedAt"],
    }

    activity.handle({"type": "member.banned", "data": event})
    assert set(_marked(alice, wid).values()) == {True}
    activity.handle({"type": "member.banned", "data": event})  # redelivered: nothing changes
    assert set(_marked(alice, wid).values()) == {True}

    ban(console, console.alice, route="unban")
    (lifted,) = _events("member.unbanned")
    assert lifted["userId"] == alice and lifted["unbannedBy"] == console.owner.user_id
    activity.handle({"type": "member.banned", "data": event})  # the ban's event, late: the unban stands
    assert set(_marked(alice, wid).values()) == {False}
    general = console.ws["generalChannelId"]
    sent = console.api.post(f"/v1/channels/{general}/messages", {"content": "back"}, token=console.alice.access_token)
    assert sent.status == 201, sent.body


def test_banning_again_raises_no_second_event(console):
    ban(console, console.alice)
    ban(console, console.alice)  # already banned: passed over
    assert len(_events("member.banned")) == 1
