"""A message holds at most 20 distinct emoji (store.messages.REACTIONS_CAP): every
reaction grows its item, and one user could add hundreds. The 21st is 409 E_CONFLICT;
reacting with one already there still counts; removing the last reactor of an emoji
frees its slot; concurrent reactors cannot pass the cap. An emoji is at most 52 bytes."""

from __future__ import annotations

import threading
from urllib.parse import quote

from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict
from chalicelib.services import reactions as reaction_service
from chalicelib.store import messages as message_store
from tests.helpers import join_workspace, register

CAP = message_store.REACTIONS_CAP
SHORTCODES = [f":emoji_{n}:" for n in range(CAP + 5)]


def _post(api, account, channel_id):
    answer = api.post(f"/v1/channels/{channel_id}/messages", {"content": "react"}, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data["id"]


def _react(api, account, message_id, emoji):
    return api.post(f"/v1/messages/{message_id}/reactions", {"emoji": emoji}, token=account.access_token)


def test_the_21st_distinct_emoji_is_a_conflict(api, team):
    ws, owner, member = team
    message_id = _post(api, owner, ws["generalChannelId"])
    for emoji in SHORTCODES[:CAP]:
        assert _react(api, owner, message_id, emoji).status == 200
    refused = _react(api, owner, message_id, SHORTCODES[CAP])
    assert (refused.status, refused.error["code"], refused.error["field"]) == (409, "E_CONFLICT", "emoji")
    assert "at most 20 different reactions" in refused.error["message"]
    assert _react(api, member, message_id, "👍").status == 409  # the cap is the message's, not the user's
    # An emoji already there still takes reactors.
    joined = _react(api, member, message_id, SHORTCODES[0])
    assert joined.status == 200
    assert {r["emoji"]: r["count"] for r in joined.data["reactions"]}[SHORTCODES[0]] == 2
    assert len(joined.data["reactions"]) == CAP
    # The last reactor of an emoji leaving frees its slot.
    removed = api.delete(f"/v1/messages/{message_id}/reactions/{quote(SHORTCODES[1])}", token=owner.access_token)
    assert removed.status == 200
    assert _react(api, member, message_id, "👍").status == 200
    assert _react(api, member, message_id, "👎").status == 409


def test_concurrent_reactors_cannot_pass_the_cap(api, team):
    ws, owner, _ = team
    message_id = _post(api, owner, ws["generalChannelId"])
    for emoji in SHORTCODES[: CAP - 1]:
        assert _react(api, owner, message_id, emoji).status == 200
    principal = Principal(user_id=owner.user_id, kind="session")
    outcomes: list[str] = []

    def react(emoji):
        try:
            reaction_service.add(principal, message_id, emoji)
            outcomes.append("added")
        except Conflict:
            outcomes.append("refused")

    workers = [threading.Thread(target=react, args=(e,)) for e in SHORTCODES[CAP - 1 : CAP + 4]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes) == ["added"] + ["refused"] * 4
    shown = api.get(f"/v1/messages/{message_id}", token=owner.access_token).data
    assert len(shown["reactions"]) == CAP


def test_an_emoji_is_at_most_52_bytes(api, team):
    ws, owner, _ = team
    message_id = _post(api, owner, ws["generalChannelId"])
    longest = ":" + "x" * 50 + ":"
    assert _react(api, owner, message_id, longest).status == 200
    for too_long in (":" + "x" * 51 + ":", "👍" * 14, "🏳️‍🌈" * 4):
        refused = _react(api, owner, message_id, too_long)
        assert (refused.status, refused.error["field"]) == (400, "emoji"), too_long
    family = "👨\u200d👩\u200d👧\u200d👦"  # a ZWJ sequence: 25 bytes
    assert _react(api, owner, message_id, family).status == 200


def test_a_new_member_reacting_is_refused_at_the_cap_too(api, team):
    ws, owner, _ = team
    late = register(api, "late")
    join_workspace(ws, late)
    message_id = _post(api, owner, ws["generalChannelId"])
    for emoji in SHORTCODES[:CAP]:
        assert _react(api, owner, message_id, emoji).status == 200
    assert _react(api, late, message_id, SHORTCODES[CAP]).status == 409
    assert _react(api, late, message_id, SHORTCODES[5]).status == 200
