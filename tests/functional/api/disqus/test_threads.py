"""Disqus threads over HTTP: a thread is a v1 channel of type ``comments``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from chalice.test import Client

from tests.functional.api.disqus.calls import ORIGIN, Reply, get, post
from tests.helpers import create_workspace, register


def mint(api, ws: dict[str, Any], owner, *token_scopes: str) -> str:
    answer = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "site", "scopes": list(token_scopes)}, token=owner.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["token"]


def create(client: Client, token: str, **form: Any) -> Reply:
    return post(client, "threads/create.json", {"forum": "acme", "access_token": token, **form})


def test_create_by_access_token_and_api_secret_and_refused_to_a_public_key(api, client, forum):
    owner, member = forum["owner"], forum["member"]
    news = post(
        client, "categories/create.json", {"forum": "acme", "title": "News", "access_token": owner.access_token}
    ).response["id"]
    made = create(
        client,
        member.access_token,
        title="Hello",
        message="About it",
        identifier="post-1",
        url="https://Example.com/posts/1#top",
        slug="hello",
        category=news,
        date="1213061528",
    )
    assert (made.status, made.code) == (200, 0), made.text
    thread = made.response
    assert thread["forum"] == "acme" and thread["title"] == "Hello" and thread["message"] == "About it"
    assert thread["identifiers"] == ["post-1"] and thread["link"] == "https://example.com/posts/1"
    assert thread["slug"] == "hello" and thread["author"] == member.user_id and thread["category"] == news
    assert thread["createdAt"] == "2008-06-10T01:32:08"
    assert (thread["isClosed"], thread["isDeleted"], thread["posts"], thread["likes"], thread["dislikes"]) == (
        False,
        False,
        0,
        0,
        0,
    )
    assert thread["feed"].startswith("/api/3.0/threads/list.rss")

    secret = mint(api, forum["ws"], owner, "comments:write")
    by_secret = post(client, "threads/create.json", {"forum": "acme", "api_secret": secret, "title": "By the site"})
    assert by_secret.code == 0 and by_secret.response["author"] == owner.user_id

    read_only = mint(api, forum["ws"], owner, "comments:read")
    refused = post(client, "threads/create.json", {"forum": "acme", "api_secret": read_only, "title": "x"})
    assert (refused.status, refused.code) == (400, 12)
    by_key = post(
        client, "threads/create.json", {"forum": "acme", "api_key": forum["key"], "title": "x"}, headers=ORIGIN
    )
    assert (by_key.status, by_key.code) == (400, 9)
    missing = create(client, member.access_token)
    assert (missing.status, missing.code) == (400, 2) and "'title'" in missing.response
    stranger = register(api, "sam")
    assert create(client, stranger.access_token, title="x").code == 8  # not a member: no such forum


def test_identifier_is_unique_per_forum(api, client, forum):
    first = create(client, forum["member"].access_token, title="One", identifier="page-7")
    assert first.code == 0
    again = create(client, forum["owner"].access_token, title="Two", identifier="page-7")
    assert (again.status, again.code) == (400, 2)
    assert "'identifier'" in again.response and "already exists" in again.response
    other_ws = create_workspace(api, forum["owner"], "Other")
    elsewhere = post(
        client,
        "threads/create.json",
        {
            "forum": other_ws["slug"],
            "access_token": forum["owner"].access_token,
            "title": "Same ident, other forum",
            "identifier": "page-7",
        },
    )
    assert elsewhere.code == 0, elsewhere.text


def test_details_by_id_identifier_and_link_in_every_form(client, forum):
    token = forum["member"].access_token
    made = create(client, token, title="T", identifier="ident 1", url="https://example.com/a?x=1").response
    later = create(client, token, title="Same page", url="https://EXAMPLE.com/a?x=1").response  # first wins
    assert later["id"] != made["id"]
    forms = [
        {"thread": made["id"]},
        {"thread": made["id"], "forum": "acme"},
        {"thread": "ident:ident 1", "forum": "acme"},
        {"thread:ident": "ident 1", "forum": "acme"},
        {"thread": "link:https://example.com/a?x=1#c", "forum": "acme"},
        {"thread:link": "https://example.com/a?x=1", "forum": "acme"},
    ]
    for form in forms:
        by_token = get(client, "threads/details.json", {**form, "access_token": token})
        assert (by_token.code, by_token.response["id"]) == (0, made["id"]), (form, by_token.text)
        by_key = get(client, "threads/details.json", {**form, "api_key": forum["key"]}, headers=ORIGIN)
        assert (by_key.code, by_key.response["id"]) == (0, made["id"]), (form, by_key.text)
    unknown = get(client, "threads/details.json", {"thread": "ident:nope", "forum": "acme", "access_token": token})
    assert (unknown.status, unknown.code) == (400, 8)
    no_forum = get(client, "threads/details.json", {"thread": "ident:ident 1", "access_token": token})
    assert (no_forum.code, "'forum'" in no_forum.response) == (2, True)
    two = get(client, "threads/details.json", {"thread": [made["id"], later["id"]], "access_token": token})
    assert two.code == 2


def test_list_pages_with_cursors_without_gaps_or_duplicates(client, forum):
    token = forum["member"].access_token
    made = [create(client, token, title=f"t{i}").response["id"] for i in range(7)]
    for order, expected in (("asc", made), ("desc", made[::-1])):
        seen, cursor, pages = [], None, 0
        while True:
            query = {"forum": "acme", "access_token": token, "limit": 3, "order": order}
            answer = get(client, "threads/list.json", {**query, **({"cursor": cursor} if cursor else {})})
            assert answer.code == 0, answer.text
            pages += 1
            seen += [t["id"] for t in answer.response]
            assert answer.json["cursor"]["next"]
            if not answer.json["cursor"]["hasNext"]:
                break
            cursor = answer.json["cursor"]["next"]
        assert seen == expected and pages == 3
    # a thread made after the last page shows on the next one (asc): the cursor stays valid
    newest = create(client, token, title="late").response["id"]
    answer = get(
        client, "threads/list.json", {"forum": "acme", "access_token": token, "order": "asc", "cursor": cursor}
    )
    assert [t["id"] for t in answer.response][-1] == newest
    # multi-value thread in both forms, ident lookups among them
    both = get(client, "threads/list.json", {"thread[]": [made[0], made[1]], "access_token": token})
    assert [t["id"] for t in both.response] == made[:2]
    rss = get(client, "threads/list.rss", {"forum": "acme", "api_key": forum["key"], "limit": 2}, headers=ORIGIN)
    items = ElementTree.fromstring(rss.text).findall("./channel/item")
    assert [i.findtext("title") for i in items] == ["late", "t6"]
    bad = get(client, "threads/list.json", {"forum": "acme", "access_token": token, "limit": 101})
    assert (bad.code, "'limit'" in bad.response) == (2, True)


def test_close_and_open_by_a_moderator_only(client, forum):
    made = create(client, forum["member"].access_token, title="T", identifier="c1").response
    refused = post(client, "threads/close.json", {"thread": made["id"], "access_token": forum["member"].access_token})
    assert (refused.status, refused.code) == (400, 22)
    owner = forum["owner"].access_token
    closed = post(client, "threads/close.json", {"thread": "ident:c1", "forum": "acme", "access_token": owner})
    assert (closed.code, closed.response["isClosed"]) == (0, True)
    query = {"forum": "acme", "access_token": owner}
    assert [t["id"] for t in get(client, "threads/list.json", {**query, "include": "closed"}).response] == [made["id"]]
    assert get(client, "threads/list.json", {**query, "include": "open"}).response == []
    opened = post(client, "threads/open.json", {"thread:ident": "c1", "forum": "acme", "access_token": owner})
    assert (opened.code, opened.response["isClosed"]) == (0, False)


def test_a_thread_is_a_comments_channel_in_v1(api, client, forum):
    member = forum["member"]
    made = create(
        client, member.access_token, title="From the page", identifier="post-42", url="https://blog.example.com/42"
    ).response
    listed = api.get(f"/v1/workspaces/{forum['ws']['id']}/channels?type=comments", token=forum["owner"].access_token)
    assert listed.status == 200
    assert [(c["id"], c["type"], c["topic"]) for c in listed.data] == [(made["id"], "comments", "From the page")]
    thread = listed.data[0]["thread"]  # the page-side identity, shown on the chat side too
    assert (thread["identifier"], thread["link"], thread["closed"]) == ("post-42", "https://blog.example.com/42", False)
    public = api.get(f"/v1/workspaces/{forum['ws']['id']}/channels?type=public", token=member.access_token)
    assert made["id"] not in [c["id"] for c in public.data]
    owner = forum["owner"].access_token  # a moderator answers from the chat side
    assert api.post(f"/v1/channels/{made['id']}/join", token=owner).status == 200
    sent = api.post(f"/v1/channels/{made['id']}/messages", {"content": "Thanks!"}, token=owner)
    assert sent.status == 201, sent.body
    renamed = api.patch(f"/v1/channels/{made['id']}", {"name": "elsewhere"}, token=owner)
    assert renamed.status == 403  # the name orders threads/list
    retitled = api.patch(f"/v1/channels/{made['id']}", {"topic": "New title"}, token=owner)
    assert retitled.status == 200
    details = get(client, "threads/details.json", {"thread": made["id"], "access_token": owner})
    assert details.response["title"] == "New title"
    history = api.get(f"/v1/channels/{made['id']}/messages", token=member.access_token)
    assert "Thanks!" in [m["content"] for m in history.data]
    closed = post(client, "threads/close.json", {"thread": made["id"], "access_token": owner})
    assert closed.code == 0
    assert api.get(f"/v1/channels/{made['id']}", token=owner).data["thread"]["closed"] is True
    refused = api.post(f"/v1/channels/{made['id']}/messages", {"content": "More"}, token=owner)
    assert (refused.status, refused.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    assert post(client, "threads/open.json", {"thread": made["id"], "access_token": owner}).code == 0
    assert api.post(f"/v1/channels/{made['id']}/messages", {"content": "More"}, token=owner).status == 201


def test_costs_of_details_and_list(client, forum):
    """details by identifier: the slug claim (GetItem); workspace, membership and identifier
    claim (one BatchGetItem); the channel (GetItem). By id: the channel, then one batch.
    A page of threads/list: slug, access batch, one Query."""
    from bench.recorder import Recorder

    token = forum["member"].access_token
    made = create(client, token, title="T", identifier="cost").response
    asks = [
        {"thread": "ident:cost", "forum": "acme"},
        {"thread": made["id"]},
    ]
    recorder = Recorder()
    recorder.install()
    try:
        recorded = []
        for ask in asks:
            with recorder.recording() as calls:
                assert get(client, "threads/details.json", {**ask, "access_token": token}).code == 0
            recorded.append(calls)
        with recorder.recording() as calls:
            assert get(client, "threads/list.json", {"forum": "acme", "access_token": token}).code == 0
        recorded.append(calls)
    finally:
        recorder.uninstall()
    assert [[c.operation for c in calls if c.phase == "handler"] for calls in recorded] == [
        ["GetItem", "BatchGetItem", "GetItem"],
        ["GetItem", "BatchGetItem"],
        ["GetItem", "BatchGetItem", "Query"],
    ]


def test_list_cursor_holds_threads_made_in_the_same_millisecond(client, forum, monkeypatch):
    """The cursor is a millisecond and a count of threads of it already given: threads that
    share a millisecond page without gaps or repeats, in either order."""
    import time
    from types import SimpleNamespace

    from chalicelib import ids

    frozen = time.time_ns()
    monkeypatch.setattr(ids, "time", SimpleNamespace(time_ns=lambda: frozen))
    token = forum["member"].access_token
    made = [create(client, token, title=f"same ms {i}").response["id"] for i in range(5)]
    monkeypatch.undo()
    assert len({m[:13] for m in made}) == 1  # one millisecond
    for order, expected in (("asc", made), ("desc", made[::-1])):
        seen, cursor, pages = [], None, 0
        while True:
            query = {"forum": "acme", "access_token": token, "limit": 2, "order": order}
            answer = get(client, "threads/list.json", {**query, **({"cursor": cursor} if cursor else {})})
            seen += [t["id"] for t in answer.response]
            pages += 1
            cursor = answer.json["cursor"]["next"]
            if not answer.json["cursor"]["hasNext"]:
                break
        assert (seen, pages) == (expected, 3)


def test_the_widget_forms_jsonp_and_other_forums(api, client, forum):
    """disqusjs asks threads/list.json with thread=ident:<id> and an api_key; JSONP works
    with a public key; a thread is not found through another forum or workspace."""
    token = forum["member"].access_token
    made = create(client, token, title="Widget", identifier="w/1").response
    widget = {"forum": "acme", "thread": "ident:w/1", "api_key": forum["key"]}
    listed = get(client, "threads/list.json", widget, headers=ORIGIN)
    assert [t["id"] for t in listed.response] == [made["id"]] and listed.json["cursor"]["next"]
    jsonp = Reply(
        client.http.get(
            "/api/3.0/threads/details.jsonp?"
            + urlencode({"thread": made["id"], "api_key": forum["key"], "callback": "cb"}),
            headers=ORIGIN,
        )
    )
    assert jsonp.text.startswith("/**/cb(") and json.loads(jsonp.text[7:-2])["response"]["id"] == made["id"]
    other = create_workspace(api, forum["owner"], "Other")
    mismatch = get(
        client, "threads/details.json", {"thread": made["id"], "forum": other["slug"], "access_token": token}
    )
    assert mismatch.code == 8
    stranger = register(api, "sid")
    hidden = get(client, "threads/details.json", {"thread": made["id"], "access_token": stranger.access_token})
    assert (hidden.status, hidden.code) == (400, 8)
    assert get(client, "threads/list.json", {"forum": "acme", "access_token": stranger.access_token}).code == 8
