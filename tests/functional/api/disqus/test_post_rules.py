"""Disqus posts: moderation, votes, the v1 side of a thread, and what each caller may see."""

from __future__ import annotations

import json
import threading
from typing import Any
from xml.etree import ElementTree

from chalicelib.auth.principal import Principal
from chalicelib.services import posts
from chalicelib.store.models import Message
from chalicelib.workers.router import PROJECTIONS
from tests.functional.api.disqus.calls import ORIGIN, get, post
from tests.functional.api.disqus.test_posts import new_thread, said, say
from tests.helpers import join_workspace, register


def listed(client, token: str, thread: str, **args: Any) -> list[dict[str, Any]]:
    answer = get(client, "threads/listPosts.json", {"thread": thread, "access_token": token, **args})
    assert answer.code == 0, answer.text
    return answer.response


def count(client, token: str, thread: str) -> int:
    return get(client, "threads/details.json", {"thread": thread, "access_token": token}).response["posts"]


def test_moderators_remove_restore_spam_approve_and_highlight(client, forum):
    owner, member = forum["owner"], forum["member"]
    thread = new_thread(client, owner.access_token)["id"]
    p = said(client, member.access_token, thread, "one")["id"]
    q = said(client, member.access_token, thread, "two")["id"]
    refused = post(client, "posts/remove.json", {"post": p, "access_token": member.access_token})
    assert refused.code == 22
    removed = post(client, "posts/remove.json", {"post": [p, q], "access_token": owner.access_token})
    assert removed.code == 0 and removed.response == [{"id": p}, {"id": q}]
    assert listed(client, member.access_token, thread) == [] and count(client, owner.access_token, thread) == 0
    gone = listed(client, owner.access_token, thread, include="deleted")
    assert [(g["id"], g["isDeleted"], g["raw_message"]) for g in gone] == [(q, True, ""), (p, True, "")]
    hidden = get(
        client, "threads/listPosts.json", {"thread": thread, "access_token": member.access_token, "include": "deleted"}
    )
    assert hidden.code == 22  # a plain member lists approved and highlighted posts only
    assert post(client, "posts/restore.json", {"post": p, "access_token": owner.access_token}).code == 0
    assert post(client, "posts/spam.json", {"post": q, "access_token": owner.access_token}).code == 0
    assert [x["id"] for x in listed(client, member.access_token, thread)] == [p]
    assert [x["isSpam"] for x in listed(client, owner.access_token, thread, include="spam")] == [True]
    assert count(client, owner.access_token, thread) == 1
    assert post(client, "posts/highlight.json", {"post": p, "access_token": owner.access_token}).code == 0
    shown = listed(client, member.access_token, thread, include="highlighted")
    assert [(x["id"], x["isHighlighted"]) for x in shown] == [(p, True)]
    member_detail = get(client, "posts/details.json", {"post": q, "access_token": member.access_token})
    assert member_detail.code == 8  # spam is not shown to readers, even by id


def test_premoderated_forum_holds_posts_until_approved(api, client, forum):
    owner, member = forum["owner"], forum["member"]
    patched = api.patch(
        f"/v1/workspaces/{forum['ws']['id']}", {"comments": {"premoderate": True}}, token=owner.access_token
    )
    assert patched.status == 200, patched.body
    thread = new_thread(client, owner.access_token)["id"]
    held = said(client, member.access_token, thread, "wait for it")
    assert held["isApproved"] is False and count(client, owner.access_token, thread) == 0
    own = get(client, "posts/details.json", {"post": held["id"], "access_token": member.access_token})
    assert own.code == 0  # its author sees it
    assert listed(client, member.access_token, thread) == []
    by_owner = said(client, owner.access_token, thread, "moderators are not held")
    assert by_owner["isApproved"] is True
    pending = listed(client, owner.access_token, thread, include="unapproved")
    assert [x["id"] for x in pending] == [held["id"]]
    assert post(client, "posts/approve.json", {"post": held["id"], "access_token": owner.access_token}).code == 0
    assert count(client, owner.access_token, thread) == 2


