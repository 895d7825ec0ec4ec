"""categories/* and forums/listCategories over HTTP, and threads in categories."""

from __future__ import annotations

from tests.functional.api.disqus.calls import ORIGIN, get, post
from tests.functional.api.disqus.test_threads import create
from tests.helpers import create_workspace


def make(client, token, title, **form):
    return post(client, "categories/create.json", {"forum": "acme", "access_token": token, "title": title, **form})


def listed(client, token, path="categories/list.json", **query):
    answer = get(client, path, {"forum": "acme", "access_token": token, **query})
    assert answer.code == 0, answer.text
    return answer.response


def test_a_forum_gets_general_at_its_first_categories_call(client, forum):
    member = forum["member"].access_token
    first = listed(client, member)
    assert len(first) == 1
    general = first[0]
    assert {k: general[k] for k in ("forum", "title", "order", "isDefault")} == {
        "forum": "acme",
        "title": "General",
        "order": 0,
        "isDefault": True,
    }
    assert listed(client, member) == first  # made once
    assert listed(client, member, "forums/listCategories.json") == first
    by_key = get(client, "categories/list.json", {"forum": "acme", "api_key": forum["key"]}, headers=ORIGIN)
    assert by_key.response == first
    details = get(
        client, "categories/details.json", {"category": general["id"], "api_key": forum["key"]}, headers=ORIGIN
    )
    assert (details.code, details.response) == (0, general)


def test_create_by_moderators_with_order_and_one_default(client, forum):
    owner, member = forum["owner"].access_token, forum["member"].access_token
    news = make(client, owner, "  News  ")  # a fresh forum: "General" is made first
    assert news.code == 0, news.text
    assert {k: news.response[k] for k in ("title", "order", "isDefault")} == {
        "title": "News",
        "order": 1,
        "isDefault": False,
    }
    sport = make(client, owner, "Sport", default="1").response
    assert (sport["order"], sport["isDefault"]) == (2, True)
    cats = listed(client, member)
    assert [(c["title"], c["order"], c["isDefault"]) for c in cats] == [
        ("General", 0, False),
        ("News", 1, False),
        ("Sport", 2, True),
    ]
    assert [c["title"] for c in listed(client, member, order="desc")] == ["Sport", "News", "General"]

    refused = make(client, member, "Mine")
    assert (refused.status, refused.code) == (400, 22)
    for form, name in (({"title": "x" * 51}, "title"), ({"title": ""}, "title"), ({"default": "yes"}, "default")):
        bad = post(client, "categories/create.json", {"forum": "acme", "access_token": owner, "title": "T", **form})
        assert (bad.code, f"'{name}'" in bad.response) == (2, True), (form, bad.text)
    by_key = post(
        client, "categories/create.json", {"forum": "acme", "api_key": forum["key"], "title": "x"}, headers=ORIGIN
    )
    assert by_key.code == 9


def test_details_and_list_follow_who_reads_the_forum(api, client, forum):
    owner = forum["owner"]
    general = listed(client, owner.access_token)[0]
    other = create_workspace(api, owner, "Other")
    theirs = post(
        client,
        "categories/create.json",
        {"forum": other["slug"], "access_token": owner.access_token, "title": "Theirs"},
    ).response
    by_key = get(client, "categories/details.json", {"category": theirs["id"], "api_key": forum["key"]}, headers=ORIGIN)
    assert (by_key.status, by_key.code) == (400, 8)  # acme's key does not read the other forum
    unknown = get(client, "categories/details.json", {"category": "nope", "access_token": owner.access_token})
    assert (unknown.code, unknown.response) == (8, "Unable to find category 'nope'.")
    assert get(client, "categories/details.json", {"access_token": owner.access_token}).code == 2
    mine = get(client, "categories/details.json", {"category": general["id"], "access_token": owner.access_token})
    assert mine.response["forum"] == "acme"


def test_list_pages_forward(client, forum):
    owner = forum["owner"].access_token
    for i in range(4):
        make(client, owner, f"c{i}")
    seen, cursor = [], None
    while True:
        page = get(
            client,
            "categories/list.json",
            {"forum": "acme", "access_token": owner, "limit": 2, **({"cursor": cursor} if cursor else {})},
        )
        seen += [c["title"] for c in page.response]
        if not page.json["cursor"]["hasNext"]:
            break
        cursor = page.json["cursor"]["next"]
    assert seen == ["General", "c0", "c1", "c2", "c3"]


