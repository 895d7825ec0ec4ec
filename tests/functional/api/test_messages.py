"""Messages and threads: docs/permissions.md ("Messages") and the spec's Messages,
Message object and Threads sections. Sending, the message object, rendering and
mentions, history (order, cursors, bounds, stability), reading, editing, deleting,
threads, API token scopes and the events the table stream carries."""

from __future__ import annotations

import re
import threading
import time
from html.parser import HTMLParser
from urllib.parse import urlencode

from chalicelib.auth.principal import Principal
from chalicelib.ids import is_id, now_iso
from chalicelib.services import messages as message_service
from chalicelib.workers import router
from tests.functional.workers.pipeline import StreamReader
from tests.helpers import create_workspace, join_workspace, register

UNKNOWN_ID = "01a2088c-37fa-72c1-8671-8ba9a11937e0"
MESSAGE_FIELDS = {"id", "channelId", "workspaceId", "authorId", "content", "contentHtml", "type", "threadId"}
MESSAGE_FIELDS |= {"replyCount", "reactions", "attachments", "mentions", "editedAt", "createdAt"}
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


# --- helpers -------------------------------------------------------------------------


_join = join_workspace


def _channel(api, account, ws, name, kind="public"):
    answer = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": name, "type": kind}, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data["id"]


def _mint(api, account, workspace_id, scopes, *, bot=False):
    body = {"name": "bot", "scopes": list(scopes), "bot": bot}
    answer = api.post(f"/v1/workspaces/{workspace_id}/tokens", body, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data["token"]


def _send(api, token, channel_id, content="hello", **extra):
    return api.post(f"/v1/channels/{channel_id}/messages", {"content": content, **extra}, token=token)


def _post(api, account, channel_id, content="hello", thread_id=None):
    body = {"threadId": thread_id} if thread_id else {}
    answer = _send(api, account.access_token, channel_id, content, **body)
    assert answer.status == 201, answer.body
    return answer.data


def _history(api, account, channel_id, **query):
    answer = api.get(f"/v1/channels/{channel_id}/messages?{urlencode(query)}", token=account.access_token)
    assert answer.status == 200, answer.body
    return answer


def _ids(answer):
    return [m["id"] for m in answer.data]


def _get(api, account, message_id):
    return api.get(f"/v1/messages/{message_id}", token=account.access_token)


def _error(answer):
    return answer.status, answer.error["code"], answer.error.get("field")


def _as(account):
    return Principal(user_id=account.user_id, kind="session")


# --- sending and the message object --------------------------------------------------


def test_send_answers_the_full_message_object(api, team):
    ws, owner, _ = team
    general = ws["generalChannelId"]
    answer = _send(api, owner.access_token, general, "Hello from the Disqua API!")
    assert answer.status == 201, answer.body
    sent = answer.data
    assert set(sent) >= MESSAGE_FIELDS
    assert is_id(sent["id"]) and ISO_UTC.fullmatch(sent["createdAt"])
    assert {k: sent[k] for k in MESSAGE_FIELDS - {"id", "createdAt"}} == {
        "channelId": general,
        "workspaceId": ws["id"],
        "authorId": owner.user_id,
        "content": "Hello from the Disqua API!",
        "contentHtml": "<p>Hello from the Disqua API!</p>",
        "type": "message",
        "threadId": None,
        "replyCount": 0,
        "reactions": [],
        "attachments": [],
        "mentions": [],
        "editedAt": None,
    }
    assert _get(api, owner, sent["id"]).data == sent
    assert _history(api, owner, general).data == [sent]
    # lastMessageAt follows from the message.created event (test_threads_list.py).

    bold = _post(api, owner, general, "Hello **world**!")
    assert (bold["content"], bold["contentHtml"]) == ("Hello **world**!", "<p>Hello <strong>world</strong>!</p>")


def test_only_channel_members_post(api, team):
    ws, owner, member = team
    admin, stranger = register(api, "adam"), register(api, "zoe")
    _join(ws, admin, "admin")
    plans = _channel(api, owner, ws, "plans")
    secret = _channel(api, owner, ws, "secret", "private")

    for account in (member, admin):  # in the workspace, not in the public channel
        assert _error(_send(api, account.access_token, plans)) == (403, "E_AUTHZ_NOT_MEMBER", None)
        assert _error(_send(api, account.access_token, secret)) == (404, "E_NOT_FOUND", None)
    assert _error(_send(api, stranger.access_token, ws["generalChannelId"])) == (404, "E_NOT_FOUND", None)
    assert _error(_send(api, stranger.access_token, plans)) == (404, "E_NOT_FOUND", None)
    assert _error(_send(api, owner.access_token, UNKNOWN_ID)) == (404, "E_NOT_FOUND", None)
    assert [m["content"] for m in _history(api, owner, plans).data] == []

    assert api.post(f"/v1/channels/{plans}/join", token=member.access_token).status == 200
    assert _post(api, member, plans, "now I'm in")["authorId"] == member.user_id
    assert api.post(f"/v1/channels/{plans}/join", token=admin.access_token).status == 200
    assert _post(api, admin, plans, "me too")["authorId"] == admin.user_id
    assert _post(api, member, ws["generalChannelId"], "hi all")["type"] == "message"


def test_archived_channel_refuses_posts_but_keeps_its_history(api, team):
    ws, owner, _ = team
    plans = _channel(api, owner, ws, "plans")
    sent = _post(api, owner, plans, "before the archive")
    assert api.delete(f"/v1/channels/{plans}", token=owner.access_token).status == 200
    assert _error(_send(api, owner.access_token, plans, "after")) == (410, "E_CHANNEL_ARCHIVED", None)
    assert _ids(_history(api, owner, plans)) == [sent["id"]]


def test_send_validates_its_body(api, team):
    ws, owner, _ = team
    general = ws["generalChannelId"]
    path = f"/v1/channels/{general}/messages"
    cases = [
        ({}, "content"),
        ({"content": ""}, "content"),
        ({"content": None}, "content"),
        ({"content": 42}, "content"),
        ({"content": "x" * 40_001}, "content"),
        ({"content": "x", "attachmentIds": [UNKNOWN_ID]}, "attachmentIds[0]"),
        ({"content": "x", "threadId": "not-an-id"}, "threadId"),
        ({"content": "x", "color": "red"}, "color"),
    ]
    for body, field in cases:
        answer = api.post(path, body, token=owner.access_token)
        assert (answer.status, answer.error["code"]) == (400, "E_VALIDATION"), body
        assert answer.error["field"] == field, (body, answer.error)
    assert _history(api, owner, general).data == []

    longest = _post(api, owner, general, "y" * 40_000)
    assert len(longest["content"]) == 40_000
    no_files = _send(api, owner.access_token, general, "no files", attachmentIds=[])
    assert (no_files.status, no_files.data["attachments"]) == (201, [])


def test_type_is_bot_only_for_bot_tokens(api, team):
    ws, owner, _ = team
    general = ws["generalChannelId"]
    scopes = ["messages:read", "messages:write"]
    plain_token, bot_token = _mint(api, owner, ws["id"], scopes), _mint(api, owner, ws["id"], scopes, bot=True)
    by_session = _post(api, owner, general, "from a session")
    by_token = _send(api, plain_token, general, "from a token")
    by_bot = _send(api, bot_token, general, "from a bot")
    assert (by_token.status, by_bot.status) == (201, 201)
    assert (by_session["type"], by_token.data["type"], by_bot.data["type"]) == ("message", "message", "bot")
    assert by_bot.data["authorId"] == owner.user_id
    assert [m["type"] for m in _history(api, owner, general).data] == ["bot", "message", "message"]


# --- rendering and mentions --------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


XSS = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "<img src=x onerror=alert(1)>",
    "![x](https://example.com/x.png)",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<javascript:alert(1)>",
    '[x](https://example.com" onmouseover="alert(1))',
    "<svg/onload=alert(1)>",
]


