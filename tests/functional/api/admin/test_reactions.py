"""Admin v2 reaction routes, each with form-encoded and JSON bodies: react and unreact as the
token's creator (v1's service: exact counts, one per user), reactors with their filter and
paging, and the most reacted messages of a channel from the maintained ranking."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.functional.api.admin.test_channels import create as create_channel
from tests.functional.api.admin.test_channels import error_of
from tests.functional.api.admin.test_messages import say

THUMBS = "\U0001f44d"


def react(console, message_id: str, name: str = THUMBS, method: str = "POST", **kw):
    body = {"referenceId": message_id, "referenceType": "message", "reactionName": name}
    return console.call(method, "/api/v2/reactions", body, **kw)


def v1_react(console, account, message_id: str, emoji: str = THUMBS):
    answer = console.api.post(f"/v1/messages/{message_id}/reactions", {"emoji": emoji}, token=account.access_token)
    assert answer.status in (200, 201), answer.body


def reactors(console, message_id: str, **options):
    body = {"referenceId": message_id, "referenceType": "message"}
    if options:
        body["options"] = options
    return console.call("GET", "/api/v2/reactions", body)


def most(console, name: str = THUMBS, **fields):
    return console.call(
        "GET", "/api/v2/reactions/messages/most", {"channelId": "lobby", "reactionName": name, **fields}
    )


def test_react_and_unreact_as_the_admin(console):
    create_channel(console, "lobby")
    message = say(console, "hello")
    reacted = react(console, message["messageId"])
    assert reacted.status == 200, reacted.body
    (shown,) = reacted.body["messages"]
    assert shown["reactions"] == {THUMBS: 1} and shown["reactionCount"] == 1
    again = react(console, message["messageId"])  # reacting twice is reacting once
    assert again.body["messages"][0]["reactions"] == {THUMBS: 1}
    shortcode = react(console, message["messageId"], ":tada:")
    assert shortcode.body["messages"][0]["reactions"] == {THUMBS: 1, ":tada:": 1}
    assert shortcode.body["messages"][0]["reactionCount"] == 2
    removed = react(console, message["messageId"], method="DELETE")
    assert removed.status == 200 and removed.body["messages"][0]["reactions"] == {":tada:": 1}
    assert error_of(react(console, message["messageId"], method="DELETE"), 404)["type"] == "E_NOT_FOUND"


def test_reaction_errors(console):
    create_channel(console, "lobby")
    message_id = say(console, "hello")["messageId"]
    error_of(react(console, message_id, "not an emoji"), 400, "reactionName")
    error_of(react(console, message_id.replace(message_id[-4:], "0000")), 404)
    error_of(react(console, "nope"), 400, "referenceId")
    bad_type = {"referenceId": message_id, "referenceType": "post", "reactionName": THUMBS}
    error_of(console.call("POST", "/api/v2/reactions", bad_type), 400, "referenceType")
    error_of(console.call("POST", "/api/v2/reactions", {"referenceId": message_id}), 400, "reactionName")


def test_reactors_with_filter_skip_limit_and_tokens(console):
    create_channel(console, "lobby", userIds=[console.alice.user_id, console.bob.user_id])
    message_id = say(console, "hello")["messageId"]
    for account in (console.alice, console.bob, console.admin):
        if account is console.admin:
            console.call("POST", "/api/v2/channel/lobby/users", {"userIds": [account.user_id]})
        v1_react(console, account, message_id)
    v1_react(console, console.alice, message_id, ":tada:")
    react(console, message_id)  # the owner, through Admin v2
    everyone = reactors(console, message_id)
    assert everyone.status == 200, everyone.body
    pairs = [(r["reactionName"], r["userId"]) for r in everyone.body["reactions"]]
    assert len(pairs) == 5 and len(set(pairs)) == 5
    assert {r["referenceId"] for r in everyone.body["reactions"]} == {message_id}
    assert {u["userId"] for u in everyone.body["users"]} == {
        console.alice.user_id,
        console.bob.user_id,
        console.admin.user_id,
        console.owner.user_id,
    }
    assert everyone.body["paging"]["next"] is None
    thumbs = reactors(console, message_id, reactionName=THUMBS)
    assert len(thumbs.body["reactions"]) == 4 and {r["reactionName"] for r in thumbs.body["reactions"]} == {THUMBS}
    # pages of 3 then 1, no duplicate, none missed
    first = reactors(console, message_id, reactionName=THUMBS, limit=3)
    assert len(first.body["reactions"]) == 3 and first.body["paging"]["next"]
    rest = reactors(console, message_id, token=first.body["paging"]["next"])
    assert len(rest.body["reactions"]) == 1 and rest.body["paging"]["next"] is None
    walked = [r["userId"] for r in first.body["reactions"] + rest.body["reactions"]]
    assert sorted(walked) == sorted(r["userId"] for r in thumbs.body["reactions"])
    skipped = reactors(console, message_id, reactionName=THUMBS, skip=2)
    assert [r["userId"] for r in skipped.body["reactions"]] == [r["userId"] for r in thumbs.body["reactions"]][2:]
    # a token is bound to its message and reaction
    other = say(console, "other")["messageId"]
    error_of(reactors(console, other, token=first.body["paging"]["next"]), 400, "options[token]")
    error_of(reactors(console, message_id, limit=0), 400, "options[limit]")
    error_of(reactors(console, message_id, reactionName="nope"), 400, "options[reactionName]")


def test_most_reacted_messages_of_a_channel(console):
    create_channel(console, "lobby", userIds=[console.alice.user_id, console.bob.user_id])
    one, two, three = (say(console, text)["messageId"] for text in ("one", "two", "three"))
    for account in (console.alice, console.bob):
        v1_react(console, account, two)
    v1_react(console, console.alice, three)
    react(console, two)
    v1_react(console, console.bob, one, ":tada:")  # another reaction: another ranking
    ranked = most(console)
    assert ranked.status == 200, ranked.body
    assert [m["messageId"] for m in ranked.body["messages"]] == [two, three]
    assert [m["reactions"][THUMBS] for m in ranked.body["messages"]] == [3, 1]
    assert [m["messageId"] for m in most(console, ":tada:").body["messages"]] == [one]
    # withdrawing moves a message down; the last reaction takes it out of the ranking
    console.api.delete(f"/v1/messages/{two}/reactions/{THUMBS}", token=console.alice.access_token)
    react(console, two, method="DELETE")
    v1_react(console, console.bob, three)
    v1_react(console, console.owner, three)
    assert [m["messageId"] for m in most(console).body["messages"]] == [three, two]
    console.api.delete(f"/v1/messages/{one}/reactions/:tada:", token=console.bob.access_token)
    assert most(console, ":tada:").body["messages"] == []
    # limit and paging: 0 is the default (20)
    page = most(console, limit=1)
    assert [m["messageId"] for m in page.body["messages"]] == [three]
    following = most(console, limit=1, options={"token": page.body["paging"]["next"]})
    assert [m["messageId"] for m in following.body["messages"]] == [two]
    assert len(most(console, limit=0).body["messages"]) == 2
    # a deleted message leaves the answer
    console.call("DELETE", f"/api/v2/message/{three}")
    assert [m["messageId"] for m in most(console).body["messages"]] == [two]
    error_of(most(console, limit=101), 400, "limit")
    error_of(most(console, "nope"), 400, "reactionName")
    error_of(most(console, channelId="nowhere"), 404)
    error_of(console.call("GET", "/api/v2/reactions/messages/most", {"reactionName": THUMBS}), 400, "channelId")


def test_concurrent_reactors_keep_the_ranking_exact(console):
    """Twelve reactors at once, then four leave at once: the ranking's own count (not only the
    message's) is exact, and none of them had to give up (the rank item's + 1 is commutative)."""
    from chalicelib.auth.principal import Principal
    from chalicelib.ids import new_id, now_iso
    from chalicelib.services import reactions
    from chalicelib.store import reaction_ranks
    from chalicelib.store import users as user_store
    from chalicelib.store import workspaces as workspace_store

    channel_id = create_channel(console, "lobby")["channels"][0]["v1ChannelId"]
    message_id = say(console, "popular")["messageId"]
    people = []
    for index in range(12):  # straight into the store (no password hash each)
        user_id = new_id()
        user_store.new_user(user_id, f"fan{index}@example.com", f"fan{index}", f"Fan {index}", now_iso()).save()
        workspace_store.new_membership(console.ws["id"], user_id, "member", now_iso()).save()
        people.append(user_id)

    def add(user_id):
        reactions.add(Principal(user_id=user_id, kind="session"), message_id, THUMBS)

    def remove(user_id):
        reactions.remove(Principal(user_id=user_id, kind="session"), message_id, THUMBS)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(add, people))
    assert reaction_ranks.most_reacted(channel_id, THUMBS, limit=5, position=None)[0][0][1] == 12
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(remove, people[:4]))
    (ranked,) = most(console).body["messages"]
    assert ranked["reactions"][THUMBS] == 8
    assert reaction_ranks.most_reacted(channel_id, THUMBS, limit=5, position=None)[0][0][1] == 8


def test_get_routes_take_their_fields_in_the_query_string(console):
    from urllib.parse import urlencode

    create_channel(console, "lobby")
    message_id = say(console, "hello")["messageId"]
    react(console, message_id)
    query = urlencode({"referenceId": message_id, "referenceType": "message", "options[reactionName]": THUMBS})
    listed = console.call("GET", f"/api/v2/reactions?{query}")
    assert listed.status == 200, listed.body
    assert [r["userId"] for r in listed.body["reactions"]] == [console.owner.user_id]
    ranked = console.call(
        "GET", "/api/v2/reactions/messages/most?" + urlencode({"channelId": "lobby", "reactionName": THUMBS})
    )
    assert [m["messageId"] for m in ranked.body["messages"]] == [message_id]
    both = console.call("GET", f"/api/v2/reactions?referenceId={message_id}", {"referenceId": message_id})
    error_of(both, 400, "referenceId")  # a field given twice


def test_the_ranking_is_repaired_from_the_messages_counts(console):
    """Messages reacted to before the ranking existed: their rank items are missing (deleted
    here), the next reaction starts them at 1; repair_channel sets them from the messages."""
    from chalicelib.store import reaction_ranks
    from chalicelib.store.models import ReactionRank

    channel_id = create_channel(console, "lobby", userIds=[console.alice.user_id, console.bob.user_id])["channels"][0][
        "v1ChannelId"
    ]
    top = say(console, "top")["messageId"]
    reply = say(console, "reply", parentId=top)["messageId"]
    for account in (console.alice, console.bob):
        v1_react(console, account, top)
        v1_react(console, account, reply, ":tada:")
    for rank in ReactionRank.scan():  # the legacy state (a test may scan its own table)
        rank.delete()
    react(console, top)  # 3 on the message, 1 in the ranking
    assert [m["reactions"][THUMBS] for m in most(console).body["messages"]] == [3]
    assert reaction_ranks.most_reacted(channel_id, THUMBS, limit=5, position=None)[0][0][1] == 1
    assert reaction_ranks.repair_channel(channel_id) == 2
    assert reaction_ranks.most_reacted(channel_id, THUMBS, limit=5, position=None)[0][0][1] == 3
    assert reaction_ranks.most_reacted(channel_id, ":tada:", limit=5, position=None)[0][0][1] == 2
    assert [m["messageId"] for m in most(console, ":tada:").body["messages"]] == [reply]
    react(console, reply, ":tada:")  # and it moves on from there
    assert reaction_ranks.most_reacted(channel_id, ":tada:", limit=5, position=None)[0][0][1] == 3
