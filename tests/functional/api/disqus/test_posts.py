"""Disqus posts over HTTP: a post is a message of a comments thread, at any depth."""

from __future__ import annotations

from typing import Any

from chalice.test import Client

from tests.functional.api.disqus.calls import ORIGIN, Reply, get, post


def new_thread(client: Client, token: str, **form: Any) -> dict[str, Any]:
    made = post(client, "threads/create.json", {"forum": "acme", "access_token": token, "title": "T", **form})
    assert made.code == 0, made.text
    return made.response


def say(client: Client, token: str, thread: str | None, message: str, **form: Any) -> Reply:
    args = {"access_token": token, "message": message, **form}
    if thread is not None:
        args["thread"] = thread
    return post(client, "posts/create.json", args)


def said(client: Client, token: str, thread: str | None, message: str, **form: Any) -> dict[str, Any]:
    answer = say(client, token, thread, message, **form)
    assert (answer.status, answer.code) == (200, 0), answer.text
    return answer.response


def test_a_member_posts_and_answers_at_any_depth(client, forum):
    member, owner = forum["member"], forum["owner"]
    thread = new_thread(client, owner.access_token)
    top = said(client, member.access_token, thread["id"], "Hello **world** https://example.org")
    assert top["thread"] == thread["id"] and top["forum"] == "acme" and top["parent"] is None
    assert top["raw_message"] == "Hello **world** https://example.org"
    assert "<strong>world</strong>" in top["message"] and "<a " in top["message"]
    assert top["author"]["id"] == member.user_id and top["author"]["isAnonymous"] is False
    assert (top["isApproved"], top["isDeleted"], top["likes"], top["points"]) == (True, False, 0, 0)
    assert "ipAddress" not in top  # a plain member is no moderator
    reply = said(client, owner.access_token, None, "Answer", parent=top["id"])  # the parent names the thread
    deeper = said(client, member.access_token, thread["id"], "Deeper", parent=reply["id"])
    # Disqus ids are numbers: ``id`` a string, ``parent`` the same number (disqusjs nests where
    # parent === Number(id))
    assert top["id"].isdigit() and (reply["parent"], reply["depth"]) == (int(top["id"]), 1)
    assert (deeper["parent"], deeper["depth"]) == (int(reply["id"]), 2)
    assert "ipAddress" in reply  # the owner moderates
    details = get(client, "threads/details.json", {"thread": thread["id"], "access_token": member.access_token})
    assert details.response["posts"] == 3

    context = get(client, "posts/getContext.json", {"post": deeper["id"], "access_token": member.access_token})
    assert [p["id"] for p in context.response] == [deeper["id"], reply["id"], top["id"]]


def test_threaded_order_both_ways_and_by_date(client, forum):
    member = forum["member"]
    thread = new_thread(client, member.access_token)["id"]
    a = said(client, member.access_token, thread, "a")["id"]
    b = said(client, member.access_token, thread, "b")["id"]
    a1 = said(client, member.access_token, thread, "a1", parent=a)["id"]
    b1 = said(client, member.access_token, thread, "b1", parent=b)["id"]
    a2 = said(client, member.access_token, thread, "a2", parent=a)["id"]
    a1x = said(client, member.access_token, thread, "a1x", parent=a1)["id"]

    def ids(path: str, **args: Any) -> list[str]:
        answer = get(client, path, {"thread": thread, "access_token": member.access_token, **args})
        assert answer.code == 0, answer.text
        return [p["id"] for p in answer.response]

    assert ids("threads/listPostsThreaded.json", order="asc") == [a, a1, a1x, a2, b, b1]
    assert ids("threads/listPostsThreaded.json") == [b, b1, a, a1, a1x, a2]  # desc: newest conversation first
    assert ids("threads/listPosts.json") == [a1x, a2, b1, a1, b, a]
    assert ids("posts/list.json", order="asc") == [a, b, a1, b1, a2, a1x]


