"""Popular posts, popular and hot threads, trends: ranked from the interval's newest posts."""

from __future__ import annotations

from tests.functional.api.disqus.calls import ORIGIN, get, post
from tests.functional.api.disqus.test_posts import new_thread, said


def vote(client, token: str, post_id: str, value: str = "1") -> None:
    assert post(client, "posts/vote.json", {"post": post_id, "vote": value, "access_token": token}).code == 0


def test_popular_posts_and_popular_conversations(api, client, forum):
    owner, member = forum["owner"].access_token, forum["member"].access_token
    thread = new_thread(client, owner)["id"]
    quiet = said(client, member, thread, "quiet")["id"]
    liked = said(client, member, thread, "liked")["id"]
    answer = said(client, owner, thread, "an answer", parent=quiet)["id"]
    vote(client, owner, liked)
    vote(client, member, liked)
    vote(client, owner, answer)
    popular = get(client, "posts/listPopular.json", {"forum": "acme", "access_token": member, "interval": "1h"})
    assert [p["id"] for p in popular.response] == [liked, answer, quiet]
    bad = get(client, "posts/listPopular.json", {"forum": "acme", "access_token": member, "interval": "2h"})
    assert bad.code == 2 and "'interval'" in bad.response

    args = {"thread": thread, "order": "popular", "access_token": member, "limit": 2}
    first = get(client, "threads/listPostsThreaded.json", args)
    assert [p["id"] for p in first.response] == [liked, quiet]  # the liked conversation, then quiet's
    assert first.json["cursor"]["hasNext"] is True
    rest = get(client, "threads/listPostsThreaded.json", {**args, "cursor": first.json["cursor"]["next"]})
    assert [p["id"] for p in rest.response] == [answer] and rest.json["cursor"]["hasNext"] is False


def test_popular_hot_and_trending_threads(client, forum):
    owner, member = forum["owner"].access_token, forum["member"].access_token
    busy, calm = new_thread(client, owner, title="Busy")["id"], new_thread(client, owner, title="Calm")["id"]
    new_thread(client, owner, title="Silent")
    for text in ("one", "two", "three"):
        said(client, member, busy, text)
    liked = said(client, member, calm, "single")["id"]
    vote(client, owner, liked)
    popular = get(client, "threads/listPopular.json", {"forum": "acme", "access_token": member})
    assert [t["id"] for t in popular.response] == [busy, calm]  # threads without posts in the interval are not ranked
    hot = get(client, "threads/listHot.json", {"api_key": forum["key"], "forum": "acme"}, headers=ORIGIN)
    assert [t["id"] for t in hot.response] == [busy, calm]
    trends = get(client, "trends/listThreads.json", {"forum": "acme", "access_token": member, "limit": 1})
    (top,) = trends.response
    assert (top["thread"]["id"], top["posts"], top["postLikes"], top["likes"]) == (busy, 3, 0, 0)
    assert float(top["score"]) >= 3
    too_many = get(client, "trends/listThreads.json", {"forum": "acme", "access_token": member, "limit": 11})
    assert too_many.code == 2


def test_category_posts(client, forum):
    owner, member = forum["owner"].access_token, forum["member"].access_token
    news = post(client, "categories/create.json", {"forum": "acme", "title": "News", "access_token": owner}).response
    in_news = new_thread(client, owner, title="In news", category=news["id"])["id"]
    elsewhere = new_thread(client, owner, title="General")["id"]
    shown = said(client, member, in_news, "news post")["id"]
    said(client, member, elsewhere, "general post")
    listed = get(client, "categories/listPosts.json", {"category": news["id"], "access_token": member})
    assert [p["id"] for p in listed.response] == [shown]
    by_list = get(client, "posts/list.json", {"category": news["id"], "access_token": member})
    assert [p["id"] for p in by_list.response] == [shown]
    unknown = get(client, "categories/listPosts.json", {"category": "nope", "access_token": member})
    assert unknown.code == 8
