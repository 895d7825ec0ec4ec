"""/api/3.0/threads/*: a thread is a channel of type ``comments`` (docs/disqus.md)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.disqus import post_views, protocol
from chalicelib.api.disqus.paging import key_page, key_position, one_page
from chalicelib.api.disqus.surface import PREFIX, DisqusSurface
from chalicelib.api.routing import Call, Reply
from chalicelib.auth import scopes
from chalicelib.errors import NotFound, ValidationError
from chalicelib.services import comment_threads, posts
from chalicelib.services.comment_threads import Found, Lookup
from chalicelib.store.models import Channel

bp = Blueprint(__name__)
disqus = DisqusSurface(bp, tag="Disqus 3.0: threads")

INCLUDE = ("open", "closed", "killed")
THREAD = {
    "thread": "required: a thread id, ident:<identifier> or link:<url> (also thread:ident= / thread:link=)",
    "forum": "the forum id (workspace slug): required with an identifier or url",
}


def thread_view(found: Found) -> dict[str, Any]:
    """Disqus's thread object. ``posts`` counts approved posts, ``likes``/``dislikes`` the
    thread's votes (threads/vote); both kept exact in the transactions that change them."""
    thread: Channel = found.thread
    slug = found.workspace.slug
    return {
        "id": thread.id,
        "forum": slug,
        "title": thread.topic or "",
        "message": thread.description or "",
        "identifiers": [thread.identifier] if thread.identifier else [],
        "link": thread.link,
        "slug": thread.thread_slug or thread.name,
        "author": thread.created_by,
        "createdAt": protocol.render_timestamp(thread.created_at),
        "isClosed": bool(thread.closed),
        "isDeleted": bool(thread.archived),
        "posts": int(thread.post_count or 0),
        "likes": int(thread.likes or 0),
        "dislikes": int(thread.dislikes or 0),
        "category": thread.category,
        "feed": f"{PREFIX}/threads/list.rss?forum={slug}&thread={thread.id}",
        "reactions": 0,  # Disqus's page reactions: none here
        "userScore": 0,
    }


def parse_thread(value: str, forum: str | None) -> Lookup:
    """``123``, ``ident:<identifier>`` or ``link:<url>`` (the forms widgets send)."""
    if value.startswith("ident:"):
        return Lookup(identifier=value.removeprefix("ident:"), forum=forum)
    if value.startswith("link:"):
        return Lookup(link=value.removeprefix("link:"), forum=forum)
    return Lookup(thread_id=value, forum=forum)


def thread_lookups(args: dict[str, list[str]], *, single: bool) -> list[Lookup]:
    forum = protocol.one(args, "forum")
    found = [parse_thread(v, forum) for v in args.get("thread", []) if v]
    found += [Lookup(identifier=v, forum=forum) for v in args.get("thread:ident", []) if v]
    found += [Lookup(link=v, forum=forum) for v in args.get("thread:link", []) if v]
    if single and len(found) != 1:
        raise ValidationError("names one thread (thread, thread:ident or thread:link).", field="thread")
    return found


@disqus.endpoint(
    "threads/create",
    "POST",
    summary="Create a thread (a comments channel) in a forum",
    scope=scopes.COMMENTS_WRITE,
    arguments={
        "forum": "required: the forum id (workspace slug)",
        "title": "required: up to 200 characters",
        "message": "the thread's description",
        "identifier": "up to 300 characters, unique in the forum",
        "url": "the page's URL (up to 500 characters)",
        "slug": "up to 200 characters",
        "category": "a category id of the forum (default: the forum's default category)",
        "date": "Unix seconds or ISO 8601",
    },
)
def create_thread(call: Call) -> Any:
    args = call.query
    title = protocol.one(args, "title", required=True) or ""
    limits = {"title": 200, "identifier": 300, "url": 500, "slug": 200, "message": 20000, "category": 100}
    values = {name: protocol.one(args, name) for name in limits}
    for name, limit in limits.items():
        if values[name] is not None and len(values[name] or "") > limit:
            raise ValidationError(f"is longer than {limit} characters.", field=name)
    date = protocol.one(args, "date")
    found = comment_threads.create(
        call.user,
        protocol.one(args, "forum", required=True) or "",
        title=title,
        message=values["message"],
        identifier=values["identifier"],
        url=values["url"],
        slug=values["slug"],
        category=values["category"],
        date=protocol.parse_timestamp(date, "date") if date else None,
    )
    return thread_view(found)


