"""/api/3.0/posts/*: a post is a message of a comments thread (docs/disqus.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalice import Blueprint

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.post_views import (
    LIST_ARGUMENTS,
    disqus_id,
    one_post,
    post_query,
    posts_reply,
    related_of,
)
from chalicelib.api.disqus.surface import DisqusSurface
from chalicelib.api.disqus.threads import thread_lookups
from chalicelib.api.routing import Call, Reply
from chalicelib.auth import scopes
from chalicelib.errors import ValidationError
from chalicelib.services import categories, posts
from chalicelib.services.posts import Guest

bp = Blueprint(__name__)
disqus = DisqusSurface(bp, tag="Disqus 3.0: posts")

POST = {"post": "required: the post id"}
POSTS = {"post": "required: post ids (several allowed, at most 100)"}
GUEST_LIMITS = {"author_name": 100, "author_email": 254, "author_url": 500}


@disqus.endpoint(
    "posts/create",
    "POST",
    summary="Post a comment in a thread (or answer a post)",
    limit="send",
    limit_by="thread",
    scope=scopes.COMMENTS_WRITE,
    arguments={
        "message": "required: the comment (markdown; rendered to safe HTML in message, raw_message keeps it)",
        "thread": "the thread id (or ident:/link: with forum); optional with parent",
        "forum": "the forum id, with thread=ident:/link:",
        "parent": "the post this one answers (any depth)",
        "author_name": "guests only (a public key on a forum that allows guests)",
        "author_email": "guests only",
        "author_url": "guests only",
        "state": "moderators: unapproved, approved, spam or killed",
        "date": "moderators: Unix seconds or ISO 8601",
        "ip_address": "moderators: the author's address (else the request's)",
    },
)
def create_post(call: Call) -> Any:
    args = call.query
    lookups = thread_lookups(args, single=False)
    if len(lookups) > 1:
        raise ValidationError("names one thread.", field="thread")
    guest = _guest(args)
    date = protocol.one(args, "date")
    posted = posts.create(
        call.user,
        lookups[0] if lookups else None,
        protocol.one(args, "message", required=True) or "",
        parent_id=protocol.one(args, "parent"),
        guest=guest,
        state=protocol.one(args, "state"),
        date=protocol.parse_timestamp(date, "date") if date else None,
        ip_address=protocol.one(args, "ip_address"),
        client_ip=call.client_ip,
    )
    return one_post(posted)


def _guest(args: dict[str, list[str]]) -> Guest | None:
    values = {name: protocol.one(args, name) for name in GUEST_LIMITS}
    for name, limit in GUEST_LIMITS.items():
        if values[name] is not None and len(values[name] or "") > limit:
            raise ValidationError(f"is longer than {limit} characters.", field=name)
    if not values["author_name"] and not values["author_email"]:
        return None
    if not values["author_name"]:
        raise ValidationError("is required with author_email.", field="author_name")
    email = values["author_email"] or ""
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValidationError("is not an e-mail address.", field="author_email")
    return Guest(values["author_name"] or "", email, values["author_url"] or None)


@disqus.endpoint(
    "posts/details",
    "GET",
    summary="A post by id",
    scope=scopes.COMMENTS_READ,
    arguments={**POST, "related": "forum and/or thread"},
)
def post_details(call: Call) -> Any:
    post_id = protocol.one(call.query, "post", required=True) or ""
    return one_post(posts.details(call.user, post_id), related_of(call))


@disqus.endpoint(
    "posts/getContext",
    "GET",
    summary="A post and the posts it answers, up to the top of its conversation",
    scope=scopes.COMMENTS_READ,
    arguments={**POST, "related": "forum and/or thread"},
    lists=True,
)
def post_context(call: Call) -> Reply:
    post_id = protocol.one(call.query, "post", required=True) or ""
    chain = posts.context(call.user, post_id)
    related = related_of(call)
    return Reply([one_post(p, related) for p in chain], pagination=None)


@disqus.endpoint(
    "posts/list",
    "GET",
    summary="Posts of threads or forums, by date",
    scope=scopes.COMMENTS_READ,
    arguments={
        "thread": "thread ids (several allowed; ident:/link: with forum)",
        "forum": "forum ids (several allowed); without thread or forum: the credential's own forum",
        "category": "category ids (several allowed)",
        "sortType": "date (default) or priority (answered by date: no priority model here)",
        **LIST_ARGUMENTS,
    },
    lists=True,
)
def list_posts(call: Call) -> Reply:
    args = call.query
    sort_type = protocol.one(args, "sortType") or "date"
    if sort_type not in ("date", "priority"):
        raise ValidationError("is date or priority.", field="sortType")
    query, cursor = post_query(call)
    lookups = thread_lookups(args, single=False)
    if lookups:
        found, page = posts.list_in_threads(call.user, lookups, query)
        moderator = all(posts.is_moderator(f.membership) for f in found)
        return posts_reply(call, page, query, cursor, moderator=moderator)
    forums = [f for f in args.get("forum") or [] if f]
    if not forums and query.categories:  # the categories' forum
        forums = [categories.details(call.user, query.categories[0])[0].slug]
    if not forums or forums == [":all"]:
        forums = posts.own_forums(call.user)
    page, moderator = posts.list_in_forums(call.user, forums, query)
    return posts_reply(call, page, query, cursor, moderator=moderator)


def _moderate(call: Call, action: str) -> list[dict[str, Any]]:
    ids = [v for v in call.query.get("post") or [] if v]
    if not ids:
        raise ValidationError("is required.", field="post")
    if len(ids) > 100:
        raise ValidationError("takes at most 100 posts.", field="post")
    done = posts.moderate(call.user, ids, action)
    return [{"id": disqus_id(d.post)} for d in done]


def _moderation_endpoint(verb: str, summary: str) -> None:
    def handler(call: Call) -> Any:
        return _moderate(call, verb)

    handler.__name__ = f"moderate_{verb}"
    disqus.endpoint(f"posts/{verb}", "POST", summary=summary, scope=scopes.COMMENTS_MODERATE, arguments=POSTS)(handler)


for _verb, _summary in (
    ("approve", "Approve posts (moderators)"),
    ("remove", "Remove posts (moderators): shown as deleted, restorable"),
    ("restore", "Restore removed or spam posts (moderators)"),
    ("spam", "Mark posts as spam (moderators)"),
    ("highlight", "Highlight a post (moderators)"),
    ("unhighlight", "Stop highlighting a post (moderators)"),
):
    _moderation_endpoint(_verb, _summary)


@disqus.endpoint(
    "posts/report",
    "POST",
    summary="Flag a post for the moderators",
    scope=scopes.COMMENTS_READ,
    arguments={**POST, "reason": "why (free text, optional)"},
)
def report_post(call: Call) -> Any:
    post_id = protocol.one(call.query, "post", required=True) or ""
    return one_post(posts.report(call.user, post_id, protocol.one(call.query, "reason")))


@disqus.endpoint(
    "posts/vote",
    "POST",
    summary="Vote on a post: 1, 0 (withdraw) or -1",
    scope=scopes.COMMENTS_WRITE,
    arguments={**POST, "vote": "required: -1, 0 or 1"},
)
def vote_post(call: Call) -> Any:
    post_id = protocol.one(call.query, "post", required=True) or ""
    posted, voted = posts.vote_post(call.user, post_id, _vote(call))
    return {
        "vote": voted.vote,
        "likesDelta": voted.likes_delta,
        "dislikesDelta": voted.dislikes_delta,
        "delta": voted.likes_delta - voted.dislikes_delta,
        "post": one_post(posted),
    }


def _vote(call: Call) -> int:
    text = protocol.one(call.query, "vote", required=True) or ""
    if text not in ("-1", "0", "1"):
        raise ValidationError("is -1, 0 or 1.", field="vote")
    return int(text)


# -- posts listed under other resources (forums/listPosts, users/listPosts) ------------------

forum_posts = DisqusSurface(bp, tag="Disqus 3.0: forums")
user_posts = DisqusSurface(bp, tag="Disqus 3.0: users")


@forum_posts.endpoint(
    "forums/listPosts",
    "GET",
    summary="A forum's posts by date",
    scope=scopes.COMMENTS_READ,
    arguments={"forum": "required: the forum id (workspace slug)", **LIST_ARGUMENTS},
    lists=True,
)
def list_forum_posts(call: Call) -> Reply:
    query, cursor = post_query(call)
    page, moderator = posts.list_in_forums(call.user, [protocol.one(call.query, "forum", required=True) or ""], query)
    return posts_reply(call, page, query, cursor, moderator=moderator)


@user_posts.endpoint(
    "users/listPosts",
    "GET",
    summary="A user's posts by date, in the forums you may read",
    scope=scopes.COMMENTS_READ,
    arguments={"user": "a user id (default: the access token's user)", **LIST_ARGUMENTS},
    lists=True,
)
def list_user_posts(call: Call) -> Reply:
    user_id = protocol.one(call.query, "user") or call.user.user_id
    if not user_id:
        raise ValidationError("is required.", field="user")
    query, cursor = post_query(call)
    return posts_reply(call, posts.list_by_user(call.user, user_id, query), query, cursor, moderator=False)


@disqus.endpoint(
    "posts/listPopular",
    "GET",
    summary="The interval's posts with the most points (of its newest 1,000)",
    scope=scopes.COMMENTS_READ,
    arguments={
        "forum": "the forum id (default: the credential's own forum)",
        "thread": "a thread (ident:/link: with forum)",
        "interval": "1h, 6h, 12h, 1d, 3d, 7d (default), 30d or 90d",
        "related": "forum and/or thread",
    },
    lists=True,
)
def list_popular_posts(call: Call) -> Reply:
    args = call.query
    limit = protocol.integer(args, "limit", default=25, low=1, high=100)
    lookups = thread_lookups(args, single=False)
    slugs = [f for f in args.get("forum") or [] if f and f != ":all"]
    page = posts.recent(call.user, lookups, slugs, protocol.one(args, "interval") or "7d")
    shown = posts.PostPage(posts.by_points(page.posts)[:limit], False, page.threads, page.workspaces)
    return posts_reply(call, shown, posts.PostQuery(limit=limit), None, moderator=False)


category_posts = DisqusSurface(bp, tag="Disqus 3.0: categories")


@category_posts.endpoint(
    "categories/listPosts",
    "GET",
    summary="A category's posts by date (posts of its threads)",
    scope=scopes.COMMENTS_READ,
    arguments={"category": "required: the category id", **LIST_ARGUMENTS},
    lists=True,
)
def list_category_posts(call: Call) -> Reply:
    category_id = protocol.one(call.query, "category", required=True) or ""
    workspace, _ = categories.details(call.user, category_id)
    query, cursor = post_query(call)
    query = replace(query, categories=(category_id,))
    page, moderator = posts.list_in_forums(call.user, [workspace.slug], query)
    return posts_reply(call, page, query, cursor, moderator=moderator)
