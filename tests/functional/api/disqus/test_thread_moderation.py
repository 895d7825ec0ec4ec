"""threads/remove, threads/restore and threads/update over HTTP."""

from __future__ import annotations

from tests.functional.api.disqus.calls import get, post
from tests.functional.api.disqus.test_threads import create
from tests.helpers import join_workspace, register


def test_remove_and_restore_by_a_moderator_only(client, forum):
    member, owner = forum["member"].access_token, forum["owner"].access_token
    one = create(client, member, title="One", identifier="r1").response
    two = create(client, member, title="Two").response
    refused = post(client, "threads/remove.json", {"thread": one["id"], "access_token": member})
    assert (refused.status, refused.code) == (400, 22)
    assert (
        get(client, "threads/details.json", {"thread": one["id"], "access_token": member}).response["isDeleted"]
        is False
    )

    removed = post(
        client,
        "threads/remove.json",
        {"thread": ["ident:r1", two["id"]], "forum": "acme", "access_token": owner},
    )
    assert (removed.code, removed.response) == (0, [{"id": one["id"]}, {"id": two["id"]}])
    details = get(client, "threads/details.json", {"thread": one["id"], "access_token": member})
    assert details.response["isDeleted"] is True
    query = {"forum": "acme", "access_token": member}
    assert get(client, "threads/list.json", query).response == []
    killed = get(client, "threads/list.json", {**query, "include": "killed"}).response
    assert {t["id"] for t in killed} == {one["id"], two["id"]}

    restored = post(client, "threads/restore.json", {"thread[]": [one["id"]], "access_token": owner})
    assert (restored.code, restored.response) == (0, [{"id": one["id"]}])
    assert (
        get(client, "threads/details.json", {"thread": one["id"], "access_token": member}).response["isDeleted"]
        is False
    )
    assert [t["id"] for t in get(client, "threads/list.json", query).response] == [one["id"]]
    assert [t["id"] for t in get(client, "threads/list.json", {**query, "include": "killed"}).response] == [two["id"]]


def test_update_by_the_author_or_a_moderator_only(api, client, forum):
    member, owner = forum["member"].access_token, forum["owner"].access_token
    other = register(api, "nora")
    join_workspace(forum["ws"], other)
    made = create(client, member, title="Old", message="m", slug="old").response

    refused = post(
        client, "threads/update.json", {"thread": made["id"], "title": "x", "access_token": other.access_token}
    )
    assert (refused.status, refused.code) == (400, 22)
    by_author = post(
        client,
        "threads/update.json",
        {"thread": made["id"], "title": "New", "message": "", "slug": "new", "access_token": member},
    )
    assert by_author.code == 0, by_author.text
    thread = by_author.response
    assert (thread["title"], thread["message"], thread["slug"]) == ("New", "", "new")
    by_moderator = post(
        client, "threads/update.json", {"thread": made["id"], "url": "https://Example.com/a#x", "access_token": owner}
    )
    assert (by_moderator.code, by_moderator.response["link"]) == (0, "https://example.com/a")
    found = get(
        client,
        "threads/details.json",
        {"thread": "link:https://example.com/a", "forum": "acme", "access_token": other.access_token},
    )
    assert (found.code, found.response["title"]) == (0, "New")
    empty = post(client, "threads/update.json", {"thread": made["id"], "title": "", "access_token": member})
    assert (empty.code, "'title'" in empty.response) == (2, True)


def test_identifier_moves_atomically_and_a_taken_one_is_refused(client, forum):
    member = forum["member"].access_token
    made = create(client, member, title="A", identifier="old-id").response
    create(client, member, title="B", identifier="taken")
    taken = post(client, "threads/update.json", {"thread": made["id"], "identifier": "taken", "access_token": member})
    assert (taken.status, taken.code) == (400, 2) and "'identifier'" in taken.response
    lookup = {"forum": "acme", "access_token": member}
    assert get(client, "threads/details.json", {**lookup, "thread": "ident:old-id"}).response["id"] == made["id"]

    moved = post(client, "threads/update.json", {"thread": made["id"], "identifier": "new-id", "access_token": member})
    assert (moved.code, moved.response["identifiers"]) == (0, ["new-id"])
    assert get(client, "threads/details.json", {**lookup, "thread": "ident:new-id"}).response["id"] == made["id"]
    gone = get(client, "threads/details.json", {**lookup, "thread": "ident:old-id"})
    assert (gone.status, gone.code) == (400, 8), gone.text  # no such thread
    reused = create(client, member, title="C", identifier="old-id")
    assert reused.code == 0, reused.text  # the old identifier is free again