@disqus.endpoint(
    "threads/details",
    "GET",
    summary="A thread by id, identifier or url",
    scope=scopes.COMMENTS_READ,
    arguments=THREAD,
)
def thread_details(call: Call) -> Any:
    return thread_view(comment_threads.find(call.user, thread_lookups(call.query, single=True)[0]))


def _set_closed(call: Call, closed: bool) -> Any:
    lookup = thread_lookups(call.query, single=True)[0]
    return thread_view(comment_threads.set_closed(call.user, lookup, closed))


@disqus.endpoint(
    "threads/close",
    "POST",
    summary="Close a thread to new posts (moderators)",
    scope=scopes.COMMENTS_MODERATE,
    arguments=THREAD,
)
def close_thread(call: Call) -> Any:
    return _set_closed(call, True)


@disqus.endpoint(
    "threads/open",
    "POST",
    summary="Open a closed thread (moderators)",
    scope=scopes.COMMENTS_MODERATE,
    arguments=THREAD,
)
def open_thread(call: Call) -> Any:
    return _set_closed(call, False)


THREADS = {
    "thread": "required: thread ids, ident:<identifier> or link:<url> (several allowed, at most 100)",
    "forum": THREAD["forum"],
}


def _set_removed(call: Call, removed: bool) -> Any:
    """Disqus answers remove and restore with ``[{"id": ...}]``, one per thread named."""
    lookups = thread_lookups(call.query, single=False)
    if not lookups:
        raise ValidationError("is required.", field="thread")
    if len(lookups) > 100:
        raise ValidationError("takes at most 100 threads.", field="thread")
    found = comment_threads.set_removed(call.user, lookups, removed)
    return [{"id": f.thread.id} for f in found]


@disqus.endpoint(
    "threads/remove",
    "POST",
    summary="Remove threads (moderators): v1 archives their channels",
    scope=scopes.COMMENTS_MODERATE,
    arguments=THREADS,
)
def remove_threads(call: Call) -> Any:
    return _set_removed(call, True)


@disqus.endpoint(
    "threads/restore",
    "POST",
    summary="Restore removed threads (moderators): v1 unarchives their channels",
    scope=scopes.COMMENTS_MODERATE,
    arguments=THREADS,
)
def restore_threads(call: Call) -> Any:
    return _set_removed(call, False)


UPDATE_LIMITS = {"title": 200, "message": 20000, "slug": 200, "url": 500, "identifier": 300, "category": 100}


@disqus.endpoint(
    "threads/update",
    "POST",
    summary="Update a thread (its author or moderators): title, message, slug, url, identifier, category",
    scope=scopes.COMMENTS_WRITE,
    arguments={
        **THREAD,
        "title": "up to 200 characters",
        "message": "the thread's description (empty clears it)",
        "slug": "up to 200 characters (empty clears it)",
        "url": "the page's URL (empty clears it)",
        "identifier": "unique in the forum (empty clears it)",
        "category": "a category id of the forum",
    },
)
def update_thread(call: Call) -> Any:
    lookup = thread_lookups(call.query, single=True)[0]
    given: dict[str, str | None] = {}
    for name, limit in UPDATE_LIMITS.items():
        if name in call.query:
            value = protocol.one(call.query, name) or ""
            if len(value) > limit:
                raise ValidationError(f"is longer than {limit} characters.", field=name)
            given[name] = value
    return thread_view(comment_threads.update(call.user, lookup, given))