def test_votes_are_exact_under_concurrency_and_one_per_user(api, client, forum):
    owner, member = forum["owner"], forum["member"]
    thread = new_thread(client, owner.access_token)["id"]
    target = said(client, owner.access_token, thread, "vote on me")["id"]
    voters = [member, owner]
    for i in range(6):
        user = register(api, f"voter{i}")
        join_workspace(forum["ws"], user)
        voters.append(user)

    def vote(user, value: str) -> dict[str, Any]:
        answer = post(client, "posts/vote.json", {"post": target, "vote": value, "access_token": user.access_token})
        assert answer.code == 0, answer.text
        return answer.response

    failures: list[Exception] = []

    def cast(user_id: str) -> None:  # the service itself, in threads (the test client is not thread-safe)
        try:
            posts.vote_post(Principal(user_id=user_id, kind="session"), target, 1)
        except Exception as error:  # reported by the assertion below
            failures.append(error)

    workers = [threading.Thread(target=cast, args=(u.user_id,)) for u in voters]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    detail = get(client, "posts/details.json", {"post": target, "access_token": member.access_token}).response
    assert (detail["likes"], detail["dislikes"], detail["points"]) == (8, 0, 8)
    again = vote(member, "1")
    assert (again["vote"], again["likesDelta"], again["delta"]) == (1, 0, 0)  # the same vote twice counts once
    flipped = vote(member, "-1")
    assert (flipped["likesDelta"], flipped["dislikesDelta"], flipped["delta"]) == (-1, 1, -2)
    assert (flipped["post"]["likes"], flipped["post"]["dislikes"]) == (7, 1)
    withdrawn = vote(member, "0")
    assert (withdrawn["dislikesDelta"], withdrawn["post"]["dislikes"]) == (-1, 0)
    bad = post(client, "posts/vote.json", {"post": target, "vote": "2", "access_token": member.access_token})
    assert (bad.code, bad.response) == (2, "Invalid argument, 'vote': is -1, 0 or 1.")
    on_thread = post(client, "threads/vote.json", {"thread": thread, "vote": "1", "access_token": member.access_token})
    assert on_thread.code == 0 and on_thread.response["thread"]["likes"] == 1


def test_a_moderator_answers_from_v1_and_a_v1_delete_shows_as_deleted(api, client, forum):
    owner, member = forum["owner"], forum["member"]
    thread = new_thread(client, member.access_token)["id"]
    comment = said(client, member.access_token, thread, "A question")
    (in_chat,) = api.get(f"/v1/channels/{thread}/messages", token=owner.access_token).data  # the v1 side
    assert in_chat["post"]["number"] == int(comment["id"])
    answer = api.post(
        f"/v1/channels/{thread}/messages",
        {"content": "From the chat side", "threadId": in_chat["id"]},
        token=owner.access_token,
    )
    assert answer.status == 201, answer.body
    assert {k: v for k, v in answer.data["post"].items() if k != "number"} == {
        "parentId": in_chat["id"],
        "depth": 1,
        "state": "approved",
        "highlighted": False,
        "likes": 0,
        "dislikes": 0,
    }
    page = get(client, "threads/listPostsThreaded.json", {"thread": thread, "api_key": forum["key"]}, headers=ORIGIN)
    assert [(p["raw_message"], p["parent"]) for p in page.response] == [
        ("A question", None),
        ("From the chat side", int(comment["id"])),
    ]
    history = api.get(f"/v1/channels/{thread}/messages", token=owner.access_token)
    assert [m["content"] for m in history.data] == ["From the chat side", "A question"]
    foreign = api.post(
        f"/v1/channels/{thread}/messages",
        {"content": "x", "threadId": "0" * 8 + "-0000-7000-8000-" + "0" * 12},
        token=owner.access_token,
    )
    assert foreign.status == 400 and foreign.body["error"]["field"] == "threadId"
    assert api.delete(f"/v1/messages/{in_chat['id']}", token=member.access_token).status == 204
    shown = get(
        client,
        "threads/listPostsThreaded.json",
        {"thread": thread, "access_token": owner.access_token, "include": ["approved", "deleted"]},
    )
    assert [(p["isDeleted"], p["raw_message"]) for p in shown.response] == [(True, ""), (False, "From the chat side")]
    assert count(client, owner.access_token, thread) == 1