def test_content_html_is_sanitized(api, team):
    ws, owner, _ = team
    for payload in XSS:
        html = _post(api, owner, ws["generalChannelId"], payload)["contentHtml"]
        parsed = _Tags()
        parsed.feed(html)
        assert "<script" not in html and "<img" not in html and "<svg" not in html, (payload, html)
        for tag, attrs in parsed.tags:
            assert tag in {"p", "a", "code", "strong", "em"}, (payload, html)
            assert not any(name.startswith("on") for name in attrs), (payload, html)
            if tag == "a":
                assert attrs["href"].startswith(("https://", "http://", "mailto:")), (payload, html)
                assert attrs["rel"] == "nofollow noopener", (payload, html)

    linked = _post(api, owner, ws["generalChannelId"], "see [the docs](https://example.com/docs) or https://x.io")
    assert linked["contentHtml"] == (
        '<p>see <a href="https://example.com/docs" rel="nofollow noopener">the docs</a> or '
        '<a href="https://x.io" rel="nofollow noopener">https://x.io</a></p>'
    )


def test_mentions_are_workspace_members_only(api, team):
    ws, owner, member = team
    outsider = register(api, "carl")  # a real user, in another workspace
    create_workspace(api, outsider, "Elsewhere")
    general = ws["generalChannelId"]

    sent = _post(api, owner, general, "hi @bob and @carl and @nobody-here, also @channel @here and `@jane`")
    assert sent["mentions"] == [member.user_id]
    assert _post(api, owner, general, "@BOB, @bob again")["mentions"] == [member.user_id]
    assert _post(api, owner, general, "@channel @here")["mentions"] == []
    assert _post(api, owner, general, "only code: `@bob`\n\n```\n@jane\n```")["mentions"] == []
    assert _post(api, owner, general, "mail bob@example.com")["mentions"] == []
    both = _post(api, member, general, "@jane @bob")["mentions"]
    assert both == [owner.user_id, member.user_id] and all(is_id(m) for m in both)

    edited = api.patch(f"/v1/messages/{sent['id']}", {"content": "now @jane, not `@bob`"}, token=owner.access_token)
    assert edited.status == 200, edited.body
    assert edited.data["mentions"] == [owner.user_id]
    assert _get(api, owner, sent["id"]).data["mentions"] == [owner.user_id]
    cleared = api.patch(f"/v1/messages/{sent['id']}", {"content": "nobody @here"}, token=owner.access_token)
    assert cleared.data["mentions"] == []


