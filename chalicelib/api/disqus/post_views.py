"""Disqus's post object and the posts lists' arguments and cursors, shared by every endpoint
that lists posts (posts/list, threads/listPosts, threads/listPostsThreaded, forums/listPosts,
users/listPosts, categories/listPosts)."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.objects import DEFAULT_AVATAR, forum_view, user_view
from chalicelib.api.disqus.protocol import Cursor
from chalicelib.api.routing import Call, Reply
from chalicelib.errors import ValidationError
from chalicelib.services import posts
from chalicelib.services.posts import Posted, PostPage, PostQuery
from chalicelib.store import users as user_store
from chalicelib.store.models import Channel, Message, User, Workspace

FILTERS = range(1, 19)
LIST_ARGUMENTS = {
    "order": "desc (default) or asc",
    "include": "unapproved, approved (default), spam, deleted, flagged, highlighted (several; all but "
    "approved and highlighted for moderators)",
    "filters": "Disqus filter numbers 1-18 (several: posts with any of them)",
    "since": "Unix seconds or ISO 8601: posts from then on",
    "start": "Unix seconds or ISO 8601: posts from then on",
    "end": "Unix seconds or ISO 8601: posts until then",
    "query": "text the post contains (case-sensitive)",
    "related": "forum and/or thread: include those objects in each post",
    "offset": "deprecated (use cursor): posts to pass over first, at most 1,000",
}


def anonymous_author(post: Message) -> dict[str, Any]:
    return {
        "id": None,
        "username": None,
        "name": post.author_name or "Guest",
        "about": "",
        "url": post.author_url or "",
        "profileUrl": "",
        "isFollowing": False,
        "isFollowedBy": False,
        "isAnonymous": True,
        "avatar": {"permalink": DEFAULT_AVATAR, "cache": DEFAULT_AVATAR, "isCustom": False},
    }


def post_view(
    post: Message,
    forum: str,
    author: User | None,
    *,
    moderator: bool,
    related: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Disqus's post object. ``ipAddress`` only for the forum's moderators (a public key or
    JSONP caller never is one); no e-mail and no emailHash in a post's author."""
    removed = bool(post.deleted) or post.post_state == "deleted"
    likes, dislikes = int(post.likes or 0), int(post.dislikes or 0)
    if post.author_id and author is not None:
        shown_author: dict[str, Any] = user_view(author)
    elif post.author_id:
        shown_author = {**anonymous_author(post), "name": "", "isAnonymous": False, "id": post.author_id}
    else:
        shown_author = anonymous_author(post)
    view = {
        "id": disqus_id(post),
        "thread": post.channel_id,
        "forum": forum,
        "parent": int(post.parent_number) if post.parent_number is not None else None,
        "depth": int(post.depth or 0),
        "author": shown_author,
        "message": "" if removed else post.content_html,
        "raw_message": "" if removed else post.content,
        "media": [],
        "createdAt": protocol.render_timestamp(post.created_at),
        "isApproved": post.post_state == "approved",
        "isEdited": post.edited_at is not None,
        "isHighlighted": bool(post.highlighted),
        "isSpam": post.post_state == "spam",
        "isDeleted": removed,
        "isDeletedByAuthor": bool(post.deleted),
        "isFlagged": int(post.num_reports or 0) > 0,
        "isJuliaFlagged": False,
        "numReports": int(post.num_reports or 0),
        "likes": likes,
        "dislikes": dislikes,
        "points": likes - dislikes,
        "userScore": 0,
    }
    if moderator:
        view["ipAddress"] = post.ip_address or ""
    if related:
        view.update(related)
    return view


def disqus_id(post: Message) -> str:
    """A post's Disqus id: its number, as a string (``parent`` is the same number, as Disqus
    sends them; clients such as disqusjs nest replies where ``parent === Number(id)``)."""
    return str(int(post.post_number)) if post.post_number is not None else post.id


def authors_of(items: list[Message]) -> dict[str, User]:
    ids = list(dict.fromkeys(p.author_id for p in items if p.author_id))
    return user_store.get_many(ids) if ids else {}


def one_post(posted: Posted, related: set[str] = frozenset()) -> dict[str, Any]:
    author = user_store.get_user(posted.post.author_id) if posted.post.author_id else None
    extra = _related(related, posted.post, {posted.thread.id: posted.thread}, {posted.workspace.id: posted.workspace})
    return post_view(posted.post, posted.workspace.slug, author, moderator=posted.moderator, related=extra)