def test_closed_and_removed_threads_take_no_posts(client, forum):
    owner, member = forum["owner"], forum["member"]
    thread = new_thread(client, owner.access_token)["id"]
    assert post(client, "threads/close.json", {"thread": thread, "access_token": owner.access_token}).code == 0
    assert say(client, member.access_token, thread, "late").code == 22
    assert post(client, "threads/remove.json", {"thread": thread, "access_token": owner.access_token}).code == 0
    assert say(client, member.access_token, thread, "later").code == 8
    assert say(client, member.access_token, thread, "   ").code in (2, 8)


def test_filters_are_facts_stored_with_the_post(client, forum):
    member = forum["member"]
    thread = new_thread(client, member.access_token)["id"]
    plain = said(client, member.access_token, thread, "just words")["id"]
    linked = said(client, member.access_token, thread, "see [this](https://example.org)")["id"]
    has_link = listed(client, member.access_token, thread, filters="2")
    assert [p["id"] for p in has_link] == [linked]
    no_issue = listed(client, member.access_token, thread, filters="6")
    assert [p["id"] for p in no_issue] == [plain]
    bad = listed_raw = get(
        client, "threads/listPosts.json", {"thread": thread, "access_token": member.access_token, "filters": "19"}
    )
    assert bad.code == 2 and listed_raw.response.startswith("Invalid argument, 'filters'")


def test_jsonp_and_rss_of_posts(client, forum):
    member = forum["member"]
    thread = new_thread(client, member.access_token, identifier="rss-page")["id"]
    said(client, member.access_token, thread, "<script>alert(1)</script> & more")
    args = {"thread": thread, "api_key": forum["key"]}
    jsonp = get(client, "posts/list.jsonp", {**args, "callback": "cb"}, headers=ORIGIN)
    assert jsonp.headers["content-type"].startswith("application/javascript")
    body = json.loads(jsonp.text.removeprefix("/**/cb(").removesuffix(");"))
    assert body["code"] == 0 and "<script>" not in body["response"][0]["message"]
    rss = get(client, "posts/list.rss", args, headers=ORIGIN)
    items = ElementTree.fromstring(rss.text).findall("./channel/item")
    assert len(items) == 1 and "& more" in items[0].findtext("description")


def test_posts_list_by_forum_and_user_and_the_credentials_own_forum(api, client, forum):
    owner, member = forum["owner"], forum["member"]
    t1, t2 = new_thread(client, owner.access_token)["id"], new_thread(client, owner.access_token)["id"]
    a = said(client, member.access_token, t1, "in one")["id"]
    b = said(client, owner.access_token, t2, "in two")["id"]
    by_forum = get(client, "forums/listPosts.json", {"forum": "acme", "access_token": member.access_token})
    assert [p["id"] for p in by_forum.response] == [b, a]
    both = get(client, "posts/list.json", {"thread": [t1, t2], "access_token": member.access_token, "order": "asc"})
    assert [p["id"] for p in both.response] == [a, b]
    by_user = get(client, "users/listPosts.json", {"user": member.user_id, "access_token": owner.access_token})
    assert [p["id"] for p in by_user.response] == [a]
    own = get(client, "posts/list.json", {"api_key": forum["key"], "related": "thread"}, headers=ORIGIN)
    assert [p["id"] for p in own.response] == [b, a] and own.response[0]["thread"]["id"] == t2
    session = get(client, "posts/list.json", {"access_token": member.access_token})
    assert session.code == 2 and "'forum'" in session.response


