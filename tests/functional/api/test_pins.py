"""Pins: GET/POST /v1/channels/{id}/pins and DELETE /v1/channels/{id}/pins/{messageId}.
Only messages of that channel, once each, at most PIN_LIMIT per channel; who may pin
(docs/permissions.md, "Messages"); and the stream's message.pinned/unpinned events."""

from __future__ import annotations

import re

from chalicelib.services import pins as pin_service
from chalicelib.workers import router
from tests.functional.workers.pipeline import StreamReader
from tests.helpers import create_workspace, join_workspace, register

UNKNOWN_ID = "01a2088c-37fa-72c1-8671-8ba9a11937e0"
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


# --- helpers -------------------------------------------------------------------------


_join = join_workspace


def _channel(api, account, ws, name, kind="public"):
    answer = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": name, "type": kind}, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data["id"]


def _post(api, account, channel_id, content="pin me"):
    answer = api.post(f"/v1/channels/{channel_id}/messages", {"content": content}, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data


def _pin(api, token, channel_id, message_id):
    return api.post(f"/v1/channels/{channel_id}/pins", {"messageId": message_id}, token=token)


def _unpin(api, token, channel_id, message_id):
    return api.delete(f"/v1/channels/{channel_id}/pins/{message_id}", token=token)


def _pins(api, token, channel_id, query=""):
    answer = api.get(f"/v1/channels/{channel_id}/pins{query}", token=token)
    assert answer.status == 200, answer.body
    return answer


def _pinned_ids(api, account, channel_id):
    return [p["message"]["id"] for p in _pins(api, account.access_token, channel_id).data]


def _error(answer):
    return answer.status, answer.error["code"], answer.error.get("field")


# --- pinning -------------------------------------------------------------------------


def test_pin_list_and_unpin(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    first, second = _post(api, owner, general, "first"), _post(api, member, general, "**second**")

    pinned = _pin(api, member.access_token, general, first["id"])
    assert pinned.status == 201, pinned.body
    assert (pinned.data["pinnedBy"], pinned.data["message"]["id"]) == (member.user_id, first["id"])
    assert ISO_UTC.fullmatch(pinned.data["pinnedAt"])
    assert _pin(api, owner.access_token, general, second["id"]).status == 201

    listed = _pins(api, member.access_token, general).data
    assert [(p["message"]["id"], p["pinnedBy"]) for p in listed] == [
        (second["id"], owner.user_id),
        (first["id"], member.user_id),
    ]
    assert listed[1] == pinned.data
    assert listed[0]["message"]["contentHtml"] == "<p><strong>second</strong></p>"
    assert listed[0]["message"]["authorId"] == member.user_id

    # a message of another author, unpinned by someone else: any channel member may
    assert _unpin(api, owner.access_token, general, first["id"]).status == 204
    assert _pinned_ids(api, owner, general) == [second["id"]]
    assert _error(_unpin(api, owner.access_token, general, first["id"]))[:2] == (404, "E_NOT_FOUND")
    assert _error(_unpin(api, owner.access_token, general, UNKNOWN_ID))[:2] == (404, "E_NOT_FOUND")
    assert _pin(api, owner.access_token, general, first["id"]).status == 201  # again, after unpinning
    assert sorted(_pinned_ids(api, owner, general)) == sorted([first["id"], second["id"]])


def test_pinning_twice_is_a_conflict(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    message = _post(api, owner, general)
    assert _pin(api, owner.access_token, general, message["id"]).status == 201
    for account in (owner, member):
        assert _error(_pin(api, account.access_token, general, message["id"])) == (409, "E_CONFLICT", None)
    (only,) = _pins(api, owner.access_token, general).data
    assert only["pinnedBy"] == owner.user_id


def test_only_messages_of_the_channel(api, team):
    ws, owner, _ = team
    general, plans = ws["generalChannelId"], _channel(api, owner, ws, "plans")
    elsewhere = _post(api, owner, plans, "in plans")
    assert _error(_pin(api, owner.access_token, general, elsewhere["id"])) == (400, "E_VALIDATION", "messageId")
    assert _error(_pin(api, owner.access_token, general, "not-an-id")) == (400, "E_VALIDATION", "messageId")
    assert _error(_pin(api, owner.access_token, general, UNKNOWN_ID))[:2] == (404, "E_NOT_FOUND")
    answer = api.post(f"/v1/channels/{general}/pins", {}, token=owner.access_token)
    assert _error(answer) == (400, "E_VALIDATION", "messageId")
    answer = api.post(
        f"/v1/channels/{general}/pins", {"messageId": elsewhere["id"], "note": "x"}, token=owner.access_token
    )
    assert _error(answer) == (400, "E_VALIDATION", "note")

    other = register(api, "olga")
    foreign = _post(api, other, create_workspace(api, other, "Other")["generalChannelId"], "not yours")
    assert _error(_pin(api, owner.access_token, general, foreign["id"]))[:2] == (404, "E_NOT_FOUND")
    assert _pins(api, owner.access_token, general).data == []
    assert _pin(api, owner.access_token, plans, elsewhere["id"]).status == 201


def test_pin_limit(api, team, monkeypatch):
    ws, owner, _ = team
    general = ws["generalChannelId"]
    monkeypatch.setattr(pin_service, "PIN_LIMIT", 2)
    a, b, c = (_post(api, owner, general, name)["id"] for name in "abc")
    assert _pin(api, owner.access_token, general, a).status == 201
    assert _pin(api, owner.access_token, general, b).status == 201
    assert _error(_pin(api, owner.access_token, general, c)) == (409, "E_CONFLICT", None)
    assert _pinned_ids(api, owner, general) == [b, a]
    assert _unpin(api, owner.access_token, general, a).status == 204
    assert _pin(api, owner.access_token, general, c).status == 201
    assert _pinned_ids(api, owner, general) == [c, b]
    assert _error(_pin(api, owner.access_token, general, a)) == (409, "E_CONFLICT", None)


def test_pins_are_paginated(api, team):
    ws, owner, _ = team
    general = ws["generalChannelId"]
    messages = [_post(api, owner, general, f"m{i}")["id"] for i in range(3)]
    for message_id in messages:
        assert _pin(api, owner.access_token, general, message_id).status == 201
    first = _pins(api, owner.access_token, general, "?limit=2")
    assert [p["message"]["id"] for p in first.data] == messages[:0:-1]
    assert first.body["pagination"]["hasMore"] is True
    second = _pins(api, owner.access_token, general, f"?limit=2&cursor={first.body['pagination']['nextCursor']}")
    assert [p["message"]["id"] for p in second.data] == messages[:1]
    assert second.body["pagination"] == {"hasMore": False, "nextCursor": None}
    answer = api.get(f"/v1/channels/{general}/pins?limit=0", token=owner.access_token)
    assert _error(answer) == (400, "E_VALIDATION", "limit")


# --- who may pin -------------------------------------------------------------------


def test_who_may_pin_and_list_pins(api, team):
    ws, owner, member = team
    admin, stranger = register(api, "adam"), register(api, "zoe")
    _join(ws, admin, "admin")
    plans, secret = _channel(api, owner, ws, "plans"), _channel(api, owner, ws, "secret", "private")
    public_msg, private_msg = _post(api, owner, plans, "open"), _post(api, owner, secret, "closed")
    assert _pin(api, owner.access_token, plans, public_msg["id"]).status == 201
    assert _pin(api, owner.access_token, secret, private_msg["id"]).status == 201
    other_public = _post(api, owner, plans, "another")

    for account in (member, admin):  # in the workspace, not in the channels
        assert _pinned_ids(api, account, plans) == [public_msg["id"]]
        assert _error(_pin(api, account.access_token, plans, other_public["id"]))[:2] == (403, "E_AUTHZ_NOT_MEMBER")
        assert _error(_unpin(api, account.access_token, plans, public_msg["id"]))[:2] == (403, "E_AUTHZ_NOT_MEMBER")
        assert _error(api.get(f"/v1/channels/{secret}/pins", token=account.access_token))[:2] == (404, "E_NOT_FOUND")
        assert _error(_pin(api, account.access_token, secret, private_msg["id"]))[:2] == (404, "E_NOT_FOUND")
        assert _error(_unpin(api, account.access_token, secret, private_msg["id"]))[:2] == (404, "E_NOT_FOUND")
    for channel_id in (plans, ws["generalChannelId"]):
        assert _error(api.get(f"/v1/channels/{channel_id}/pins", token=stranger.access_token))[:2] == (
            404,
            "E_NOT_FOUND",
        )
    assert _error(_unpin(api, stranger.access_token, plans, public_msg["id"]))[:2] == (404, "E_NOT_FOUND")
    assert _pinned_ids(api, owner, plans) == [public_msg["id"]]
    assert _pinned_ids(api, owner, secret) == [private_msg["id"]]

    # once in the channel, the admin pins and unpins like any member
    assert api.post(f"/v1/channels/{plans}/join", token=admin.access_token).status == 200
    assert _pin(api, admin.access_token, plans, other_public["id"]).status == 201
    assert _unpin(api, admin.access_token, plans, public_msg["id"]).status == 204
    assert _pinned_ids(api, member, plans) == [other_public["id"]]


def test_archived_channel_takes_no_pins(api, team):
    ws, owner, _ = team
    plans = _channel(api, owner, ws, "plans")
    message = _post(api, owner, plans)
    assert api.delete(f"/v1/channels/{plans}", token=owner.access_token).status == 200
    assert _error(_pin(api, owner.access_token, plans, message["id"]))[:2] == (410, "E_CHANNEL_ARCHIVED")
    assert _pins(api, owner.access_token, plans).data == []


def test_api_tokens_need_the_message_scopes(api, team):
    ws, owner, _ = team
    general = ws["generalChannelId"]
    message = _post(api, owner, general)
    other = create_workspace(api, owner, "Other")

    def mint(workspace_id, scopes):
        body = {"name": "bot", "scopes": scopes}
        answer = api.post(f"/v1/workspaces/{workspace_id}/tokens", body, token=owner.access_token)
        assert answer.status == 201, answer.body
        return answer.data["token"]

    reader, writer = mint(ws["id"], ["messages:read"]), mint(ws["id"], ["messages:write"])
    both = mint(ws["id"], ["messages:read", "messages:write"])
    foreign = mint(other["id"], ["messages:read", "messages:write"])
    scope = (403, "E_AUTHZ_INSUFFICIENT_SCOPE", None)
    # Another workspace's token: the channel does not exist for it (security suite, API1).
    foreign_answer = (404, "E_NOT_FOUND", None)
    assert _error(_pin(api, reader, general, message["id"])) == scope
    assert _error(api.get(f"/v1/channels/{general}/pins", token=writer)) == scope
    assert _error(_pin(api, foreign, general, message["id"])) == foreign_answer
    assert _error(api.get(f"/v1/channels/{general}/pins", token=foreign)) == foreign_answer

    assert _pin(api, both, general, message["id"]).data["pinnedBy"] == owner.user_id
    assert [p["message"]["id"] for p in _pins(api, reader, general).data] == [message["id"]]
    assert _error(_unpin(api, reader, general, message["id"])) == scope
    assert _error(_unpin(api, foreign, general, message["id"])) == foreign_answer
    assert _unpin(api, writer, general, message["id"]).status == 204


# --- events ----------------------------------------------------------------------------


def test_pin_events_come_from_the_stream(api, team):
    ws, owner, member = team
    general = ws["generalChannelId"]
    message = _post(api, owner, general)
    reader = StreamReader()
    reader.read()  # what came before
    assert _pin(api, member.access_token, general, message["id"]).status == 201
    assert _pin(api, owner.access_token, general, message["id"]).status == 409  # no event
    assert _unpin(api, owner.access_token, general, message["id"]).status == 204
    assert _unpin(api, owner.access_token, general, message["id"]).status == 404  # no event

    records = reader.read()
    events = [e for r in records for e in router.events_from_record(r)]
    pins = [(e["type"], e["workspaceId"], e["data"]) for e in events if e["type"].startswith("message.")]
    notice = next(e for e in events if e["type"] == "message.created")  # the system message of the pin
    assert (notice["data"]["type"], notice["data"]["authorId"]) == ("system", member.user_id)
    data = {"messageId": message["id"], "channelId": general}
    assert [p for p in pins if p[0] != "message.created"] == [
        ("message.pinned", ws["id"], {**data, "pinnedBy": member.user_id}),
        ("message.unpinned", ws["id"], {**data, "pinnedBy": member.user_id}),
    ]
    ids = [e["id"] for e in events]
    assert all(i.startswith("evt_") for i in ids) and len(set(ids)) == len(ids)
    assert [e["id"] for r in records for e in router.events_from_record(r)] == ids


def test_pinning_needs_only_the_write_scope(api):
    owner = register(api, "wren")
    ws = create_workspace(api, owner)
    general = ws["generalChannelId"]
    sent = api.post(f"/v1/channels/{general}/messages", {"content": "pin me"}, token=owner.access_token).data
    token = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "w", "scopes": ["messages:write"]}, token=owner.access_token
    ).data["token"]
    assert api.post(f"/v1/channels/{general}/pins", {"messageId": sent["id"]}, token=token).status == 201


def test_deleting_a_pinned_message_frees_its_pin(api, monkeypatch):
    from chalicelib.services import pins as pin_service

    monkeypatch.setattr(pin_service, "PIN_LIMIT", 1)
    owner = register(api, "wren")
    ws = create_workspace(api, owner)
    general = ws["generalChannelId"]
    first, second = (
        api.post(f"/v1/channels/{general}/messages", {"content": c}, token=owner.access_token).data for c in ("a", "b")
    )
    assert api.post(f"/v1/channels/{general}/pins", {"messageId": first["id"]}, token=owner.access_token).status == 201
    assert api.delete(f"/v1/messages/{first['id']}", token=owner.access_token).status == 204
    assert api.get(f"/v1/channels/{general}/pins", token=owner.access_token).data == []
    assert api.post(f"/v1/channels/{general}/pins", {"messageId": second["id"]}, token=owner.access_token).status == 201
