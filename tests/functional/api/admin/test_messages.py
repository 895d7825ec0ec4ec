"""Admin v2 message routes, each with form-encoded and JSON bodies (the ``console`` fixture runs
every test with both): create (text, custom, tags, metadata, parentId) through v1's send (its
rules and the moderation engine), get, delete, and the query's windows and paging."""

from __future__ import annotations

import pytest

from tests.functional.api.admin.test_channels import create as create_channel
from tests.functional.api.admin.test_channels import error_of


def lobby(console, **fields) -> str:
    """#lobby with alice and bob in it; its v1 id."""
    body = create_channel(console, "lobby", userIds=[console.alice.user_id, console.bob.user_id], **fields)
    return body["channels"][0]["v1ChannelId"]


def say(console, text: str, **fields) -> dict:
    reply = console.call(
        "POST", "/api/v2/message", {"channelId": "lobby", "type": "text", "data": {"text": text}, **fields}
    )
    assert reply.status == 200, reply.body
    (message,) = reply.body["messages"]
    return message


def query(console, **fields):
    return console.call("POST", "/api/v2/messages", {"channelId": "lobby", **fields})


def texts(reply) -> list[str]:
    """The texts of the people's messages (joins are v1 system messages, listed too)."""
    assert reply.status == 200, reply.body
    return [m["data"]["text"] for m in reply.body["messages"] if m["v1Type"] != "system"]


# --- create -----------------------------------------------------------------------------------


def test_create_a_text_message_with_every_field(console):
    channel_id = lobby(console)
    reply = console.call(
        "POST",
        "/api/v2/message",
        {
            "channelId": "lobby",
            "type": "text",
            "data": {"text": "hello **all**"},
            "tags": ["news", "pinned"],
            "metadata": {"source": "console"},
        },
    )
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"messages", "users", "files"}
    (message,) = reply.body["messages"]
    assert message["channelId"] == "lobby" and message["creatorId"] == console.owner.user_id
    assert message["dataType"] == "text" and message["data"] == {"text": "hello **all**"}
    assert message["tags"] == ["news", "pinned"] and message["metadata"] == {"source": "console"}
    assert message["parentId"] is None and message["childCount"] == 0 and message["isDeleted"] is False
    assert message["reactions"] == {} and message["reactionCount"] == 0 and message["flagCount"] == 0
    assert message["createdAt"] == message["updatedAt"] and message["editedAt"] is None
    assert [u["userId"] for u in reply.body["users"]] == [console.owner.user_id]
    # v1 sees the same message (one store, one send)
    listed = console.api.get(f"/v1/channels/{channel_id}/messages", token=console.alice.access_token)
    assert listed.data[0]["id"] == message["messageId"] and listed.data[0]["content"] == "hello **all**"


def test_create_a_custom_message(console):
    lobby(console)
    reply = console.call(
        "POST", "/api/v2/message", {"channelId": "lobby", "type": "custom", "data": {"poll": "lunch?", "votes": "3"}}
    )
    assert reply.status == 200, reply.body
    (message,) = reply.body["messages"]
    assert message["dataType"] == "custom" and message["data"] == {"poll": "lunch?", "votes": "3"}
    got = console.call("GET", f"/api/v2/message/{message['messageId']}")
    assert got.body["messages"][0]["data"] == {"poll": "lunch?", "votes": "3"}


def test_a_reply_counts_on_its_parent_and_replies_are_queried_by_parent(console):
    lobby(console)
    parent = say(console, "question")
    reply = say(console, "answer", parentId=parent["messageId"])
    assert reply["parentId"] == parent["messageId"]
    got = console.call("GET", f"/api/v2/message/{parent['messageId']}")
    assert got.body["messages"][0]["childCount"] == 1
    assert texts(query(console, parentId=parent["messageId"])) == ["answer"]
    assert texts(query(console)) == ["question"]  # top-level only: replies are read by parentId
    true = True if console.encoding == "json" else "true"  # a form's boolean is the string
    assert texts(query(console, filterByParentId=true)) == ["question"]
    error_of(query(console, parentId=parent["messageId"], filterByParentId=true), 400, "parentId")
    # a reply to a reply: v1's rule (threads are one level deep), named as Admin v2 names it
    error_of(
        console.call(
            "POST",
            "/api/v2/message",
            {"channelId": "lobby", "type": "text", "data": {"text": "x"}, "parentId": reply["messageId"]},
        ),
        400,
        "parentId",
    )


