"""In-app notifications through the real pipeline: a request, the table's stream, the
event router, the notifications queue and its worker (tests/functional/workers/notify.py),
then the /v1/notifications routes."""

from __future__ import annotations

import pytest

from chalicelib.store.models import Notification
from chalicelib.workers import router
from tests.functional.workers.notify import Pipeline
from tests.helpers import create_workspace, join_workspace, register


@pytest.fixture
def crew(api):
    """Jane owns Acme; Bob, Carol and Dave are members; all in #general."""
    jane, bob, carol, dave = (register(api, n) for n in ("jane", "bob", "carol", "dave"))
    ws = create_workspace(api, jane)
    for member in (bob, carol, dave):
        join_workspace(ws, member)
    pipeline = Pipeline()
    pipeline.run()  # what setting up raised (joins) goes first
    return ws, jane, bob, carol, dave, pipeline


def _send(api, who, channel_id, content, thread_id=None):
    body = {"content": content, **({"threadId": thread_id} if thread_id else {})}
    answer = api.post(f"/v1/channels/{channel_id}/messages", body, token=who.access_token)
    assert answer.status == 201, answer.body
    return answer.data


def _notes(api, who, **query):
    text = "&".join(f"{k}={v}" for k, v in query.items())
    answer = api.get(f"/v1/notifications{'?' + text if text else ''}", token=who.access_token)
    assert answer.status == 200, answer.body
    return answer.data


def _count(api, who):
    answer = api.get("/v1/notifications/count", token=who.access_token)
    assert answer.status == 200, answer.body
    return answer.data["unread"]


def _kinds(api, who):
    return [(n["type"], n["actor"]["username"]) for n in _notes(api, who)]


