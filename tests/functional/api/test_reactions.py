"""Reactions: POST /v1/messages/{id}/reactions and DELETE .../reactions/{emoji}.
One reaction per user and emoji, only your own removed, exact counts on the message
under concurrent reactors (up to the userIds cap), who may react, and the stream's events."""

from __future__ import annotations

import threading
from urllib.parse import quote

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.ids import new_id, now_iso
from chalicelib.services import reactions as reaction_service
from chalicelib.store import messages as message_store
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.workers import router
from tests.functional.workers.pipeline import StreamReader
from tests.helpers import create_workspace, join_workspace, register

UNKNOWN_ID = "01a2088c-37fa-72c1-8671-8ba9a11937e0"
THUMBS_UP, TONED, FAMILY = "👍", "👍🏽", "👨\u200d👩\u200d👧\u200d👦"


# --- helpers -------------------------------------------------------------------------


_join = join_workspace


def _members(ws, count):
    """Users and workspace memberships written straight into the store: registering
    them through the API costs a password hash each. Public channels need no channel
    membership to react."""
    user_ids = []
    for i in range(count):
        user_id = new_id()
        user_store.new_user(user_id, f"reactor{i}@example.com", f"reactor{i}", f"Reactor {i}", now_iso()).save()
        workspace_store.new_membership(ws["id"], user_id, "member", now_iso()).save()
        user_ids.append(user_id)
    return user_ids


def _in_parallel(action, arguments):
    failures = []

    def run(argument):
        try:
            action(argument)
        except Exception as error:  # reported by the assertion below
            failures.append(error)

    workers = [threading.Thread(target=run, args=(a,)) for a in arguments]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []


def _post(api, account, channel_id, content="react to me"):
    answer = api.post(f"/v1/channels/{channel_id}/messages", {"content": content}, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data["id"]


def _react(api, token, message_id, emoji):
    return api.post(f"/v1/messages/{message_id}/reactions", {"emoji": emoji}, token=token)


def _unreact(api, token, message_id, emoji):
    return api.delete(f"/v1/messages/{message_id}/reactions/{quote(emoji, safe='')}", token=token)


def _reactions(api, account, message_id):
    answer = api.get(f"/v1/messages/{message_id}", token=account.access_token)
    assert answer.status == 200, answer.body
    return answer.data["reactions"]


def _tally(api, account, message_id):
    return {r["emoji"]: (r["count"], sorted(r["userIds"])) for r in _reactions(api, account, message_id)}


def _error(answer):
    return answer.status, answer.error["code"], answer.error.get("field")


def _as(user_id):
    return Principal(user_id=user_id, kind="session")


@pytest.fixture
def team(api):
    """A workspace (owner and a member in #general) and a message of the owner's there."""
    owner, member = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, owner)
    _join(ws, member)
    return ws, owner, member, _post(api, owner, ws["generalChannelId"])


# --- adding --------------------------------------------------------------------------


def test_unicode_emoji_and_shortcodes(api, team):
    _, owner, member, message_id = team
    for emoji in (THUMBS_UP, TONED, FAMILY, ":tada:", ":+1:", ":flag_fr:"):
        answer = _react(api, member.access_token, message_id, emoji)
        assert answer.status == 200, (emoji, answer.body)
        assert {"emoji": emoji, "count": 1, "userIds": [member.user_id]} in answer.data["reactions"]
    assert _tally(api, owner, message_id) == {
        e: (1, [member.user_id]) for e in (THUMBS_UP, TONED, FAMILY, ":tada:", ":+1:", ":flag_fr:")
    }


def test_anything_else_is_not_an_emoji(api, team):
    _, owner, member, message_id = team
    for emoji in ("abc", THUMBS_UP * 2, "", " ", "<script>", ":tada", "tada:", "::", ":Tada:", "👍 👍", "a👍", 7, None):
        answer = _react(api, member.access_token, message_id, emoji)
        assert _error(answer) == (400, "E_VALIDATION", "emoji"), emoji
    answer = api.post(f"/v1/messages/{message_id}/reactions", {}, token=member.access_token)
    assert _error(answer) == (400, "E_VALIDATION", "emoji")
    answer = api.post(
        f"/v1/messages/{message_id}/reactions", {"emoji": THUMBS_UP, "skin": 3}, token=member.access_token
    )
    assert _error(answer) == (400, "E_VALIDATION", "skin")
    assert _reactions(api, owner, message_id) == []


def test_reacting_again_changes_nothing(api, team):
    _, owner, member, message_id = team
    for _ in range(3):
        answer = _react(api, member.access_token, message_id, THUMBS_UP)
        assert answer.status == 200, answer.body
        assert answer.data["reactions"] == [{"emoji": THUMBS_UP, "count": 1, "userIds": [member.user_id]}]
    _react(api, owner.access_token, message_id, THUMBS_UP)
    _react(api, owner.access_token, message_id, ":tada:")
    shown = _reactions(api, owner, message_id)
    assert [(r["emoji"], r["count"]) for r in shown] == [(THUMBS_UP, 2), (":tada:", 1)]  # most used first
    assert sorted(shown[0]["userIds"]) == sorted([member.user_id, owner.user_id])