def test_post_events_follow_visibility():
    project = PROJECTIONS["Message"]

    def item(state: str, deleted: bool = False) -> Message:
        return Message(
            "CH#c",
            "MSG#m",
            id="m",
            channel_id="c",
            workspace_id="w",
            channel_type="comments",
            author_id="u",
            content="x",
            created_at="2026-01-01T00:00:00Z",
            post_state=state,
            deleted=deleted,
        )

    assert project(item("approved"), None)[0] == "message.created"
    assert project(item("unapproved"), None) is None  # held: nothing announced
    assert project(item("approved"), item("unapproved"))[0] == "message.created"
    assert project(item("spam"), item("approved"))[0] == "message.deleted"
    assert project(item("approved", deleted=True), item("approved"))[0] == "message.deleted"
    assert project(item("approved"), item("approved")) is None  # a vote or a report


def test_a_vote_is_an_event_for_webhooks():
    from chalicelib.store.models import PostVote

    project = PROJECTIONS["PostVote"]
    vote = PostVote(target_id="m", target_kind="post", channel_id="c", workspace_id="w", user_id="u", vote=1)
    assert project(vote, None) == (
        "post.voted",
        "w",
        {"targetId": "m", "target": "post", "channelId": "c", "userId": "u", "vote": 1, "previous": 0},
    )
    assert project(None, vote)[2]["vote"] == 0  # withdrawn


def test_guests_post_through_a_public_key_where_the_forum_allows_them(api, client, forum):
    owner = forum["owner"]
    thread = new_thread(client, owner.access_token)["id"]
    form = {"thread": thread, "message": "Hi from a visitor", "api_key": forum["key"]}
    guest = {"author_name": "Richard", "author_email": "richard@example.com", "author_url": "https://example.org"}
    closed = post(client, "posts/create.json", {**form, **guest}, headers=ORIGIN)
    assert closed.code == 22  # the forum takes no guests yet
    assert post(client, "posts/create.json", form, headers=ORIGIN).code == 9  # a key without a guest writes nothing
    settings = {"comments": {"allowGuests": True}}
    assert api.patch(f"/v1/workspaces/{forum['ws']['id']}", settings, token=owner.access_token).status == 200
    made = post(client, "posts/create.json", {**form, **guest}, headers=ORIGIN)
    assert made.code == 0, made.text
    author = made.response["author"]
    assert (author["isAnonymous"], author["name"], author["url"]) == (True, "Richard", "https://example.org")
    assert "email" not in author and "ipAddress" not in made.response
    bad = post(client, "posts/create.json", {**form, **guest, "author_email": "nope"}, headers=ORIGIN)
    assert bad.code == 2 and "'author_email'" in bad.response
    elsewhere = post(client, "posts/create.json", {**form, **guest}, headers={"Origin": "https://evil.example"})
    assert elsewhere.code == 11
    anonymous = listed(client, owner.access_token, thread, filters="1")
    assert [p["raw_message"] for p in anonymous] == ["Hi from a visitor"]
    assert anonymous[0]["ipAddress"]  # moderators see the address it came from


def test_disqus_reports_are_the_same_flags_and_reach_the_flag_limit(api, client, forum):
    owner, member = forum["owner"], forum["member"]
    thread = post(client, "threads/create.json", {"forum": "acme", "title": "T", "access_token": owner.access_token})
    made = post(
        client,
        "posts/create.json",
        {"thread": thread.response["id"], "message": "hm", "access_token": owner.access_token},
    ).response
    reporters = [member]
    for name in ("reporter1", "reporter2"):
        user = register(api, name)
        join_workspace(forum["ws"], user)
        reporters.append(user)
    for user in reporters:
        answer = post(client, "posts/report.json", {"post": made["id"], "access_token": user.access_token})
        assert answer.code == 0, answer.text
    again = post(client, "posts/report.json", {"post": made["id"], "access_token": member.access_token})
    assert again.response["numReports"] == 3  # the same reader twice counts once
    args = {"thread": thread.response["id"], "access_token": owner.access_token}
    limited = get(client, "threads/listPosts.json", {**args, "filters": "11"})
    assert [p["id"] for p in limited.response] == [made["id"]]
    flagged = get(client, "threads/listPosts.json", {**args, "include": "flagged"})
    assert flagged.response[0]["isFlagged"] is True