# --- history -------------------------------------------------------------------------


def test_history_is_newest_first_and_paginated(api, team):
    ws, owner, _ = team
    general = ws["generalChannelId"]
    sent = [message_service.send(_as(owner), general, f"message {i}", None, []).id for i in range(52)]
    newest_first = sent[::-1]

    default = _history(api, owner, general)
    assert _ids(default) == newest_first[:50]
    assert default.body["pagination"]["hasMore"] is True
    rest = _history(api, owner, general, cursor=default.body["pagination"]["nextCursor"])
    assert _ids(rest) == newest_first[50:]
    assert rest.body["pagination"] == {"hasMore": False, "nextCursor": None}
    assert _ids(_history(api, owner, general, limit=100)) == newest_first

    seen, cursor = [], None
    while True:
        page = _history(api, owner, general, limit=20, **({"cursor": cursor} if cursor else {}))
        seen += _ids(page)
        cursor = page.body["pagination"]["nextCursor"]
        if cursor is None:
            break
    assert seen == newest_first

    for bad in ("0", "101", "1000", "-1", "ten"):
        answer = api.get(f"/v1/channels/{general}/messages?limit={bad}", token=owner.access_token)
        assert _error(answer) == (400, "E_VALIDATION", "limit"), bad


def test_history_bounds_are_exclusive_ids_or_timestamps(api, team):
    ws, owner, _ = team
    general = ws["generalChannelId"]
    a, b = _post(api, owner, general, "a")["id"], _post(api, owner, general, "b")["id"]
    time.sleep(0.01)
    middle = now_iso()
    time.sleep(0.01)
    c, d = _post(api, owner, general, "c")["id"], _post(api, owner, general, "d")["id"]

    def listed(**query):
        return _ids(_history(api, owner, general, **query))

    assert listed(before=c) == [b, a]
    assert listed(after=a) == [d, c, b]
    assert listed(after=a, before=d) == [c, b]
    assert listed(after=b, before=c) == []
    assert listed(before=a) == [] and listed(after=d) == []
    assert listed(before=middle) == [b, a]
    assert listed(after=middle) == [d, c]
    assert listed(after=middle.replace("Z", "+00:00")) == [d, c]
    assert listed(after="2000-01-01T00:00:00Z") == [d, c, b, a]
    assert listed(before="2000-01-01T00:00:00Z") == []
    assert listed(after=a, limit=2) == [d, c]
    page = _history(api, owner, general, after=a, limit=2)
    assert listed(after=a, limit=2, cursor=page.body["pagination"]["nextCursor"]) == [b]

    for name, bad in [("before", "yesterday"), ("after", "2026-13-45T00:00:00Z"), ("after", "2026-01-01T00:00:00")]:
        answer = api.get(f"/v1/channels/{general}/messages?{urlencode({name: bad})}", token=owner.access_token)
        assert _error(answer) == (400, "E_VALIDATION", name), (name, bad)