def _private_channel(api, owner, name="secret"):
    answer = api.post(
        f"/v1/workspaces/{owner.ws_id}/channels", {"name": name, "type": "private"}, token=owner.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["id"]


def _error(answer):
    return answer.status, answer.error["code"], answer.error.get("field")


# --- kinds ---------------------------------------------------------------------------------


def test_a_mention_notifies_the_mentioned_with_a_plain_text_preview(api, crew):
    ws, jane, bob, carol, _, pipeline = crew
    sent = _send(api, jane, ws["generalChannelId"], "**Hey** @bob, see [the doc](https://x.io) <b>now</b>")
    pipeline.run()
    (note,) = _notes(api, bob)
    assert note == {
        "id": note["id"],
        "type": "mention",
        "workspaceId": ws["id"],
        "channelId": ws["generalChannelId"],
        "messageId": sent["id"],
        "threadId": None,
        "actor": {"id": jane.user_id, "username": "jane", "displayName": "Jane"},
        "preview": "Hey @bob, see the doc now",
        "read": False,
        "createdAt": sent["createdAt"],
    }
    assert _notes(api, jane) == [] and _notes(api, carol) == []
    assert _count(api, bob) == 1


def test_a_long_preview_is_cut_to_140_characters(api, crew):
    ws, jane, bob, *_, pipeline = crew
    _send(api, jane, ws["generalChannelId"], "@bob " + "word " * 100)
    pipeline.run()
    preview = _notes(api, bob)[0]["preview"]
    assert len(preview) == 140 and preview.endswith("…")


def test_at_channel_notifies_every_member_once_and_a_mention_wins(api, crew):
    ws, jane, bob, carol, dave, pipeline = crew
    _send(api, jane, ws["generalChannelId"], "@channel standup, @bob you lead")
    pipeline.run()
    assert _kinds(api, bob) == [("mention", "jane")]
    assert _kinds(api, carol) == [("channel_mention", "jane")]
    assert _kinds(api, dave) == [("channel_mention", "jane")]
    assert _notes(api, jane) == []


def test_at_here_skips_members_who_are_away_or_dnd(api, crew):
    ws, jane, bob, carol, dave, pipeline = crew
    for who, status in ((bob, "away"), (carol, "dnd")):
        assert api.patch("/v1/users/me/status", {"status": status}, token=who.access_token).status == 200
    _send(api, jane, ws["generalChannelId"], "@here anyone?")
    pipeline.run()
    assert _notes(api, bob) == [] and _notes(api, carol) == []
    assert _kinds(api, dave) == [("channel_mention", "jane")]


def test_thread_replies_notify_the_participants_but_not_the_replier(api, crew):
    ws, jane, bob, carol, dave, pipeline = crew
    parent = _send(api, bob, ws["generalChannelId"], "a question")
    _send(api, carol, ws["generalChannelId"], "an answer", thread_id=parent["id"])
    pipeline.run()
    assert _kinds(api, bob) == [("thread_reply", "carol")]
    assert _notes(api, carol) == []
    reply = _send(api, jane, ws["generalChannelId"], "me too", thread_id=parent["id"])
    pipeline.run()
    assert _kinds(api, bob) == [("thread_reply", "jane"), ("thread_reply", "carol")]
    (carols,) = _notes(api, carol)
    assert carols["threadId"] == parent["id"] and carols["messageId"] == reply["id"]
    assert _notes(api, dave) == [] and _notes(api, jane) == []


def test_an_email_invite_notifies_an_existing_verified_account(api, crew):
    ws, jane, *_, pipeline = crew
    erin = register(api, "erin")
    register(api, "frank", verified=False)
    for address in ("erin@example.com", "frank@example.com", "nobody@example.com"):
        answer = api.post(f"/v1/workspaces/{ws['id']}/invites", {"email": address}, token=jane.access_token)
        assert answer.status == 201, answer.body
    pipeline.run()
    (note,) = _notes(api, erin)
    assert (note["type"], note["workspaceId"], note["channelId"], note["messageId"]) == ("invite", ws["id"], None, None)
    assert note["preview"] == "Jane invited you to join Acme"
    assert note["actor"]["id"] == jane.user_id


def test_reactions_notify_the_author_only_when_they_opted_in(api, crew):
    ws, jane, bob, *_, pipeline = crew
    sent = _send(api, jane, ws["generalChannelId"], "ship it")
    assert api.post(f"/v1/messages/{sent['id']}/reactions", {"emoji": "👍"}, token=bob.access_token).status == 200
    pipeline.run()
    assert _notes(api, jane) == []  # off by default
    answer = api.patch("/v1/users/me/preferences", {"notifications": {"reactions": True}}, token=jane.access_token)
    assert answer.status == 200 and answer.data["notifications"]["reactions"] is True
    assert api.post(f"/v1/messages/{sent['id']}/reactions", {"emoji": "🎉"}, token=bob.access_token).status == 200
    assert api.post(f"/v1/messages/{sent['id']}/reactions", {"emoji": "🎉"}, token=jane.access_token).status == 200
    pipeline.run()
    (note,) = _notes(api, jane)
    assert (note["type"], note["actor"]["username"], note["messageId"]) == ("reaction", "bob", sent["id"])
    assert note["preview"] == "🎉 ship it"


# --- never notified --------------------------------------------------------------------------


def test_nobody_is_notified_of_their_own_mention(api, crew):
    ws, jane, *_, pipeline = crew
    _send(api, jane, ws["generalChannelId"], "note to self @jane @channel")
    pipeline.run()
    assert _notes(api, jane) == []


def test_people_who_cannot_read_the_channel_are_not_notified(api, crew):
    ws, jane, bob, carol, dave, pipeline = crew
    jane.ws_id = ws["id"]
    secret = _private_channel(api, jane)
    assert api.post(f"/v1/channels/{secret}/members", {"userIds": [bob.user_id]}, token=jane.access_token).status == 200
    _send(api, jane, secret, "@bob @carol @channel private")
    pipeline.run()
    assert _kinds(api, bob) == [("mention", "jane")]
    assert _notes(api, carol) == [] and _notes(api, dave) == []  # not members of a private channel

    public = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "random"}, token=jane.access_token).data["id"]
    assert api.post(f"/v1/channels/{public}/join", token=carol.access_token).status == 200
    assert api.post(f"/v1/channels/{public}/leave", token=carol.access_token).status == 204
    assert (
        api.post(f"/v1/channels/{public}/members", {"userIds": [dave.user_id]}, token=jane.access_token).status == 200
    )
    assert api.delete(f"/v1/channels/{public}/members/{dave.user_id}", token=jane.access_token).status == 204
    _send(api, jane, public, "@carol @dave come back")
    pipeline.run()
    assert _notes(api, carol) == [] and _notes(api, dave) == []  # left, removed