def test_create_errors(console):
    lobby(console)
    path = "/api/v2/message"
    error_of(console.call("POST", path, {"channelId": "nowhere", "type": "text", "data": {"text": "x"}}), 404)
    error_of(console.call("POST", path, {"channelId": "lobby", "type": "video", "data": {"text": "x"}}), 400, "type")
    error_of(
        console.call("POST", path, {"channelId": "lobby", "type": "text", "data": {"nope": "x"}}), 400, "data[text]"
    )
    error_of(console.call("POST", path, {"channelId": "lobby", "type": "text"}), 400, "data")
    twice = console.call("POST", path, {"channelId": "lobby", "data": {"text": "x"}, "tags": ["a"] * 2})
    assert twice.body["messages"][0]["tags"] == ["a"]  # repeated tags count once
    too_many = [f"t{i}" for i in range(11)]
    error_of(console.call("POST", path, {"channelId": "lobby", "data": {"text": "x"}, "tags": too_many}), 400, "tags")
    big = {"blob": "x" * 9000}
    error_of(console.call("POST", path, {"channelId": "lobby", "type": "custom", "data": big}), 400, "data")


def test_the_moderation_engine_refuses_a_matching_message(console):
    from chalicelib.auth.principal import Principal
    from chalicelib.services import moderation

    lobby(console)
    owner = Principal(user_id=console.owner.user_id, kind="session")
    moderation.create_records(owner, console.ws["id"], "blacklist", ["forbidden"], exact_word=True)
    path = "/api/v2/message"
    refused = error_of(console.call("POST", path, {"channelId": "lobby", "data": {"text": "a Forbidden word"}}), 400)
    assert refused["type"] == "E_MODERATION_BLOCKED" and refused["field"] == "data[text]"
    custom = {"channelId": "lobby", "type": "custom", "data": {"caption": "so forbidden"}}
    assert error_of(console.call("POST", path, custom), 400, "data")["type"] == "E_MODERATION_BLOCKED"
    assert say(console, "forbiddenly fine")["data"]["text"] == "forbiddenly fine"  # exact word only
    # the same text is refused on v1 too: one engine
    v1 = console.api.post(
        f"/v1/channels/{lobby_id(console)}/messages", {"content": "forbidden"}, token=console.alice.access_token
    )
    assert v1.status == 400 and v1.error["code"] == "E_MODERATION_BLOCKED"


def lobby_id(console) -> str:
    listed = console.call("POST", "/api/v2/channels", {"filter": "member"})
    return {c["channelId"]: c["v1ChannelId"] for c in listed.body["channels"]}["lobby"]


def test_v1_rules_apply_muted_archived_and_not_a_member(console):
    lobby(console)
    console.call("PUT", "/api/v2/channel/lobby/users/mute", {"userIds": [console.owner.user_id]})
    muted = error_of(console.call("POST", "/api/v2/message", {"channelId": "lobby", "data": {"text": "x"}}), 403)
    assert muted["type"] == "E_CHANNEL_MUTED"
    alices = console.api.post(
        f"/v1/workspaces/{console.ws['id']}/channels",
        {"name": "alices", "type": "public"},
        token=console.alice.access_token,
    )
    assert alices.status == 201, alices.body
    outside = error_of(console.call("POST", "/api/v2/message", {"channelId": "alices", "data": {"text": "x"}}), 403)
    assert outside["type"] == "E_AUTHZ_NOT_MEMBER"


# --- get, delete ------------------------------------------------------------------------------