@disqus.endpoint(
    "threads/list",
    "GET",
    summary="A forum's threads in creation order, or the threads named",
    scope=scopes.COMMENTS_READ,
    arguments={
        "forum": "the forum id (workspace slug); required unless thread is given",
        "thread": "thread ids, ident:<identifier> or link:<url> (several allowed)",
        "since": "Unix seconds or ISO 8601: from that moment on, in the order asked",
        "order": "desc (default) or asc, by creation",
        "include": "open, closed (default both) or killed (removed threads, on their own)",
    },
    lists=True,
)
def list_threads(call: Call) -> Reply:
    return threads_page(call)


def threads_page(call: Call) -> Reply:
    """threads/list, and forums/listThreads (chalicelib/api/disqus/forums.py)."""
    args = call.query
    position = key_position(call)  # limit, order, a forward cursor or since (api/disqus/paging.py)
    include = set(args.get("include") or ["open", "closed"])
    if not include <= set(INCLUDE) or ("killed" in include and len(include) > 1):
        raise ValidationError("takes open and/or closed, or killed on its own.", field="include")
    lookups = thread_lookups(args, single=False)
    if lookups:
        return _named_threads(call, lookups, include)
    workspace, threads, more = comment_threads.list_threads(
        call.user,
        protocol.one(args, "forum", required=True) or "",
        killed="killed" in include,
        newest_first=position.newest_first,
        from_ms=position.from_ms,
        skip=position.skip,
        limit=position.limit,
    )
    shown = [thread_view(Found(t, workspace, None)) for t in threads if _included(t, include)]
    return key_page(position, [t.id for t in threads], shown, more)


def _included(thread: Channel, include: set[str]) -> bool:
    return "killed" in include or ("closed" if thread.closed else "open") in include


def _named_threads(call: Call, lookups: list[Lookup], include: set[str]) -> Reply:
    """The threads named (ids in one batch; identifiers and urls each looked up): one page."""
    if len(lookups) > 100:
        raise ValidationError("takes at most 100 threads.", field="thread")
    forum = protocol.one(call.query, "forum")
    ids = [lookup.thread_id for lookup in lookups if lookup.thread_id]
    found = comment_threads.find_many(call.user, ids) if ids else []
    for lookup in lookups:
        if lookup.thread_id is None:
            try:
                found.append(comment_threads.find(call.user, lookup))
            except NotFound:
                continue  # Disqus lists what it finds
    if forum:
        found = [f for f in found if f.workspace.slug == forum.lower()]
    shown = [f for f in found if _included(f.thread, include) and bool(f.thread.archived) == ("killed" in include)]
    return one_page([thread_view(f) for f in shown])


# -- posts of a thread (chalicelib/api/disqus/post_views.py) --------------------------------


@disqus.endpoint(
    "threads/listPosts",
    "GET",
    summary="A thread's posts by date",
    scope=scopes.COMMENTS_READ,
    arguments={**THREAD, **post_views.LIST_ARGUMENTS},
    lists=True,
)
def list_thread_posts(call: Call) -> Reply:
    query, cursor = post_views.post_query(call)
    found, page = posts.list_in_threads(call.user, thread_lookups(call.query, single=True), query)
    return post_views.posts_reply(call, page, query, cursor, moderator=posts.is_moderator(found[0].membership))


@disqus.endpoint(
    "threads/listPostsThreaded",
    "GET",
    summary="A thread's posts in conversation order: each post followed by its answers",
    scope=scopes.COMMENTS_READ,
    arguments={
        **THREAD,
        **post_views.LIST_ARGUMENTS,
        "order": "desc (default: newest conversation first), asc, or popular (the top-level posts by points)",
    },
    lists=True,
)
def list_thread_posts_threaded(call: Call) -> Reply:
    order = protocol.one(call.query, "order") or "desc"
    if order == "popular":
        return _popular_threaded(call)
    query, cursor = post_views.post_query(call)
    found, page = posts.list_in_threads(call.user, thread_lookups(call.query, single=True), query, threaded=True)
    return post_views.posts_reply(call, page, query, cursor, moderator=posts.is_moderator(found[0].membership))