def test_muted_users_get_nothing(api, crew):
    ws, jane, bob, *_, pipeline = crew
    answer = api.patch("/v1/users/me/preferences", {"notifications": {"muteAll": True}}, token=bob.access_token)
    assert answer.status == 200
    _send(api, jane, ws["generalChannelId"], "@bob hello")
    pipeline.run()
    assert _notes(api, bob) == []


def test_the_channel_setting_decides_which_kinds_a_channel_raises(api, crew):
    ws, jane, bob, carol, dave, pipeline = crew
    general = ws["generalChannelId"]
    for who, level in ((bob, "none"), (carol, "mentions")):
        answer = api.patch(f"/v1/channels/{general}/members/me", {"notifications": level}, token=who.access_token)
        assert answer.status == 200 and answer.data == {"channelId": general, "notifications": level}
    parent = _send(api, carol, general, "thread")
    _send(api, bob, general, "reply", thread_id=parent["id"])
    _send(api, jane, general, "@bob @carol @channel, and a reply", thread_id=parent["id"])
    pipeline.run()
    assert _notes(api, bob) == []  # none: nothing
    assert _kinds(api, carol) == [("mention", "jane")]  # mentions: the mention, not bob's reply
    assert _kinds(api, dave) == [("channel_mention", "jane")]


def test_the_channel_setting_route_validates_and_needs_membership(api, crew):
    ws, jane, bob, *_ = crew
    general = ws["generalChannelId"]
    bad = api.patch(f"/v1/channels/{general}/members/me", {"notifications": "loud"}, token=bob.access_token)
    assert _error(bad) == (400, "E_VALIDATION", "notifications")
    public = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "random"}, token=jane.access_token).data["id"]
    outsider = api.patch(f"/v1/channels/{public}/members/me", {"notifications": "none"}, token=bob.access_token)
    assert _error(outsider) == (403, "E_AUTHZ_NOT_MEMBER", None)
    unknown = api.patch(
        "/v1/channels/0190f0f0-0000-7000-8000-000000000000/members/me",
        {"notifications": "none"},
        token=bob.access_token,
    )
    assert unknown.status == 404


# --- edits and deletions ------------------------------------------------------------------------


def test_an_edit_that_adds_a_mention_notifies_only_the_newly_mentioned(api, crew):
    ws, jane, bob, carol, dave, pipeline = crew
    sent = _send(api, jane, ws["generalChannelId"], "hi @bob")
    pipeline.run()
    answer = api.patch(f"/v1/messages/{sent['id']}", {"content": "hi @bob and @carol"}, token=jane.access_token)
    assert answer.status == 200, answer.body
    pipeline.run()
    assert _kinds(api, bob) == [("mention", "jane")]
    (note,) = _notes(api, carol)
    assert (note["type"], note["preview"]) == ("mention", "hi @bob and @carol")
    api.patch(f"/v1/messages/{sent['id']}", {"content": "hi @bob, @carol and @channel"}, token=jane.access_token)
    pipeline.run()
    assert len(_notes(api, bob)) == len(_notes(api, carol)) == 1
    assert _notes(api, dave) == []  # @channel added by an edit pings no one


def test_deleting_a_message_removes_the_preview_of_its_notifications(api, crew):
    ws, jane, bob, carol, _, pipeline = crew
    sent = _send(api, jane, ws["generalChannelId"], "secret plans @bob @carol")
    other = _send(api, jane, ws["generalChannelId"], "@bob keep this")
    pipeline.run()
    assert api.delete(f"/v1/messages/{sent['id']}", token=jane.access_token).status == 204
    pipeline.run()
    assert [n["preview"] for n in _notes(api, bob)] == ["@bob keep this", ""]
    assert [n["preview"] for n in _notes(api, carol)] == [""]
    assert _notes(api, bob)[0]["messageId"] == other["id"]


# --- reading and marking ----------------------------------------------------------------------


def _three_for_bob(api, crew):
    ws, jane, bob, _, _, pipeline = crew
    for text in ("one @bob", "two @bob", "three @bob"):
        _send(api, jane, ws["generalChannelId"], text)
    pipeline.run()
    return [n["id"] for n in _notes(api, bob)]


