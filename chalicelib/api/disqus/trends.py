"""/api/3.0/trends/listThreads: the forum's trending threads (docs/disqus.md)."""

from __future__ import annotations

import time
from typing import Any

from chalice import Blueprint

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.surface import DisqusSurface
from chalicelib.api.disqus.threads import thread_view
from chalicelib.api.routing import Call, Reply
from chalicelib.auth import scopes
from chalicelib.services import posts
from chalicelib.services.comment_threads import Found

bp = Blueprint(__name__)
disqus = DisqusSurface(bp, tag="Disqus 3.0: trends")


@disqus.endpoint(
    "trends/listThreads",
    "GET",
    summary="Trending threads: the most posts and post likes in the last 7 days",
    scope=scopes.COMMENTS_READ,
    arguments={
        "forum": "the forum id (default: the credential's own forum); several allowed",
        "limit": "1 to 10 (default 10)",
    },
)
def list_trending_threads(call: Call) -> Reply:
    limit = protocol.integer(call.query, "limit", default=10, low=1, high=10)
    slugs = [f for f in call.query.get("forum") or [] if f and f != ":all"]
    page = posts.recent(call.user, [], slugs, "7d")
    ranked = sorted(
        posts.activity(page, time.time_ns() // 1_000_000),
        key=lambda a: (a.posts + a.post_likes, a.hotness),
        reverse=True,
    )[:limit]
    return Reply([trend_view(a) for a in ranked], pagination=None)


def trend_view(active: posts.ThreadActivity) -> dict[str, Any]:
    """Disqus's trend item: the thread, its posts and their likes in the window, the score."""
    thread = thread_view(Found(active.thread, active.workspace, None))
    score = active.posts + active.post_likes
    return {
        "thread": thread,
        "posts": active.posts,
        "comments": active.posts,
        "postLikes": active.post_likes,
        "commentLikes": active.post_likes,
        "likes": thread["likes"],
        "link": thread["link"],
        "score": f"{score + active.hotness / 1000:.6f}",
        "createdAt": thread["createdAt"],
    }