def test_get_and_delete(console):
    lobby(console)
    mine = say(console, "mine")
    alices = console.api.post(
        f"/v1/channels/{lobby_id(console)}/messages", {"content": "alice's"}, token=console.alice.access_token
    )
    assert alices.status == 201, alices.body
    got = console.call("GET", f"/api/v2/message/{alices.data['id']}")
    assert got.status == 200 and got.body["messages"][0]["creatorId"] == console.alice.user_id
    assert got.body["messages"][0]["channelId"] == "lobby"
    assert [u["userId"] for u in got.body["users"]] == [console.alice.user_id]
    deleted = console.call("DELETE", f"/api/v2/message/{alices.data['id']}")  # an admin deletes anyone's
    assert deleted.status == 200 and deleted.body["messages"][0]["isDeleted"] is True, deleted.body
    error_of(console.call("GET", f"/api/v2/message/{alices.data['id']}"), 404)
    error_of(console.call("DELETE", f"/api/v2/message/{alices.data['id']}"), 404)
    error_of(console.call("GET", "/api/v2/message/not-an-id"), 400, "messageId")
    assert texts(query(console)) == ["mine"]
    # a parent with replies stays as a tombstone (v1's rule)
    say(console, "reply", parentId=mine["messageId"])
    console.call("DELETE", f"/api/v2/message/{mine['messageId']}")
    (tomb,) = [m for m in query(console).body["messages"] if m["v1Type"] != "system"]
    assert tomb["isDeleted"] is True and tomb["childCount"] == 1 and tomb["data"] == {"text": ""}


def test_a_private_channel_the_admin_is_not_in_is_404(console):
    made = console.api.post(
        f"/v1/workspaces/{console.ws['id']}/channels",
        {"name": "secret", "type": "private"},
        token=console.alice.access_token,
    )
    assert made.status == 201, made.body
    sent = console.api.post(
        f"/v1/channels/{made.data['id']}/messages", {"content": "psst"}, token=console.alice.access_token
    )
    error_of(console.call("GET", f"/api/v2/message/{sent.data['id']}"), 404)
    error_of(query(console, channelId="secret"), 404)


# --- query ------------------------------------------------------------------------------------


@pytest.fixture
def ten(console) -> list[str]:
    """#lobby (nobody added: no system messages) with messages m0..m9 (m0 the oldest): their ids."""
    create_channel(console, "lobby")
    return [say(console, f"m{i}", tags=["even" if i % 2 == 0 else "odd"])["messageId"] for i in range(10)]


def test_the_default_window_is_the_newest_twenty_oldest_first(console, ten):
    reply = query(console)
    assert texts(reply) == [f"m{i}" for i in range(10)]
    assert reply.body["paging"] == {"next": None, "previous": None}


def test_first_last_after_before_are_exact_windows(console, ten):
    assert texts(query(console, options={"first": 3})) == ["m0", "m1", "m2"]
    assert texts(query(console, options={"last": 3})) == ["m7", "m8", "m9"]
    assert texts(query(console, options={"after": ten[2], "first": 2})) == ["m3", "m4"]
    assert texts(query(console, options={"before": ten[5], "last": 2})) == ["m3", "m4"]
    assert texts(query(console, options={"after": ten[2]})) == [f"m{i}" for i in range(3, 10)]
    assert texts(query(console, options={"before": ten[2]})) == ["m0", "m1"]
    assert texts(query(console, options={"after": ten[2], "before": ten[6]})) == ["m3", "m4", "m5"]
    assert texts(query(console, options={"after": ten[2], "before": ten[6], "last": 2})) == ["m4", "m5"]
    error_of(query(console, options={"first": 2, "last": 2}), 400, "options[last]")
    error_of(query(console, options={"first": 0}), 400, "options[first]")
    error_of(query(console, options={"first": 101}), 400, "options[first]")
    error_of(query(console, options={"after": "nope"}), 400, "options[after]")


def walk(console, fields: dict, direction: str) -> list[list[str]]:
    pages = []
    reply = query(console, **fields)
    while True:
        pages.append(texts(reply))
        token = reply.body["paging"][direction]
        if token is None:
            return pages
        reply = query(console, **{k: v for k, v in fields.items() if k != "options"}, options={"token": token})


