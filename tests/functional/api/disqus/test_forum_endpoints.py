"""forums/create, forums/listUsers and forums/listThreads over HTTP."""

from __future__ import annotations

from tests.functional.api.disqus.calls import ORIGIN, get, post
from tests.functional.api.disqus.test_threads import create, mint
from tests.helpers import join_workspace, register


def test_create_makes_a_workspace_owned_by_the_caller(api, client, forum):
    owner = forum["owner"]
    made = post(
        client,
        "forums/create.json",
        {
            "access_token": owner.access_token,
            "name": "My Blog",
            "short_name": "My-Blog",
            "website": "https://blog.example",
        },
    )
    assert made.code == 0, made.text
    created = made.response
    assert (created["id"], created["name"], created["founder"]) == ("my-blog", "My Blog", owner.user_id)
    details = get(client, "forums/details.json", {"forum": "my-blog", "access_token": owner.access_token})
    assert details.response == created
    mine = api.get("/v1/workspaces", token=owner.access_token).data
    assert any(w["slug"] == "my-blog" and w["role"] == "owner" for w in mine)
    moderators = get(client, "forums/listModerators.json", {"forum": "my-blog", "access_token": owner.access_token})
    assert [u["id"] for u in moderators.response] == [owner.user_id]

    taken = post(client, "forums/create.json", {"access_token": owner.access_token, "name": "x", "short_name": "acme"})
    assert (taken.status, taken.code, "'short_name'" in taken.response) == (400, 2, True)
    for form, name in (
        ({"name": "x", "short_name": "a b"}, "short_name"),
        ({"name": "x", "short_name": "ab"}, "short_name"),
        ({"short_name": "fine-one"}, "name"),
        ({"name": "x"}, "short_name"),
        ({"name": "x", "short_name": "fine-two", "website": "not a url"}, "website"),
    ):
        bad = post(client, "forums/create.json", {"access_token": owner.access_token, **form})
        assert (bad.code, f"'{name}'" in bad.response) == (2, True), (form, bad.text)


def test_create_needs_a_verified_users_session(api, client, forum):
    token = mint(api, forum["ws"], forum["owner"], "comments:write", "comments:moderate")
    by_secret = post(client, "forums/create.json", {"api_secret": token, "name": "x", "short_name": "by-token"})
    assert (by_secret.status, by_secret.code) == (400, 12)
    by_key = post(
        client, "forums/create.json", {"api_key": forum["key"], "name": "x", "short_name": "by-key"}, headers=ORIGIN
    )
    assert by_key.code == 9
    unverified = register(api, "una", verified=False)
    refused = post(
        client, "forums/create.json", {"access_token": unverified.access_token, "name": "x", "short_name": "una-s"}
    )
    assert (refused.status, refused.code) == (400, 17)


def test_list_users_pages_the_members(api, client, forum):
    owner, member = forum["owner"], forum["member"]
    third = register(api, "nora")
    join_workspace(forum["ws"], third)
    expected = sorted([owner.user_id, member.user_id, third.user_id])  # membership order: by user id
    seen, cursor = [], None
    while True:
        query = {
            "forum": "acme",
            "access_token": member.access_token,
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = get(client, "forums/listUsers.json", query)
        assert page.code == 0, page.text
        seen += page.response
        if not page.json["cursor"]["hasNext"]:
            break
        cursor = page.json["cursor"]["next"]
    assert [u["id"] for u in seen] == expected
    assert {u["username"] for u in seen} == {"olive", "mark", "nora"}
    assert all("email" not in u for u in seen)
    by_key = get(
        client, "forums/listUsers.json", {"forum": "acme", "api_key": forum["key"], "limit": 10}, headers=ORIGIN
    )
    assert [u["id"] for u in by_key.response] == expected
    stranger = register(api, "sam")
    assert get(client, "forums/listUsers.json", {"forum": "acme", "access_token": stranger.access_token}).code == 8


def test_list_threads_answers_as_threads_list_with_forum(client, forum):
    token = forum["member"].access_token
    made = [create(client, token, title=f"t{i}").response["id"] for i in range(3)]
    for query in ({}, {"order": "asc"}, {"limit": 2}, {"include": "killed"}):
        ask = {"forum": "acme", "access_token": token, **query}
        theirs = get(client, "forums/listThreads.json", ask)
        ours = get(client, "threads/list.json", ask)
        assert theirs.code == 0, theirs.text
        assert theirs.response == ours.response
        if ours.response:  # an empty page's next cursor is "now": a moment later for the second call
            assert theirs.json["cursor"]["next"] == ours.json["cursor"]["next"]
    assert [
        t["id"] for t in get(client, "forums/listThreads.json", {"forum": "acme", "access_token": token}).response
    ] == made[::-1]
    no_forum = get(client, "forums/listThreads.json", {"access_token": token, "thread": made[0]})
    assert (no_forum.code, "'forum'" in no_forum.response) == (2, True)
    rss = get(client, "forums/listThreads.rss", {"forum": "acme", "api_key": forum["key"]}, headers=ORIGIN)
    assert rss.status == 200 and rss.text.count("<item>") == 3


def test_costs_of_list_users(client, forum):
    """A page of members: slug (GetItem), workspace + membership (BatchGetItem), the
    memberships (one Query per 100), the page's profiles (BatchGetItem)."""
    from bench.recorder import Recorder

    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as calls:
            answer = get(
                client, "forums/listUsers.json", {"forum": "acme", "access_token": forum["member"].access_token}
            )
            assert answer.code == 0
    finally:
        recorder.uninstall()
    assert [c.operation for c in calls if c.phase == "handler"] == ["GetItem", "BatchGetItem", "Query", "BatchGetItem"]