def test_cursors_page_both_ways_and_hold_while_posts_arrive(client, forum):
    member = forum["member"]
    thread = new_thread(client, member.access_token)["id"]
    made = [said(client, member.access_token, thread, f"p{i}")["id"] for i in range(5)]
    args = {"thread": thread, "access_token": member.access_token, "limit": 2}
    first = get(client, "posts/list.json", args)
    assert [p["id"] for p in first.response] == made[4:2:-1]
    assert (
        first.json["cursor"]["hasNext"] and not first.json["cursor"]["hasPrev"] and first.json["cursor"]["prev"] is None
    )
    said(client, member.access_token, thread, "newer")  # arrives between pages: no duplicate, no gap
    second = get(client, "posts/list.json", {**args, "cursor": first.json["cursor"]["next"]})
    assert [p["id"] for p in second.response] == made[2:0:-1]
    assert second.json["cursor"]["hasPrev"] and second.json["cursor"]["hasNext"]
    third = get(client, "posts/list.json", {**args, "cursor": second.json["cursor"]["next"]})
    assert [p["id"] for p in third.response] == [made[0]] and third.json["cursor"]["hasNext"] is False
    assert third.json["cursor"]["next"]  # always given
    back = get(client, "posts/list.json", {**args, "cursor": third.json["cursor"]["prev"]})
    assert [p["id"] for p in back.response] == made[2:0:-1]
    bad = get(client, "posts/list.json", {**args, "cursor": "nonsense"})
    assert (bad.code, bad.response) == (
        2,
        "Invalid argument, 'cursor': is not a cursor this API gave (<epoch us>:<offset>:<0|1>).",
    )


def test_a_public_key_reads_posts_but_never_sees_addresses(client, forum):
    member = forum["member"]
    thread = new_thread(client, member.access_token, identifier="page-1")
    said(client, member.access_token, thread["id"], "Visible")
    read = get(
        client,
        "threads/listPostsThreaded.json",
        {"forum": "acme", "thread": "ident:page-1", "api_key": forum["key"]},
        headers=ORIGIN,
    )
    assert read.code == 0 and [p["raw_message"] for p in read.response] == ["Visible"]
    assert "ipAddress" not in read.response[0] and "email" not in read.response[0]["author"]
    refused = post(
        client, "posts/create.json", {"thread": thread["id"], "message": "x", "api_key": forum["key"]}, headers=ORIGIN
    )
    assert refused.code == 9


def test_post_numbers_are_unique_and_find_the_post(client, forum, monkeypatch):
    from chalicelib.store import posts as post_store

    member = forum["member"]
    thread = new_thread(client, member.access_token)["id"]
    first = said(client, member.access_token, thread, "first")
    minted = iter([int(first["id"]), int(first["id"]) + 7])  # another process took this number
    monkeypatch.setattr(post_store, "number_of", lambda _post_id: next(minted))
    second = said(client, member.access_token, thread, "second")
    assert second["id"] == str(int(first["id"]) + 7)  # written again under a new id and number
    for ref in (first["id"], second["id"]):
        found = get(client, "posts/details.json", {"post": ref, "access_token": member.access_token})
        assert found.code == 0 and found.response["id"] == ref
    assert get(client, "posts/details.json", {"post": "123", "access_token": member.access_token}).code == 8
    assert get(client, "posts/details.json", {"post": "x" * 40, "access_token": member.access_token}).code == 8


def test_a_filtered_list_reads_a_bounded_slice_per_page_and_still_reaches_every_post(client, forum, monkeypatch):
    from chalicelib.store import posts as post_store

    owner = forum["owner"]
    thread = new_thread(client, owner.access_token)["id"]
    held = []
    for i in range(12):
        state = {"state": "unapproved"} if i in (1, 8) else {}
        made = said(client, owner.access_token, thread, f"p{i}", **state)
        if state:
            held.append(made["id"])
    monkeypatch.setattr(post_store, "MAX_SCANNED", 4)  # a page reads at most ~4 posts past the filter
    args = {"thread": thread, "access_token": owner.access_token, "include": "unapproved", "limit": 5}
    seen, cursor, pages = [], None, 0
    while True:
        answer = get(client, "threads/listPosts.json", {**args, **({"cursor": cursor} if cursor else {})})
        assert answer.code == 0, answer.text
        seen += [p["id"] for p in answer.response]
        pages += 1
        if not answer.json["cursor"]["hasNext"]:
            break
        cursor = answer.json["cursor"]["next"]
        assert pages < 10
    assert seen == held[::-1] and pages > 1  # newest first, each once, over several short pages