def test_mark_read_by_ids_and_the_count_right_after(api, crew):
    bob = crew[2]
    newest, middle, oldest = _three_for_bob(api, crew)
    assert _count(api, bob) == 3
    answer = api.post("/v1/notifications/mark-read", {"ids": [middle, oldest]}, token=bob.access_token)
    assert answer.status == 200 and answer.data == {"unread": 1}
    assert _count(api, bob) == 1
    assert [(n["id"], n["read"]) for n in _notes(api, bob)] == [(newest, False), (middle, True), (oldest, True)]
    assert [n["id"] for n in _notes(api, bob, unread="true")] == [newest]
    again = api.post("/v1/notifications/mark-read", {"ids": [middle]}, token=bob.access_token)
    assert again.data == {"unread": 1}


def test_foreign_ids_are_404_for_the_whole_request_and_nothing_is_marked(api, crew):
    ws, jane, bob, carol, *_ = crew
    mine = _three_for_bob(api, crew)
    _send(api, jane, ws["generalChannelId"], "@carol yours")
    crew[5].run()
    (carols,) = _notes(api, carol)
    answer = api.post("/v1/notifications/mark-read", {"ids": [mine[0], carols["id"]]}, token=bob.access_token)
    assert _error(answer) == (404, "E_NOT_FOUND", "ids[1]")
    unknown = api.post(
        "/v1/notifications/mark-read", {"ids": ["0190f0f0-0000-7000-8000-000000000000"]}, token=bob.access_token
    )
    assert unknown.status == 404
    assert _count(api, bob) == 3 and _count(api, carol) == 1
    assert not any(n["read"] for n in _notes(api, bob))


def test_mark_all_read_is_one_watermark_and_later_ones_stay_unread(api, crew):
    ws, jane, bob, *_ = crew
    _three_for_bob(api, crew)
    answer = api.post("/v1/notifications/mark-read", {"all": True}, token=bob.access_token)
    assert answer.status == 200 and answer.data == {"unread": 0}
    assert _count(api, bob) == 0
    assert all(n["read"] for n in _notes(api, bob)) and _notes(api, bob, unread="true") == []
    _send(api, jane, ws["generalChannelId"], "four @bob")
    crew[5].run()
    assert _count(api, bob) == 1
    assert [n["preview"] for n in _notes(api, bob, unread="true")] == ["four @bob"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "ids"),
        ({"all": False}, "all"),
        ({"ids": [], "all": True}, "ids"),
        ({"ids": ["0190f0f0-0000-7000-8000-000000000000"], "all": True}, "all"),
        ({"ids": ["nope"]}, "ids[0]"),
        (
            {
                "ids": ["0190f0f0-0000-7000-8000-000000000000"] * 1
                + [f"0190f0f0-0000-7000-8000-{i:012d}" for i in range(100)]
            },
            "ids",
        ),
        ({"every": True}, "every"),
    ],
)
def test_mark_read_validation_names_the_field(api, crew, body, field):
    bob = crew[2]
    assert _error(api.post("/v1/notifications/mark-read", body, token=bob.access_token)) == (400, "E_VALIDATION", field)