# --- removing ------------------------------------------------------------------------


def test_remove_only_your_own(api, team):
    _, owner, member, message_id = team
    for emoji in (THUMBS_UP, FAMILY, ":tada:"):
        assert _react(api, member.access_token, message_id, emoji).status == 200
    assert _react(api, owner.access_token, message_id, THUMBS_UP).status == 200

    removed = _unreact(api, owner.access_token, message_id, THUMBS_UP)
    assert removed.status == 200, removed.body
    assert {"emoji": THUMBS_UP, "count": 1, "userIds": [member.user_id]} in removed.data["reactions"]
    assert _error(_unreact(api, owner.access_token, message_id, THUMBS_UP))[:2] == (404, "E_NOT_FOUND")
    assert _error(_unreact(api, owner.access_token, message_id, ":tada:"))[:2] == (404, "E_NOT_FOUND")  # bob's
    assert _error(_unreact(api, owner.access_token, message_id, TONED))[:2] == (404, "E_NOT_FOUND")  # nobody's
    assert _tally(api, owner, message_id) == {e: (1, [member.user_id]) for e in (THUMBS_UP, FAMILY, ":tada:")}

    for emoji in (FAMILY, ":tada:", THUMBS_UP):
        assert _unreact(api, member.access_token, message_id, emoji).status == 200, emoji
    assert _reactions(api, owner, message_id) == []
    assert _react(api, member.access_token, message_id, THUMBS_UP).data["reactions"][0]["count"] == 1
    answer = api.delete(f"/v1/messages/{message_id}/reactions/abc", token=member.access_token)
    assert _error(answer) == (400, "E_VALIDATION", "emoji")


# --- who may react -------------------------------------------------------------------


def test_who_may_react(api, team):
    ws, owner, member, general_message = team
    stranger = register(api, "zoe")
    plans = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "plans"}, token=owner.access_token).data["id"]
    secret = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "secret", "type": "private"}, token=owner.access_token
    ).data["id"]
    public_message, private_message = _post(api, owner, plans), _post(api, owner, secret)

    # a workspace member outside a public channel may react and remove it
    assert _react(api, member.access_token, public_message, THUMBS_UP).status == 200
    assert _unreact(api, member.access_token, public_message, THUMBS_UP).status == 200
    for account, message_id in ((member, private_message), (stranger, public_message), (stranger, general_message)):
        assert _error(_react(api, account.access_token, message_id, THUMBS_UP))[:2] == (404, "E_NOT_FOUND")
        assert _error(_unreact(api, account.access_token, message_id, THUMBS_UP))[:2] == (404, "E_NOT_FOUND")
    assert _error(_react(api, owner.access_token, UNKNOWN_ID, THUMBS_UP))[:2] == (404, "E_NOT_FOUND")
    answer = _react(api, owner.access_token, "not-an-id", THUMBS_UP)
    assert _error(answer) == (400, "E_VALIDATION", "messageId")

    # a message deleted (or a tombstone) takes no reactions
    assert api.delete(f"/v1/messages/{public_message}", token=owner.access_token).status == 204
    assert _error(_react(api, owner.access_token, public_message, THUMBS_UP))[:2] == (404, "E_NOT_FOUND")
    reply = {"content": "reply", "threadId": private_message}
    assert api.post(f"/v1/channels/{secret}/messages", reply, token=owner.access_token).status == 201
    assert api.delete(f"/v1/messages/{private_message}", token=owner.access_token).status == 204
    assert _error(_react(api, owner.access_token, private_message, THUMBS_UP))[:2] == (404, "E_NOT_FOUND")


def test_api_tokens_need_messages_write(api, team):
    ws, owner, _, message_id = team
    other = create_workspace(api, owner, "Other")

    def mint(workspace_id, scopes):
        body = {"name": "bot", "scopes": scopes}
        answer = api.post(f"/v1/workspaces/{workspace_id}/tokens", body, token=owner.access_token)
        assert answer.status == 201, answer.body
        return answer.data["token"]

    reader, writer = mint(ws["id"], ["messages:read"]), mint(ws["id"], ["messages:write"])
    foreign = mint(other["id"], ["messages:read", "messages:write"])
    assert _error(_react(api, reader, message_id, THUMBS_UP)) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE", None)
    assert _error(_react(api, foreign, message_id, THUMBS_UP)) == (404, "E_NOT_FOUND", None)
    assert _react(api, writer, message_id, THUMBS_UP).data["reactions"][0]["userIds"] == [owner.user_id]
    assert _error(_unreact(api, reader, message_id, THUMBS_UP)) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE", None)
    assert _error(_unreact(api, foreign, message_id, THUMBS_UP)) == (404, "E_NOT_FOUND", None)
    assert _unreact(api, writer, message_id, THUMBS_UP).status == 200
    assert _reactions(api, owner, message_id) == []