def test_history_lists_top_level_messages_with_their_state(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    parent = _post(api, owner, general, "topic")
    _post(api, member, general, "a reply", parent["id"])
    _post(api, owner, general, "another reply", parent["id"])
    other = _post(api, member, general, "unrelated")
    api.post(f"/v1/messages/{parent['id']}/reactions", {"emoji": "👍"}, token=member.access_token)
    api.patch(f"/v1/messages/{other['id']}", {"content": "unrelated, edited"}, token=member.access_token)

    listed = _history(api, owner, general).data
    assert [m["id"] for m in listed] == [other["id"], parent["id"]]
    edited, topic = listed
    assert (topic["replyCount"], topic["editedAt"]) == (2, None)
    assert topic["reactions"] == [{"emoji": "👍", "count": 1, "userIds": [member.user_id]}]
    assert edited["content"] == "unrelated, edited" and ISO_UTC.fullmatch(edited["editedAt"])
    assert all(m["threadId"] is None for m in listed)


def test_paging_is_stable_under_concurrent_inserts(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    existing = [message_service.send(_as(owner), general, f"old {i}", None, []).id for i in range(10)]
    seen, cursor, added = [], None, 0
    while True:
        page = _history(api, owner, general, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += _ids(page)
        cursor = page.body["pagination"]["nextCursor"]
        if cursor is None:
            break
        for _ in range(2):  # new messages between page requests
            _post(api, member, general, f"new {added}")
            added += 1
    assert seen == existing[::-1]
    assert len(_history(api, owner, general, limit=100).data) == 10 + added


def test_cursor_of_another_channel_is_rejected(api, team):
    ws, owner, _ = team
    general, plans = ws["generalChannelId"], _channel(api, owner, ws, "plans")
    for channel_id in (general, plans):
        for i in range(3):
            _post(api, owner, channel_id, f"m{i}")
    cursor = _history(api, owner, general, limit=1).body["pagination"]["nextCursor"]
    assert cursor
    answer = api.get(f"/v1/channels/{plans}/messages?limit=1&cursor={cursor}", token=owner.access_token)
    assert _error(answer) == (400, "E_VALIDATION", "cursor")
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    answer = api.get(f"/v1/channels/{general}/messages?limit=1&cursor={tampered}", token=owner.access_token)
    assert _error(answer) == (400, "E_VALIDATION", "cursor")


# --- reading -------------------------------------------------------------------------


def test_who_may_read_history_messages_and_threads(api, team):
    ws, owner, member = team
    stranger = register(api, "zoe")
    plans, secret = _channel(api, owner, ws, "plans"), _channel(api, owner, ws, "secret", "private")
    public_msg, private_msg = _post(api, owner, plans, "open"), _post(api, owner, secret, "closed")
    _post(api, owner, plans, "public reply", public_msg["id"])
    _post(api, owner, secret, "private reply", private_msg["id"])

    # a workspace member who is not in the public channel reads it
    assert _ids(_history(api, member, plans)) == [public_msg["id"]]
    assert _get(api, member, public_msg["id"]).data["content"] == "open"
    thread = api.get(f"/v1/messages/{public_msg['id']}/thread", token=member.access_token)
    assert [r["content"] for r in thread.data["replies"]] == ["public reply"]

    for account in (member, stranger):
        history = api.get(f"/v1/channels/{secret}/messages", token=account.access_token)
        assert _error(history)[:2] == (404, "E_NOT_FOUND")
        assert _error(_get(api, account, private_msg["id"]))[:2] == (404, "E_NOT_FOUND")
        thread = api.get(f"/v1/messages/{private_msg['id']}/thread", token=account.access_token)
        assert _error(thread)[:2] == (404, "E_NOT_FOUND")
    assert _error(api.get(f"/v1/channels/{plans}/messages", token=stranger.access_token))[:2] == (404, "E_NOT_FOUND")
    assert _error(_get(api, stranger, public_msg["id"]))[:2] == (404, "E_NOT_FOUND")
    assert _error(api.get(f"/v1/channels/{UNKNOWN_ID}/messages", token=owner.access_token))[:2] == (404, "E_NOT_FOUND")


def test_get_message_errors(api, team):
    _, owner, _ = team
    other = register(api, "olga")
    other_ws = create_workspace(api, other, "Other")
    foreign = _post(api, other, other_ws["generalChannelId"], "not yours")
    assert _error(_get(api, owner, "not-an-id")) == (400, "E_VALIDATION", "messageId")
    assert _error(_get(api, owner, UNKNOWN_ID))[:2] == (404, "E_NOT_FOUND")
    assert _error(_get(api, owner, foreign["id"]))[:2] == (404, "E_NOT_FOUND")
    assert _error(api.get(f"/v1/messages/{foreign['id']}/thread", token=owner.access_token))[:2] == (404, "E_NOT_FOUND")
    for method in ("patch", "delete"):
        kwargs = {"body": {"content": "x"}} if method == "patch" else {}
        answer = getattr(api, method)(f"/v1/messages/{foreign['id']}", token=owner.access_token, **kwargs)
        assert _error(answer)[:2] == (404, "E_NOT_FOUND"), method
    assert _get(api, other, foreign["id"]).data["content"] == "not yours"


# --- editing and deleting ------------------------------------------------------------


def test_only_the_author_edits(api, team):
    ws, owner, member = team
    admin = register(api, "adam")
    _join(ws, admin, "admin")
    general = ws["generalChannelId"]
    sent = _post(api, member, general, "first *draft*")

    edited = api.patch(f"/v1/messages/{sent['id']}", {"content": "final **copy**"}, token=member.access_token)
    assert edited.status == 200, edited.body
    assert edited.data["content"] == "final **copy**"
    assert edited.data["contentHtml"] == "<p>final <strong>copy</strong></p>"
    assert ISO_UTC.fullmatch(edited.data["editedAt"]) and edited.data["editedAt"] >= sent["createdAt"]
    assert (edited.data["createdAt"], edited.data["id"], edited.data["authorId"]) == (
        sent["createdAt"],
        sent["id"],
        member.user_id,
    )
    assert _get(api, owner, sent["id"]).data == edited.data

    for account in (owner, admin):  # other channel members, whatever their role
        answer = api.patch(f"/v1/messages/{sent['id']}", {"content": "hijacked"}, token=account.access_token)
        assert _error(answer) == (403, "E_AUTHZ_FORBIDDEN", None)
    for body, field in [({"content": ""}, "content"), ({"content": "x" * 40_001}, "content"), ({}, "content")]:
        answer = api.patch(f"/v1/messages/{sent['id']}", body, token=member.access_token)
        assert _error(answer) == (400, "E_VALIDATION", field)
    answer = api.patch(f"/v1/messages/{sent['id']}", {"content": "x", "pinned": True}, token=member.access_token)
    assert _error(answer) == (400, "E_VALIDATION", "pinned")
    assert _get(api, owner, sent["id"]).data["content"] == "final **copy**"
    answer = api.patch(f"/v1/messages/{UNKNOWN_ID}", {"content": "x"}, token=member.access_token)
    assert _error(answer)[:2] == (404, "E_NOT_FOUND")


def test_edit_and_delete_outside_the_channel(api, team):
    ws, owner, member = team
    plans, secret = _channel(api, owner, ws, "plans"), _channel(api, owner, ws, "secret", "private")
    public_msg, private_msg = _post(api, owner, plans, "open"), _post(api, owner, secret, "closed")
    for method, kwargs in (("patch", {"body": {"content": "x"}}), ("delete", {})):
        answer = getattr(api, method)(f"/v1/messages/{public_msg['id']}", token=member.access_token, **kwargs)
        assert _error(answer) == (403, "E_AUTHZ_FORBIDDEN", None), method
        answer = getattr(api, method)(f"/v1/messages/{private_msg['id']}", token=member.access_token, **kwargs)
        assert _error(answer)[:2] == (404, "E_NOT_FOUND"), method
    assert _get(api, owner, public_msg["id"]).data["content"] == "open"
    assert _get(api, owner, private_msg["id"]).data["content"] == "closed"


def test_author_or_admin_deletes(api, team):
    ws, owner, member = team
    admin = register(api, "adam")
    _join(ws, admin, "admin")
    general = ws["generalChannelId"]
    mine, theirs = _post(api, member, general, "mine"), _post(api, owner, general, "theirs")
    admins = _post(api, admin, general, "admin's")

    assert _error(api.delete(f"/v1/messages/{theirs['id']}", token=member.access_token)) == (
        403,
        "E_AUTHZ_FORBIDDEN",
        None,
    )
    assert _get(api, member, theirs["id"]).status == 200
    assert api.delete(f"/v1/messages/{mine['id']}", token=member.access_token).status == 204
    assert _error(_get(api, member, mine["id"]))[:2] == (404, "E_NOT_FOUND")
    assert _error(api.delete(f"/v1/messages/{mine['id']}", token=member.access_token))[:2] == (404, "E_NOT_FOUND")
    assert api.delete(f"/v1/messages/{theirs['id']}", token=admin.access_token).status == 204  # an admin
    assert api.delete(f"/v1/messages/{admins['id']}", token=owner.access_token).status == 204  # the owner
    assert _history(api, owner, general).data == []
    assert _error(api.delete(f"/v1/messages/{UNKNOWN_ID}", token=owner.access_token))[:2] == (404, "E_NOT_FOUND")
    assert _error(api.delete("/v1/messages/nope", token=owner.access_token)) == (400, "E_VALIDATION", "messageId")


def test_deleting_a_parent_with_replies_leaves_a_tombstone(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    parent = _post(api, owner, general, "topic for @bob")
    first = _post(api, member, general, "first reply", parent["id"])
    second = _post(api, owner, general, "second reply", parent["id"])

    assert api.delete(f"/v1/messages/{parent['id']}", token=owner.access_token).status == 204
    tombstone = _get(api, member, parent["id"]).data
    assert (tombstone["deleted"], tombstone["content"], tombstone["contentHtml"]) == (True, "", "")
    assert (tombstone["mentions"], tombstone["replyCount"]) == ([], 2)
    thread = api.get(f"/v1/messages/{parent['id']}/thread", token=member.access_token).data
    assert thread["parent"]["deleted"] is True
    assert [r["id"] for r in thread["replies"]] == [first["id"], second["id"]]
    assert _ids(_history(api, member, general)) == [parent["id"]]

    # a tombstone takes no new replies, edits or second deletion
    assert _error(_send(api, member.access_token, general, "late", threadId=parent["id"])) == (
        400,
        "E_VALIDATION",
        "threadId",
    )
    answer = api.patch(f"/v1/messages/{parent['id']}", {"content": "back"}, token=owner.access_token)
    assert _error(answer)[:2] == (404, "E_NOT_FOUND")
    assert _error(api.delete(f"/v1/messages/{parent['id']}", token=owner.access_token))[:2] == (404, "E_NOT_FOUND")

    # deleting a reply decrements the parent's count
    assert api.delete(f"/v1/messages/{first['id']}", token=member.access_token).status == 204
    assert _get(api, owner, parent["id"]).data["replyCount"] == 1
    assert _error(_get(api, owner, first["id"]))[:2] == (404, "E_NOT_FOUND")
    thread = api.get(f"/v1/messages/{parent['id']}/thread", token=owner.access_token).data
    assert [r["id"] for r in thread["replies"]] == [second["id"]]


# --- threads -------------------------------------------------------------------------


def test_replies_name_a_top_level_message_of_the_same_channel(api, team):
    ws, owner, member = team
    general, plans = ws["generalChannelId"], _channel(api, owner, ws, "plans")
    parent = _post(api, owner, general, "topic")
    elsewhere = _post(api, owner, plans, "in plans")

    reply = _send(api, member.access_token, general, "a reply", threadId=parent["id"])
    assert reply.status == 201, reply.body
    assert (reply.data["threadId"], reply.data["channelId"], reply.data["replyCount"]) == (parent["id"], general, 0)
    updated = _get(api, owner, parent["id"]).data
    assert updated["replyCount"] == 1 and updated["lastReplyAt"] == reply.data["createdAt"]
    assert _get(api, owner, reply.data["id"]).data["threadId"] == parent["id"]

    for thread_id in (elsewhere["id"], reply.data["id"], UNKNOWN_ID):  # other channel, a reply, nothing
        answer = _send(api, owner.access_token, general, "nope", threadId=thread_id)
        assert _error(answer) == (400, "E_VALIDATION", "threadId"), thread_id
    assert _error(_send(api, owner.access_token, plans, "nope", threadId=parent["id"])) == (
        400,
        "E_VALIDATION",
        "threadId",
    )
    assert _get(api, owner, parent["id"]).data["replyCount"] == 1
    answer = api.get(f"/v1/messages/{reply.data['id']}/thread", token=owner.access_token)
    assert _error(answer) == (400, "E_VALIDATION", "messageId")


def test_thread_lists_replies_oldest_first_in_pages(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    parent = _post(api, owner, general, "topic")
    replies = [_post(api, (owner, member)[i % 2], general, f"reply {i}", parent["id"])["id"] for i in range(5)]

    whole = api.get(f"/v1/messages/{parent['id']}/thread", token=member.access_token)
    assert whole.data["parent"]["id"] == parent["id"] and whole.data["parent"]["replyCount"] == 5
    assert [r["id"] for r in whole.data["replies"]] == replies
    assert all(r["threadId"] == parent["id"] for r in whole.data["replies"])

    seen, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = api.get(f"/v1/messages/{parent['id']}/thread?limit=2{suffix}", token=member.access_token)
        assert page.status == 200, page.body
        assert page.data["parent"]["id"] == parent["id"] and len(page.data["replies"]) <= 2
        seen += [r["id"] for r in page.data["replies"]]
        cursor = page.body["pagination"]["nextCursor"]
        if cursor is None:
            break
    assert seen == replies
    answer = api.get(f"/v1/messages/{parent['id']}/thread?limit=0", token=member.access_token)
    assert _error(answer) == (400, "E_VALIDATION", "limit")


def test_reply_count_is_exact_under_concurrent_replies(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    parent = _post(api, owner, general, "busy topic")
    failures = []

    def reply(i):
        try:
            message_service.send(_as((owner, member)[i % 2]), general, f"reply {i}", parent["id"], [])
        except Exception as error:  # reported below
            failures.append(error)

    workers = [threading.Thread(target=reply, args=(i,)) for i in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    assert _get(api, owner, parent["id"]).data["replyCount"] == 10
    thread = api.get(f"/v1/messages/{parent['id']}/thread", token=owner.access_token).data
    assert sorted(r["content"] for r in thread["replies"]) == sorted(f"reply {i}" for i in range(10))


# --- API tokens ------------------------------------------------------------------------


def test_api_tokens_need_the_message_scopes(api, team):
    ws, owner, _ = team
    general = ws["generalChannelId"]
    sent = _post(api, owner, general, "hello")
    reader = _mint(api, owner, ws["id"], ["messages:read"])
    writer = _mint(api, owner, ws["id"], ["messages:write"])
    neither = _mint(api, owner, ws["id"], ["channels:read", "channels:write"])
    scope = (403, "E_AUTHZ_INSUFFICIENT_SCOPE", None)

    reads = [
        f"/v1/channels/{general}/messages",
        f"/v1/messages/{sent['id']}",
        f"/v1/messages/{sent['id']}/thread",
    ]
    for path in reads:
        assert api.get(path, token=reader).status == 200, path
        assert _error(api.get(path, token=writer)) == scope, path
        assert _error(api.get(path, token=neither)) == scope, path
    for token in (reader, neither):
        assert _error(_send(api, token, general, "x")) == scope
        assert _error(api.patch(f"/v1/messages/{sent['id']}", {"content": "x"}, token=token)) == scope
        assert _error(api.delete(f"/v1/messages/{sent['id']}", token=token)) == scope

    written = _send(api, writer, general, "by token")
    assert written.status == 201 and written.data["authorId"] == owner.user_id
    edited = api.patch(f"/v1/messages/{written.data['id']}", {"content": "edited"}, token=writer)
    assert edited.status == 200 and edited.data["content"] == "edited"
    assert api.delete(f"/v1/messages/{written.data['id']}", token=writer).status == 204
    assert _get(api, owner, sent["id"]).data["content"] == "hello"


def test_token_of_another_workspace_finds_nothing(api, team):
    """Its channels and messages do not exist for it: 404, as for an unknown id (a 403
    would confirm the id is real; tests/security/test_api1_bola.py)."""
    ws, owner, _ = team
    other = create_workspace(api, owner, "Other")
    sent = _post(api, owner, ws["generalChannelId"], "hello")
    foreign = _mint(api, owner, other["id"], ["messages:read", "messages:write"])
    not_member = (404, "E_NOT_FOUND", None)
    assert _error(api.get(f"/v1/channels/{ws['generalChannelId']}/messages", token=foreign)) == not_member
    assert _error(_send(api, foreign, ws["generalChannelId"], "x")) == not_member
    assert _error(api.get(f"/v1/messages/{sent['id']}", token=foreign)) == not_member
    assert _error(api.get(f"/v1/messages/{sent['id']}/thread", token=foreign)) == not_member
    assert _error(api.patch(f"/v1/messages/{sent['id']}", {"content": "x"}, token=foreign)) == not_member
    assert _error(api.delete(f"/v1/messages/{sent['id']}", token=foreign)) == not_member
    assert _send(api, foreign, other["generalChannelId"], "at home").status == 201


# --- events ----------------------------------------------------------------------------


def test_message_events_come_from_the_stream(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    reader = StreamReader()
    parent = _post(api, owner, general, "hi @bob @here")
    reply = _post(api, member, general, "a reply", parent["id"])
    api.patch(f"/v1/messages/{parent['id']}", {"content": "hi @bob, edited"}, token=owner.access_token)
    assert api.delete(f"/v1/messages/{reply['id']}", token=member.access_token).status == 204
    alone = _post(api, owner, general, "short-lived")
    assert api.delete(f"/v1/messages/{alone['id']}", token=owner.access_token).status == 204

    records = reader.read()
    events = [e for r in records for e in router.events_from_record(r) if e["type"].startswith("message.")]
    shown = [(e["type"], e["data"]["id"]) for e in events]
    assert shown == [
        ("message.created", parent["id"]),
        ("message.created", reply["id"]),
        ("message.updated", parent["id"]),
        ("message.deleted", reply["id"]),
        ("message.created", alone["id"]),
        ("message.deleted", alone["id"]),
    ]
    created = events[0]
    assert created["workspaceId"] == ws["id"] and ISO_UTC.fullmatch(created["createdAt"])
    assert {k: created["data"][k] for k in ("channelId", "workspaceId", "authorId", "content", "type")} == {
        "channelId": general,
        "workspaceId": ws["id"],
        "authorId": owner.user_id,
        "content": "hi @bob @here",
        "type": "message",
    }
    assert (created["data"]["mentions"], created["data"]["threadId"]) == ([member.user_id], None)
    assert created["data"]["specialMentions"] == ["here"]
    assert (events[1]["data"]["threadId"], events[1]["data"]["authorId"]) == (parent["id"], member.user_id)
    assert (events[2]["data"]["content"], events[2]["data"]["mentions"]) == ("hi @bob, edited", [member.user_id])
    assert events[2]["data"]["editedAt"] is not None
    assert events[3]["data"]["content"] is None and events[3]["data"]["threadId"] == parent["id"]

    ids = [e["id"] for e in events]
    assert all(i.startswith("evt_") for i in ids) and len(set(ids)) == len(ids)
    again = [e["id"] for r in records for e in router.events_from_record(r) if e["type"].startswith("message.")]
    assert again == ids


def test_tombstone_is_a_deleted_event(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    parent = _post(api, owner, general, "topic")
    _post(api, member, general, "reply", parent["id"])
    reader = StreamReader()
    reader.read()  # what came before
    assert api.delete(f"/v1/messages/{parent['id']}", token=owner.access_token).status == 204
    events = [e for r in reader.read() for e in router.events_from_record(r)]
    assert [(e["type"], e["data"]["id"]) for e in events] == [("message.deleted", parent["id"])]
    assert events[0]["data"]["content"] is None and events[0]["workspaceId"] == ws["id"]


def test_a_reply_racing_its_parents_deletion_leaves_a_tombstone(api, monkeypatch):
    from chalicelib.services import messages as message_service

    owner = register(api, "rhea")
    ws = create_workspace(api, owner)
    general = ws["generalChannelId"]
    parent = api.post(f"/v1/channels/{general}/messages", {"content": "topic"}, token=owner.access_token).data
    real_is_pinned = message_service.message_store.is_pinned

    def reply_lands_meanwhile(channel_id, message_id):
        # The delete has read the parent (no replies) when a reply arrives.
        body = {"content": "late reply", "threadId": parent["id"]}
        assert api.post(f"/v1/channels/{general}/messages", body, token=owner.access_token).status == 201
        return real_is_pinned(channel_id, message_id)

    monkeypatch.setattr(message_service.message_store, "is_pinned", reply_lands_meanwhile)
    assert api.delete(f"/v1/messages/{parent['id']}", token=owner.access_token).status == 204
    monkeypatch.setattr(message_service.message_store, "is_pinned", real_is_pinned)
    thread = api.get(f"/v1/messages/{parent['id']}/thread", token=owner.access_token).data
    assert thread["parent"]["deleted"] is True and thread["parent"]["content"] == ""
    assert [r["content"] for r in thread["replies"]] == ["late reply"]