def test_pages_with_cursors_filters_and_a_bad_cursor(api, crew):
    ws, jane, bob, *_, pipeline = crew
    other = create_workspace(api, jane, "Other")
    join_workspace(other, bob)
    pipeline.run()
    for index in range(5):
        _send(api, jane, ws["generalChannelId"], f"acme {index} @bob")
    _send(api, jane, other["generalChannelId"], "other @bob")
    pipeline.run()
    seen, cursor = [], None
    while True:
        answer = api.get(f"/v1/notifications?limit=2{'&cursor=' + cursor if cursor else ''}", token=bob.access_token)
        assert answer.status == 200 and len(answer.data) <= 2
        seen += [n["preview"] for n in answer.data]
        cursor = answer.body["pagination"]["nextCursor"]
        if not answer.body["pagination"]["hasMore"]:
            break
    assert seen == ["other @bob", *(f"acme {i} @bob" for i in reversed(range(5)))]
    acme = _notes(api, bob, workspaceId=ws["id"], limit=3)
    assert [n["preview"] for n in acme] == ["acme 4 @bob", "acme 3 @bob", "acme 2 @bob"]
    assert [n["workspaceId"] for n in _notes(api, bob, workspaceId=other["id"])] == [other["id"]]
    page = api.get(f"/v1/notifications?workspaceId={ws['id']}&limit=3", token=bob.access_token)
    rest = api.get(
        f"/v1/notifications?workspaceId={ws['id']}&limit=3&cursor={page.body['pagination']['nextCursor']}",
        token=bob.access_token,
    )
    assert [n["preview"] for n in rest.data] == ["acme 1 @bob", "acme 0 @bob"]
    bad = api.get("/v1/notifications?cursor=not-a-cursor", token=bob.access_token)
    assert _error(bad) == (400, "E_VALIDATION", "cursor")
    foreign = api.get(f"/v1/notifications?cursor={page.body['pagination']['nextCursor']}", token=bob.access_token)
    assert _error(foreign) == (400, "E_VALIDATION", "cursor")  # a cursor of the workspace list
    assert _error(api.get("/v1/notifications?limit=0", token=bob.access_token)) == (400, "E_VALIDATION", "limit")
    assert _error(api.get("/v1/notifications?unread=maybe", token=bob.access_token)) == (400, "E_VALIDATION", "unread")


def test_an_api_token_sees_its_own_workspace_only(api, crew):
    ws, jane, bob, *_, pipeline = crew
    other = create_workspace(api, jane, "Other")
    join_workspace(other, bob)
    _send(api, jane, ws["generalChannelId"], "acme @bob")
    _send(api, jane, other["generalChannelId"], "other @bob")
    pipeline.run()
    minted = api.post(
        f"/v1/workspaces/{ws['id']}/tokens",
        {"name": "t", "scopes": ["users:read", "users:write"]},
        token=bob.access_token,
    )
    assert minted.status == 201, minted.body
    token = minted.data["token"]
    listed = api.get("/v1/notifications", token=token)
    assert [n["preview"] for n in listed.data] == ["acme @bob"]
    assert api.get("/v1/notifications/count", token=token).data == {"unread": 1}
    assert api.get(f"/v1/notifications?workspaceId={other['id']}", token=token).status == 403
    assert _error(api.post("/v1/notifications/mark-read", {"all": True}, token=token))[:2] == (
        403,
        "E_AUTHZ_INSUFFICIENT_SCOPE",
    )
    others = [n["id"] for n in _notes(api, bob, workspaceId=other["id"])]
    assert api.post("/v1/notifications/mark-read", {"ids": others}, token=token).status == 404
    reader = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "r", "scopes": ["messages:read"]}, token=bob.access_token
    )
    assert api.get("/v1/notifications", token=reader.data["token"]).status == 403


# --- the event for the push worker ----------------------------------------------------------


def test_a_new_notification_is_projected_as_notification_created(api, crew):
    ws, jane, bob, *_, pipeline = crew
    sent = _send(api, jane, ws["generalChannelId"], "@bob ping")
    pipeline.route()
    pipeline.run()
    records = pipeline.reader.read()
    events = [e for r in records for e in router.events_from_record(r)]
    created = [e for e in events if e["type"] == "notification.created"]
    (event,) = created
    (note,) = _notes(api, bob)
    assert event["id"].startswith("evt_") and event["workspaceId"] == ws["id"]
    assert event["data"] == {
        "notificationId": note["id"],
        "userId": bob.user_id,
        "type": "mention",
        "workspaceId": ws["id"],
        "channelId": ws["generalChannelId"],
        "messageId": sent["id"],
        "threadId": None,
        "actor": {"id": jane.user_id, "username": "jane", "displayName": "Jane"},
        "preview": "@bob ping",
        "createdAt": note["createdAt"],
    }
    assert "notification.created" in router.SUBSCRIPTIONS.get("push", ("notification.created",))
    api.post("/v1/notifications/mark-read", {"ids": [note["id"]]}, token=bob.access_token)
    updates = [e for r in pipeline.reader.read() for e in router.events_from_record(r)]
    assert [e for e in updates if e["type"] == "notification.created"] == []  # a MODIFY is no event
    assert Notification.get(f"USER#{bob.user_id}", f"NOTIF#{note['id']}").read is True