# --- concurrency and the userIds cap ---------------------------------------------------


def test_fifty_concurrent_reactors_are_all_counted(api, team):
    ws, owner, _, message_id = team
    reactors = _members(ws, 50)
    assert message_store.REACTION_USERS_CAP == 50
    _in_parallel(lambda user_id: reaction_service.add(_as(user_id), message_id, THUMBS_UP), reactors)
    (shown,) = _reactions(api, owner, message_id)
    assert (shown["emoji"], shown["count"], len(shown["userIds"])) == (THUMBS_UP, 50, 50)
    assert sorted(shown["userIds"]) == sorted(reactors)

    leaving = reactors[::10]  # five at once: each removal is conditioned on the exact count and retries
    _in_parallel(lambda user_id: reaction_service.remove(_as(user_id), message_id, THUMBS_UP), leaving)
    staying = sorted(set(reactors) - set(leaving))
    assert _tally(api, owner, message_id) == {THUMBS_UP: (len(staying), staying)}


def test_concurrent_adds_and_removes_keep_the_count_exact(api, team):
    ws, owner, _, message_id = team
    reactors = _members(ws, 12)
    for user_id in reactors[:6]:
        reaction_service.add(_as(user_id), message_id, ":tada:")

    def flip(index):
        user_id = reactors[index]
        if index < 6:
            reaction_service.remove(_as(user_id), message_id, ":tada:")
        else:
            reaction_service.add(_as(user_id), message_id, ":tada:")

    _in_parallel(flip, range(12))
    assert _tally(api, owner, message_id) == {":tada:": (6, sorted(reactors[6:]))}


# --- events ----------------------------------------------------------------------------


def test_reaction_events_come_from_the_stream(api, team):
    ws, owner, member, message_id = team
    reader = StreamReader()
    reader.read()  # what came before
    _react(api, member.access_token, message_id, THUMBS_UP)
    _react(api, member.access_token, message_id, THUMBS_UP)  # no second event
    _react(api, owner.access_token, message_id, ":tada:")
    _unreact(api, member.access_token, message_id, THUMBS_UP)
    _unreact(api, member.access_token, message_id, THUMBS_UP)  # 404: nothing to remove

    records = reader.read()
    events = [e for r in records for e in router.events_from_record(r)]
    general = ws["generalChannelId"]
    assert [(e["type"], e["workspaceId"], e["data"]) for e in events] == [
        (
            "reaction.added",
            ws["id"],
            {"messageId": message_id, "channelId": general, "emoji": THUMBS_UP, "userId": member.user_id},
        ),
        (
            "reaction.added",
            ws["id"],
            {"messageId": message_id, "channelId": general, "emoji": ":tada:", "userId": owner.user_id},
        ),
        (
            "reaction.removed",
            ws["id"],
            {"messageId": message_id, "channelId": general, "emoji": THUMBS_UP, "userId": member.user_id},
        ),
    ]
    ids = [e["id"] for e in events]
    assert all(i.startswith("evt_") for i in ids) and len(set(ids)) == 3
    assert [e["id"] for r in records for e in router.events_from_record(r)] == ids


# --- past the cap of listed users, and under contention --------------------------------


def test_past_the_cap_the_count_stays_exact_and_user_ids_are_capped(api, team, monkeypatch):
    ws, owner, _, message_id = team
    monkeypatch.setattr(message_store, "REACTION_USERS_CAP", 3)
    reactors = _members(ws, 5)
    for user_id in reactors:
        reaction_service.add(_as(user_id), message_id, "👍")
    (entry,) = _reactions(api, owner, message_id)
    assert entry["count"] == 5 and entry["userIds"] == reactors[:3]
    reaction_service.remove(_as(reactors[4]), message_id, "👍")  # not listed
    reaction_service.remove(_as(reactors[0]), message_id, "👍")  # listed
    (entry,) = _reactions(api, owner, message_id)
    assert entry["count"] == 3 and entry["userIds"] == reactors[1:3]
    for user_id in reactors[1:4]:
        reaction_service.remove(_as(user_id), message_id, "👍")
    assert _reactions(api, owner, message_id) == []


def test_many_concurrent_removals_all_succeed_and_stay_exact(api, team):
    ws, owner, _, message_id = team
    reactors = _members(ws, 25)
    _in_parallel(lambda uid: reaction_service.add(_as(uid), message_id, ":tada:"), reactors)
    _in_parallel(lambda uid: reaction_service.remove(_as(uid), message_id, ":tada:"), reactors[:20])
    (entry,) = _reactions(api, owner, message_id)
    assert entry["count"] == 5 and sorted(entry["userIds"]) == sorted(reactors[20:])
