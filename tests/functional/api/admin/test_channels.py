"""Admin v2 channel routes, each with form-encoded and JSON bodies (the ``console`` fixture runs
every test with both): auth, the error shape, create, displayName, add/remove users, query
with its filters and paging, unknown paths and methods."""

from __future__ import annotations

import json

import pytest

from tests.functional.api.admin.conftest import send


def error_of(reply, status: int, field: str | None = None) -> dict:
    assert reply.status == status, reply.body
    body = reply.body
    assert set(body) == {"status", "code", "type", "message", "field", "requestId"}, body
    assert body["status"] == "error" and body["code"] == status and body["requestId"].startswith("req_")
    assert reply.headers["X-Request-Id"] == body["requestId"]
    if field is not None:
        assert body["field"] == field, body
    return body


def create(console, name: str, **fields) -> dict:
    reply = console.call("POST", "/api/v2/channel", {"channelId": name, "type": "standard", **fields})
    assert reply.status == 200, reply.body
    return reply.body


def names(reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [c["channelId"] for c in reply.body["channels"]]


# --- access -----------------------------------------------------------------------------------


def test_only_an_admin_access_token_gets_in(console):
    path, body = "/api/v2/channels", {"filter": "all"}
    assert error_of(console.call("POST", path, body, token=None), 401)["type"] == "E_AUTHN_INVALID_TOKEN"
    error_of(console.call("POST", path, body, token="dqa_not-a-token"), 401)
    login = error_of(console.call("POST", path, body, token=console.owner.access_token), 401)
    assert "Admin Access Token" in login["message"]
    plain = console.mint(console.owner, ["channels:read", "channels:write"])
    assert error_of(console.call("POST", path, body, token=plain), 403)["type"] == "E_AUTHZ_INSUFFICIENT_SCOPE"
    assert console.call("POST", path, body).status == 200


def test_an_admin_token_whose_creator_is_no_longer_admin_is_refused(console):
    token = console.mint(console.admin, ["admin"])
    assert console.call("POST", "/api/v2/channels", {}, token=token).status == 200
    demoted = console.api.patch(
        f"/v1/workspaces/{console.ws['id']}/members/{console.admin.user_id}",
        {"role": "member"},
        token=console.owner.access_token,
    )
    assert demoted.status == 200, demoted.body
    error_of(console.call("POST", "/api/v2/channels", {}, token=token), 403)
    error_of(console.call("POST", "/api/v2/channel", {"channelId": "x1", "type": "standard"}, token=token), 403)


def test_unknown_paths_methods_and_media_types_answer_in_the_admin_shape(console):
    error_of(console.call("POST", "/api/v2/nothing", {}), 404)  # its {proxy+} route (one segment locally)
    from chalicelib.api import fallback  # deeper paths: the local gateway asks the fallback

    deep = fallback.not_found("/api/v2/nothing/here/at/all")
    assert deep.status_code == 404 and json.loads(deep.body)["type"] == "E_NOT_FOUND"
    wrong = error_of(console.call("GET", "/api/v2/channels"), 405)
    assert wrong["type"] == "E_METHOD_NOT_ALLOWED"
    error_of(console.call("POST", "/api/v2/channels", raw="<x/>", content_type="text/xml"), 415, "Content-Type")
    error_of(console.call("POST", "/api/v2/channels", raw="{", content_type="application/json"), 400, "body")


# --- create -----------------------------------------------------------------------------------


def test_create_a_channel_with_every_field(console):
    body = create(
        console,
        "Lobby",
        displayName="The Lobby",
        tags=["news", "Sports"],
        metadata={"color": "red"},
        userIds=[console.alice.user_id, console.bob.user_id],
    )
    assert set(body) == {"channels", "channelUsers", "messagePreviews", "users", "files"}
    (channel,) = body["channels"]
    assert channel["channelId"] == "lobby" and channel["type"] == "standard"
    assert channel["displayName"] == "The Lobby" and channel["tags"] == ["news", "Sports"]
    assert channel["metadata"] == {"color": "red"} and channel["memberCount"] == 3
    assert channel["isDeleted"] is False and channel["isMuted"] is False
    users = {u["userId"]: u for u in body["channelUsers"]}
    assert set(users) == {console.owner.user_id, console.alice.user_id, console.bob.user_id}
    assert all(u["membership"] == "member" for u in users.values())
    assert users[console.owner.user_id]["roles"] == ["channel-moderator"]
    assert {u["userId"] for u in body["users"]} == set(users)
    # The same channel on v1: a public channel named by the channelId.
    v1 = console.api.get(f"/v1/channels/{channel['v1ChannelId']}", token=console.alice.access_token)
    assert v1.status == 200 and v1.data["name"] == "lobby" and v1.data["type"] == "public"


def test_metadata_as_a_json_string(console):
    fields = {"channelId": "meta", "metadata": json.dumps({"n": 1, "nested": {"a": [1, 2]}})}
    reply = console.call("POST", "/api/v2/channel", fields, encoding="form")
    assert reply.status == 200, reply.body
    assert reply.body["channels"][0]["metadata"] == {"n": 1, "nested": {"a": [1, 2]}}


def test_type_defaults_to_standard_and_the_creator_manages(console):
    reply = console.call("POST", "/api/v2/channel", {"channelId": "plain"})
    assert reply.status == 200 and reply.body["channels"][0]["type"] == "standard"
    assert reply.body["channels"][0]["displayName"] == "plain"


def test_create_errors(console):
    create(console, "taken")
    taken = error_of(console.call("POST", "/api/v2/channel", {"channelId": "taken"}), 409, "channelId")
    assert taken["type"] == "E_CONFLICT"
    error_of(console.call("POST", "/api/v2/channel", {"channelId": "no spaces!"}), 400, "channelId")
    error_of(console.call("POST", "/api/v2/channel", {}), 400, "channelId")
    error_of(console.call("POST", "/api/v2/channel", {"channelId": "x", "type": "live"}), 400, "type")
    stranger = "01234567-89ab-7def-8123-456789abcdef"
    bad_user = {"channelId": "withstranger", "userIds": [console.alice.user_id, stranger]}
    error_of(console.call("POST", "/api/v2/channel", bad_user), 400, "userIds[1]")
    # Nothing was written: the name is still free.
    create(console, "withstranger")
    error_of(
        console.call("POST", "/api/v2/channel", {"channelId": "m", "metadata": {"k": "v" * 5000}}), 400, "metadata"
    )
    error_of(console.call("POST", "/api/v2/channel", {"channelId": "t", "tags": ["x"] * 21}), 400, "tags")


# --- displayName, users -----------------------------------------------------------------------


def test_display_name(console):
    create(console, "lobby")
    reply = console.call("POST", "/api/v2/channel/displayName", {"channelId": "lobby", "displayName": "Hall"})
    assert reply.status == 200 and reply.body["channels"][0]["displayName"] == "Hall"
    listed = console.call("POST", "/api/v2/channels", {})
    assert [c["displayName"] for c in listed.body["channels"]] == ["general", "Hall"]
    missing = {"channelId": "nope", "displayName": "Hall"}
    assert error_of(console.call("POST", "/api/v2/channel/displayName", missing), 404)["type"] == "E_NOT_FOUND"
    error_of(console.call("POST", "/api/v2/channel/displayName", {"channelId": "lobby"}), 400, "displayName")
    blank = {"channelId": "lobby", "displayName": ""}
    error_of(console.call("POST", "/api/v2/channel/displayName", blank), 400, "displayName")


def test_add_and_remove_users_of_a_channel_the_admin_is_not_in(console):
    made = console.api.post(
        f"/v1/workspaces/{console.ws['id']}/channels",
        {"name": "alices", "type": "public"},
        token=console.alice.access_token,
    )
    assert made.status == 201, made.body
    path = "/api/v2/channel/alices/users"
    added = console.call("POST", path, {"userIds": [console.bob.user_id]})
    assert added.status == 200, added.body
    assert added.body["channelUsers"] == [
        {
            "userId": console.bob.user_id,
            "channelId": "alices",
            "membership": "member",
            "roles": [],
            "isBanned": False,
            "isMuted": False,
            "muteTimeout": None,
        }
    ]
    assert added.body["channels"][0]["memberCount"] == 2
    again = console.call("POST", path, {"userIds": [console.bob.user_id]})  # already in: passed over
    assert again.status == 200 and again.body["channels"][0]["memberCount"] == 2
    members = console.api.get(f"/v1/channels/{made.data['id']}/members", token=console.alice.access_token)
    assert {m["userId"] for m in members.data} == {console.alice.user_id, console.bob.user_id}

    removed = console.call("DELETE", path, {"userIds": [console.bob.user_id, console.admin.user_id]})
    assert removed.status == 200, removed.body
    assert [u["membership"] for u in removed.body["channelUsers"]] == ["none", "none"]
    assert removed.body["channels"][0]["memberCount"] == 1


def test_users_errors(console):
    create(console, "lobby")
    error_of(console.call("POST", "/api/v2/channel/lobby/users", {}), 400, "userIds")
    error_of(console.call("POST", "/api/v2/channel/lobby/users", {"userIds": ["nope"]}), 400, "userIds[0]")
    stranger = "01234567-89ab-7def-8123-456789abcdef"
    error_of(console.call("POST", "/api/v2/channel/lobby/users", {"userIds": [stranger]}), 400, "userIds[0]")
    error_of(console.call("POST", "/api/v2/channel/ghost/users", {"userIds": [console.bob.user_id]}), 404)
    error_of(console.call("DELETE", "/api/v2/channel/ghost/users", {"userIds": [console.bob.user_id]}), 404)
    error_of(console.call("POST", "/api/v2/channel/NOT%20A%20NAME/users", {"userIds": [stranger]}), 400)


def test_delete_takes_its_fields_in_the_query_string_too(console):
    create(console, "lobby", userIds=[console.bob.user_id])
    reply = send(
        console.api, "DELETE", f"/api/v2/channel/lobby/users?userIds={console.bob.user_id}", token=console.token
    )
    assert reply.status == 200 and reply.body["channelUsers"][0]["membership"] == "none"
    both = send(
        console.api,
        "DELETE",
        f"/api/v2/channel/lobby/users?userIds={console.bob.user_id}",
        {"userIds": [console.bob.user_id]},
        token=console.token,
    )
    error_of(both, 400, "userIds")


# --- query ------------------------------------------------------------------------------------


@pytest.fixture
def channels(console):
    """a..f: the admin (the owner's token) creates a, c, e (so is in them); alice creates b, d, f
    on v1. Tags: a news, b news+sports, c sports, d news, e -, f sports."""
    for name, tags in (("a", ["news"]), ("c", ["sports"]), ("e", [])):
        create(console, f"ch-{name}", tags=tags, userIds=[console.bob.user_id] if name == "a" else [])
    for name in ("b", "d", "f"):
        made = console.api.post(
            f"/v1/workspaces/{console.ws['id']}/channels",
            {"name": f"ch-{name}", "type": "public"},
            token=console.alice.access_token,
        )
        assert made.status == 201
    # v1 channels have no tags: give b, d, f theirs through the store as Admin v2 would have.
    from chalicelib.store import channel_tags
    from chalicelib.store import channels as channel_store
    from chalicelib.store.db import transaction

    ids = channel_store.channel_ids_for_names(console.ws["id"], ["ch-b", "ch-d", "ch-f"])
    for name, tags in (("ch-b", ["news", "sports"]), ("ch-d", ["news"]), ("ch-f", ["sports"])):
        channel = channel_store.get(ids[name])
        channel.update(actions=[type(channel).tags.set(tags)])
        with transaction() as tx:
            for item in channel_tags.tag_items(console.ws["id"], channel.id, tags):
                tx.save(item)
    return console


def query(console, **body) -> list[str]:
    return names(console.call("POST", "/api/v2/channels", body))


def test_query_filters(channels):
    c = channels
    everything = ["ch-a", "ch-b", "ch-c", "ch-d", "ch-e", "ch-f", "general"]
    assert query(c) == everything
    assert query(c, filter="all") == everything
    assert sorted(query(c, filter="member")) == ["ch-a", "ch-c", "ch-e", "general"]
    assert query(c, filter="notMember") == ["ch-b", "ch-d", "ch-f"]
    assert sorted(query(c, userId=c.bob.user_id)) == ["ch-a", "general"]
    assert sorted(query(c, userId=c.alice.user_id, filter="notMember")) == ["ch-b", "ch-d", "ch-f"]
    assert sorted(query(c, tags=["news"])) == ["ch-a", "ch-b", "ch-d"]
    assert query(c, tags=["NEWS", "sports"]) == ["ch-b"]  # all of them, case-insensitive
    assert sorted(query(c, tags=["news"], excludeTags=["sports"])) == ["ch-a", "ch-d"]
    assert query(c, excludeTags=["news", "sports"]) == ["ch-e", "general"]
    assert sorted(query(c, tags=["sports"], filter="member")) == ["ch-c"]
    bundle = c.call("POST", "/api/v2/channels", {"filter": "notMember"}).body
    assert {u["membership"] for u in bundle["channelUsers"]} == {"none"}
    assert bundle["paging"] == {"next": None, "previous": None}


def test_query_pages_forward_and_back_with_tokens(channels):
    c = channels
    first = c.call("POST", "/api/v2/channels", {"options": {"limit": 3}})
    assert names(first) == ["ch-a", "ch-b", "ch-c"] and first.body["paging"]["previous"] is None
    second = c.call("POST", "/api/v2/channels", {"options": {"token": first.body["paging"]["next"]}})
    assert names(second) == ["ch-d", "ch-e", "ch-f"]  # the token keeps the limit
    third = c.call("POST", "/api/v2/channels", {"options": {"token": second.body["paging"]["next"], "limit": 3}})
    assert names(third) == ["general"] and third.body["paging"]["next"] is None
    back = c.call("POST", "/api/v2/channels", {"options": {"token": third.body["paging"]["previous"]}})
    assert names(back) == ["ch-d", "ch-e", "ch-f"]
    start = c.call("POST", "/api/v2/channels", {"options": {"token": back.body["paging"]["previous"]}})
    assert names(start) == ["ch-a", "ch-b", "ch-c"] and start.body["paging"]["previous"] is None
    skipped = c.call("POST", "/api/v2/channels", {"options": {"skip": 2, "limit": 2}})
    assert names(skipped) == ["ch-c", "ch-d"]
    after_skip = c.call("POST", "/api/v2/channels", {"options": {"token": skipped.body["paging"]["next"]}})
    assert names(after_skip) == ["ch-e", "ch-f"]
    filtered = c.call("POST", "/api/v2/channels", {"filter": "notMember", "options": {"limit": 2}})
    assert names(filtered) == ["ch-b", "ch-d"]
    rest = {"filter": "notMember", "options": {"token": filtered.body["paging"]["next"]}}
    assert names(c.call("POST", "/api/v2/channels", rest)) == ["ch-f"]


def test_query_errors(channels):
    c = channels
    first = c.call("POST", "/api/v2/channels", {"options": {"limit": 2}})
    token = first.body["paging"]["next"]
    error_of(c.call("POST", "/api/v2/channels", {"options": {"token": token[:-2] + "xx"}}), 400, "options[token]")
    error_of(c.call("POST", "/api/v2/channels", {"options": {"token": "garbage"}}), 400, "options[token]")
    other_query = {"filter": "member", "options": {"token": token}}
    error_of(c.call("POST", "/api/v2/channels", other_query), 400, "options[token]")
    other = c.mint(c.owner, ["admin"])  # another token: another caller's list
    error_of(c.call("POST", "/api/v2/channels", {"options": {"token": token}}, token=other), 400, "options[token]")
    error_of(c.call("POST", "/api/v2/channels", {"filter": "some"}), 400, "filter")
    error_of(c.call("POST", "/api/v2/channels", {"options": {"limit": 101}}), 400, "options[limit]")
    error_of(c.call("POST", "/api/v2/channels", {"options": {"skip": -1}}), 400, "options[skip]")
    error_of(c.call("POST", "/api/v2/channels", {"userId": "bob"}), 400, "userId")
    error_of(c.call("POST", "/api/v2/channels", {"options": {"page": 2}}), 400, "options[page]")


def test_previous_reaches_ten_pages_back_and_tokens_stay_small(console):
    for index in range(12):
        create(console, f"room-{index:02d}-" + "x" * 60)  # long names: the largest positions
    token, seen = None, []
    for _ in range(12):
        options = {"limit": 1, **({"token": token} if token else {})}
        reply = console.call("POST", "/api/v2/channels", {"filter": "member", "options": options})
        seen += names(reply)
        token = reply.body["paging"]["next"]
        assert token is None or len(token) < 8192
    assert len(seen) == 12 and len(set(seen)) == 12  # of the owner's 13 (general too)
    back, pages = reply.body["paging"]["previous"], 0
    while back:
        reply = console.call("POST", "/api/v2/channels", {"filter": "member", "options": {"token": back}})
        pages += 1
        back = reply.body["paging"]["previous"]
    assert pages == 10 and names(reply) == [seen[1]]  # ten pages back from the twelfth: the second


def test_a_null_token_is_the_first_page_and_hostile_bodies_are_a_400(console):
    create(console, "lobby")
    first = names(console.call("POST", "/api/v2/channels", {}))
    null = console.call("POST", "/api/v2/channels", raw='{"options": {"token": null}}', content_type="application/json")
    assert names(null) == first
    many = "&".join(["tags=a"] * 5000)
    error_of(console.call("POST", "/api/v2/channels", raw=many, content_type="application/x-www-form-urlencoded"), 400)
    deep = "options" + "[a]" * 1000 + "=1"
    bad = error_of(
        console.call("POST", "/api/v2/channels", raw=deep, content_type="application/x-www-form-urlencoded"), 400
    )
    assert bad["field"].startswith("options[a]")
    huge = "&".join(["userIds[]=x"] * 101)
    error_of(
        console.call("POST", "/api/v2/channel/lobby/users", raw=huge, content_type="application/x-www-form-urlencoded"),
        400,
        "userIds",
    )