def test_threads_take_a_category_of_their_forum(api, client, forum):
    owner, member = forum["owner"].access_token, forum["member"].access_token
    first = create(client, member, title="The forum's first thread").response
    news = make(client, owner, "News").response
    general = listed(client, member)[0]
    assert first["category"] == general["id"]  # the first thread made "General": a thread always has one
    in_news = create(client, member, title="In news", category=news["id"])
    assert (in_news.code, in_news.response["category"]) == (0, news["id"])
    default = create(client, member, title="Default").response
    assert default["category"] == general["id"]
    unknown = create(client, member, title="x", category="nope")
    assert (unknown.status, unknown.code, "'category'" in unknown.response) == (400, 2, True)
    other = create_workspace(api, forum["owner"], "Other")
    theirs = post(
        client,
        "categories/create.json",
        {"forum": other["slug"], "access_token": owner, "title": "Theirs"},
    ).response
    assert create(client, member, title="x", category=theirs["id"]).code == 2


def threads_in(client, token, category, **query):
    answer = get(client, "categories/listThreads.json", {"category": category, "access_token": token, **query})
    assert answer.code == 0, answer.text
    return [t["id"] for t in answer.response]


def test_list_threads_newest_first_and_moves_with_updates(client, forum):
    owner, member = forum["owner"].access_token, forum["member"].access_token
    news = make(client, owner, "News").response
    sport = make(client, owner, "Sport").response
    one = create(client, member, title="One", category=news["id"]).response
    two = create(client, member, title="Two", category=news["id"]).response
    three = create(client, member, title="Three", category=sport["id"]).response
    assert threads_in(client, member, news["id"]) == [two["id"], one["id"]]
    assert threads_in(client, member, news["id"], order="asc") == [one["id"], two["id"]]
    assert threads_in(client, member, sport["id"]) == [three["id"]]

    moved = post(client, "threads/update.json", {"thread": one["id"], "category": sport["id"], "access_token": member})
    assert (moved.code, moved.response["category"]) == (0, sport["id"])
    assert threads_in(client, member, news["id"]) == [two["id"]]
    assert threads_in(client, member, sport["id"]) == [three["id"], one["id"]]
    bad = post(client, "threads/update.json", {"thread": one["id"], "category": "nope", "access_token": member})
    assert (bad.code, "'category'" in bad.response) == (2, True)
    empty = post(client, "threads/update.json", {"thread": one["id"], "category": "", "access_token": member})
    assert (empty.code, "'category'" in empty.response) == (2, True)

    assert post(client, "threads/remove.json", {"thread": three["id"], "access_token": owner}).code == 0
    assert threads_in(client, member, sport["id"]) == [one["id"]]  # removed threads are left out
    page = get(
        client, "categories/listThreads.json", {"category": sport["id"], "api_key": forum["key"]}, headers=ORIGIN
    )
    assert [t["id"] for t in page.response] == [one["id"]] and page.response[0]["forum"] == "acme"
    unknown = get(client, "categories/listThreads.json", {"category": "nope", "access_token": member})
    assert unknown.code == 8


def test_list_threads_pages_with_a_cursor(client, forum):
    owner, member = forum["owner"].access_token, forum["member"].access_token
    news = make(client, owner, "News").response
    made = [create(client, member, title=f"t{i}", category=news["id"]).response["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        query = {"category": news["id"], "access_token": member, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = get(client, "categories/listThreads.json", query)
        seen += [t["id"] for t in page.response]
        if not page.json["cursor"]["hasNext"]:
            break
        cursor = page.json["cursor"]["next"]
    assert seen == made[::-1]


def test_costs(client, forum):
    """categories/listThreads: the category (GetItem), access (BatchGetItem), one Query of its
    references, the threads (BatchGetItem). categories/list: slug, access + index, one Query.
    threads/create with a category: no extra call (the category is read with the access)."""
    from bench.recorder import Recorder

    owner, member = forum["owner"].access_token, forum["member"].access_token
    news = make(client, owner, "News").response
    create(client, member, title="One", category=news["id"])
    recorder = Recorder()
    recorder.install()
    try:
        recorded = []
        for call in (
            lambda: get(client, "categories/listThreads.json", {"category": news["id"], "access_token": member}),
            lambda: get(client, "categories/list.json", {"forum": "acme", "access_token": member}),
            lambda: create(client, member, title="Two", category=news["id"]),
            lambda: make(client, owner, "Sport"),
        ):
            with recorder.recording() as calls:
                assert call().code == 0
            recorded.append([c.operation for c in calls if c.phase == "handler"])
    finally:
        recorder.uninstall()
    assert recorded == [
        ["GetItem", "BatchGetItem", "Query", "BatchGetItem"],
        ["GetItem", "BatchGetItem", "Query"],
        ["GetItem", "BatchGetItem", "TransactWriteItems"],
        ["GetItem", "BatchGetItem", "TransactWriteItems"],
    ]