def _popular_threaded(call: Call) -> Reply:
    """Ranked in memory from a bounded read (services.posts.popular_conversations): pages are
    offsets into that ranking, so the cursor carries an offset and no post id."""
    import time as clock

    limit = protocol.integer(call.query, "limit", default=25, low=1, high=100)
    text = protocol.one(call.query, "cursor")
    cursor = protocol.Cursor.decode(text) if text else None
    start = (max(0, cursor.offset - limit) if cursor.prev else cursor.offset) if cursor else 0
    found, page = posts.popular_conversations(call.user, thread_lookups(call.query, single=True)[0])
    shown = posts.PostPage(page.posts[start : start + limit], False, page.threads, page.workspaces)
    query = posts.PostQuery(limit=limit)
    reply = post_views.posts_reply(call, shown, query, None, moderator=posts.is_moderator(found.membership))
    at_us = cursor.at_us if cursor else clock.time_ns() // 1000
    more = start + limit < len(page.posts)
    reply.pagination = protocol.cursor_object(at_us, start, start + len(shown.posts), more)
    return reply


@disqus.endpoint(
    "threads/vote",
    "POST",
    summary="Vote on a thread: 1, 0 (withdraw) or -1",
    scope=scopes.COMMENTS_WRITE,
    arguments={**THREAD, "vote": "required: -1, 0 or 1"},
)
def vote_thread(call: Call) -> Any:
    text = protocol.one(call.query, "vote", required=True) or ""
    if text not in ("-1", "0", "1"):
        raise ValidationError("is -1, 0 or 1.", field="vote")
    found, voted = posts.vote_thread(call.user, thread_lookups(call.query, single=True)[0], int(text))
    return {
        "vote": voted.vote,
        "likesDelta": voted.likes_delta,
        "dislikesDelta": voted.dislikes_delta,
        "delta": voted.likes_delta - voted.dislikes_delta,
        "thread": thread_view(found),
    }


def _ranked_threads(call: Call, interval: str, key: Any) -> Reply:
    import time as clock

    limit = protocol.integer(call.query, "limit", default=25, low=1, high=100)
    slugs = [f for f in call.query.get("forum") or [] if f and f != ":all"]
    page = posts.recent(call.user, [], slugs, interval)
    ranked = sorted(posts.activity(page, clock.time_ns() // 1_000_000), key=key, reverse=True)[:limit]
    return Reply([thread_view(Found(a.thread, a.workspace, None)) for a in ranked], pagination=None)


@disqus.endpoint(
    "threads/listPopular",
    "GET",
    summary="The threads with the most posts in an interval (of its newest 1,000 posts)",
    scope=scopes.COMMENTS_READ,
    arguments={
        "forum": "the forum id (default: the credential's own forum)",
        "interval": "1h, 6h, 12h, 1d, 3d, 7d (default), 30d or 90d",
    },
    lists=True,
)
def list_popular_threads(call: Call) -> Reply:
    interval = protocol.one(call.query, "interval") or "7d"
    return _ranked_threads(call, interval, lambda a: (a.posts, a.post_likes, a.thread.id))


@disqus.endpoint(
    "threads/listHot",
    "GET",
    summary="Hot threads: recent posts weighed by age, and the thread's likes (last 7 days)",
    scope=scopes.COMMENTS_READ,
    arguments={"forum": "the forum id (default: the credential's own forum)"},
    lists=True,
)
def list_hot_threads(call: Call) -> Reply:
    return _ranked_threads(call, "7d", lambda a: (a.hotness, a.thread.id))