def test_tokens_walk_both_ways_without_duplicates_or_gaps(console, ten):
    forward = walk(console, {"options": {"first": 3}}, "next")
    assert forward == [["m0", "m1", "m2"], ["m3", "m4", "m5"], ["m6", "m7", "m8"], ["m9"]]
    backward = walk(console, {"options": {"last": 4}}, "previous")
    assert backward == [["m6", "m7", "m8", "m9"], ["m2", "m3", "m4", "m5"], ["m0", "m1"]]
    # from the middle: previous and next of one window meet its neighbours exactly
    middle = query(console, options={"after": ten[3], "first": 2})
    assert texts(middle) == ["m4", "m5"]
    token = {"options": {"token": middle.body["paging"]["previous"]}}
    assert texts(query(console, **token)) == ["m2", "m3"]
    token = {"options": {"token": middle.body["paging"]["next"]}}
    assert texts(query(console, **token)) == ["m6", "m7"]
    # a message written between pages shows up on the next page, once
    first = query(console, options={"first": 9})
    say(console, "m10")
    assert texts(query(console, options={"token": first.body["paging"]["next"]})) == ["m9", "m10"]


def test_a_token_is_bound_to_its_query(console, ten):
    page = query(console, options={"first": 2})
    token = page.body["paging"]["next"]
    error_of(query(console, tags=["odd"], options={"token": token}), 400, "options[token]")
    error_of(query(console, options={"token": token, "first": 3}), 400, "options[first]")
    error_of(query(console, options={"token": token[:-3] + "abc"}), 400, "options[token]")


def test_tags_and_exclude_tags(console, ten):
    assert texts(query(console, tags=["odd"])) == ["m1", "m3", "m5", "m7", "m9"]
    assert texts(query(console, excludeTags=["odd"])) == ["m0", "m2", "m4", "m6", "m8"]
    assert texts(query(console, tags=["odd"], excludeTags=["odd"])) == []
    pages = walk(console, {"tags": ["even"], "options": {"first": 2}}, "next")
    assert pages == [["m0", "m2"], ["m4", "m6"], ["m8"]]


def test_query_errors(console, ten):
    error_of(query(console, channelId="nowhere"), 404)
    error_of(query(console, channelId="Not A Name!"), 400, "channelId")
    error_of(query(console, parentId="nope"), 400, "parentId")
    error_of(query(console, parentId=ten[0].replace(ten[0][-4:], "0000")), 400, "parentId")
    error_of(query(console, filterByParentId="maybe"), 400, "filterByParentId")


def test_create_replays_with_its_idempotency_key_and_fields_may_come_in_the_query_string(console):
    lobby(console)
    body = {"channelId": "lobby", "type": "text", "data": {"text": "once"}}
    first = console.call("POST", "/api/v2/message", body, headers={"Idempotency-Key": "k-1"})
    again = console.call("POST", "/api/v2/message", body, headers={"Idempotency-Key": "k-1"})
    assert again.status == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.body["messages"][0]["messageId"] == first.body["messages"][0]["messageId"]
    assert texts(query(console)).count("once") == 1
    # a GET's fields in the query string (clients that send no GET body)
    message_id = first.body["messages"][0]["messageId"]
    got = console.call("GET", f"/api/v2/message/{message_id}?unexpected=1")
    error_of(got, 400, "unexpected")


def test_a_demoted_admin_token_may_not_read_or_write_messages(console):
    lobby(console)
    message_id = say(console, "hello")["messageId"]
    token = console.mint(console.admin, ["admin"])
    demoted = console.api.patch(
        f"/v1/workspaces/{console.ws['id']}/members/{console.admin.user_id}",
        {"role": "member"},
        token=console.owner.access_token,
    )
    assert demoted.status == 200, demoted.body
    error_of(console.call("GET", f"/api/v2/message/{message_id}", token=token), 403)
    error_of(console.call("POST", "/api/v2/messages", {"channelId": "lobby"}, token=token), 403)
    error_of(console.call("DELETE", f"/api/v2/message/{message_id}", token=token), 403)


def test_rare_tags_read_ahead_and_walk_without_gaps(console):
    create_channel(console, "lobby")
    for index in range(40):
        say(console, f"m{index}", tags=["rare"] if index in (5, 35) else ["common"])
    pages = walk(console, {"tags": ["rare"], "options": {"first": 1}}, "next")
    assert [page for page in pages if page] == [["m5"], ["m35"]]
    backward = walk(console, {"tags": ["rare"], "options": {"last": 1}}, "previous")
    assert [page for page in backward if page] == [["m35"], ["m5"]]
    assert texts(query(console, excludeTags=["common"])) == ["m5", "m35"]