def _related(
    related: set[str] | frozenset[str], post: Message, threads: dict[str, Channel], workspaces: dict[str, Workspace]
) -> dict[str, Any]:
    from chalicelib.api.disqus.threads import thread_view
    from chalicelib.services.comment_threads import Found

    extra: dict[str, Any] = {}
    workspace = workspaces.get(post.workspace_id)
    if "forum" in related and workspace is not None:
        extra["forum"] = forum_view(workspace)
    thread = threads.get(post.channel_id)
    if "thread" in related and thread is not None and workspace is not None:
        extra["thread"] = thread_view(Found(thread, workspace, None))
    return extra


def related_of(call: Call) -> set[str]:
    related = set(call.query.get("related") or [])
    if not related <= {"forum", "thread"}:
        raise ValidationError("takes forum and/or thread.", field="related")
    return related


# --- lists ---------------------------------------------------------------------------------


def post_query(call: Call, *, default_order: str = "desc") -> tuple[PostQuery, Cursor | None]:
    """posts/list's arguments (and the cursor given, if any)."""
    args = call.query
    limit = protocol.integer(args, "limit", default=25, low=1, high=100)
    order = protocol.one(args, "order") or default_order
    if order not in ("asc", "desc"):
        raise ValidationError("is asc or desc.", field="order")
    include = frozenset(args.get("include") or ["approved"])
    if not include <= set(posts.INCLUDES):
        raise ValidationError("takes " + ", ".join(posts.INCLUDES) + ".", field="include")
    filters: set[int] = set()
    for value in args.get("filters") or []:
        if not value.isdigit() or int(value) not in FILTERS:
            raise ValidationError("takes filter numbers 1 to 18.", field="filters")
        filters.add(int(value))
    bounds = {}
    for name in ("since", "start", "end"):
        value = protocol.one(args, name)
        if value:
            bounds[name] = int(protocol.parse_timestamp(value, name).timestamp() * 1000)
    starts = [bounds[n] for n in ("since", "start") if n in bounds]
    text = protocol.one(args, "cursor")
    cursor = Cursor.decode(text) if text else None
    query = PostQuery(
        newest_first=order == "desc",
        include=include,
        filters=frozenset(filters),
        text=protocol.one(args, "query") or None,
        categories=tuple(args.get("category") or ()),
        start_ms=max(starts) if starts else None,
        end_ms=bounds.get("end"),
        after_id=cursor.key if cursor and cursor.key and not cursor.prev else None,
        before_id=cursor.key if cursor and cursor.key and cursor.prev else None,
        limit=limit,
        skip=protocol.integer(args, "offset", default=0, low=0, high=posts.MAX_SKIP) if cursor is None else 0,
    )
    return query, cursor


def posts_reply(call: Call, page: PostPage, query: PostQuery, cursor: Cursor | None, *, moderator: bool) -> Reply:
    """The page of post objects and Disqus's cursor: ``next`` continues after the last post,
    ``prev`` before the first (both key ranges, stable while posts arrive)."""
    related = related_of(call)
    if call.route.path.endswith(".rss"):  # each item's title is "Re: <the thread's title>"
        related.add("thread")
    authors = authors_of(page.posts)
    data = [
        post_view(
            post,
            page.workspaces[post.workspace_id].slug if post.workspace_id in page.workspaces else "",
            authors.get(post.author_id),
            moderator=moderator,
            related=_related(related, post, page.threads, page.workspaces),
        )
        for post in page.posts
    ]
    at_us = cursor.at_us if cursor else time.time_ns() // 1000
    backwards = cursor is not None and cursor.prev
    start = query.skip if cursor is None else cursor.offset
    if backwards:
        start = max(0, start - len(page.posts))
    end = start + len(page.posts)
    has_next = page.more if not backwards else True
    has_prev = (page.more if backwards else start > 0) if page.posts else start > 0
    first = page.posts[0].id if page.posts else None
    last = page.posts[-1].id if page.posts else (cursor.key if cursor and not backwards else None)
    if page.resume_id is not None:  # a filtered read stopped short: continue from where it stopped
        first, last = (page.resume_id, last) if backwards else (first, page.resume_id)
    pagination = {
        "prev": Cursor(at_us, start, True, first).encode() if has_prev and first else None,
        "hasNext": has_next,
        "next": Cursor(at_us, end, False, last).encode(),
        "hasPrev": bool(has_prev and first),
        "total": None,
        "id": Cursor(at_us, start, False, cursor.key if cursor else None).encode(),
        "more": has_next,
    }
    return Reply(data, pagination=pagination)
