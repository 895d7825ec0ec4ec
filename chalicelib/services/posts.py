"""Disqus posts: messages of a comments thread, written and moderated under one set of rules.

Who may do what (docs/permissions.md, docs/disqus.md):
- Any forum member posts in any open thread (a comments thread is public within its
  workspace, and posting there needs no join). A token needs ``comments:write`` (Disqus) or
  ``messages:write`` (a v1 message into the thread: the same function).
- Readers see approved posts; a post's author also sees their own pending one by id;
  moderators (workspace admins and owners, a token with ``comments:moderate``) see every
  state, set ``state``, ``date`` and ``ip_address`` when posting, and approve, remove,
  restore, mark spam and highlight.
- Votes: any member with ``comments:write``, one vote per user per post or thread.

A post's state: ``approved`` (shown), ``unapproved`` (held: the forum pre-moderates, or a
rule held it), ``spam``, ``deleted`` (removed by a moderator; restorable). A v1 delete by
the author tombstones the message as in chat, and Disqus shows it as deleted too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, Forbidden, NotFound, NotMember, ValidationError
from chalicelib.ids import is_id, new_id, now_iso
from chalicelib.services import authz, comment_rules, comment_threads, forums
from chalicelib.services.comment_threads import Found, Lookup
from chalicelib.services.forums import is_moderator
from chalicelib.services.messages import MAX_CONTENT, render_content
from chalicelib.store import channels as channel_store
from chalicelib.store import keys
from chalicelib.store import messages as message_store
from chalicelib.store import posts as post_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import AlreadyExists, ConditionFailed
from chalicelib.store.models import Channel, Membership, Message, Workspace

# Disqus's filter numbers (posts/list ``filters``) that are facts computed when a post is
# written or moderated. 7 and 14-18 (toxicity, sexual, hate, bullying, violence,
# promotion) have no source here: ``classify`` (off) is where a classifier would add them.
ANONYMOUS, HAS_LINK, LOW_REP, BAD_WORD, FLAGGED, NO_ISSUE = 1, 2, 3, 4, 5, 6
MODIFIED_BY_RULE, HAS_MEDIA, AT_FLAG_LIMIT, NEW_USER_NEEDS_APPROVAL = 8, 10, 11, 13
ISSUES = frozenset(range(2, 19)) - {NO_ISSUE}
MODERATED_STATES = ("unapproved", "spam", "deleted")
VOTE_ATTEMPTS = 5
NUMBER_ATTEMPTS = 3

_LINK = re.compile(r"<a\s", re.IGNORECASE)
_MEDIA = re.compile(r"<img\s", re.IGNORECASE)


def classify(text: str) -> frozenset[int]:
    """The hook for a content classifier (Disqus filters 7, 14-18). Off: no classifier is
    configured, and a score is never invented."""
    return frozenset()


@dataclass(frozen=True)
class Guest:
    """An anonymous author (forums that allow guests)."""

    name: str
    email: str
    url: str | None = None


@dataclass(frozen=True)
class Posted:
    post: Message
    thread: Channel
    workspace: Workspace
    membership: Membership | None

    @property
    def moderator(self) -> bool:
        return is_moderator(self.membership)


def _post_not_found() -> NotFound:
    return NotFound("Unable to find post.", field="post")


# --- writing -------------------------------------------------------------------------


def create(
    principal: Principal,
    lookup: Lookup | None,
    text: str,
    *,
    parent_id: str | None = None,
    guest: Guest | None = None,
    state: str | None = None,
    date: datetime | None = None,
    ip_address: str | None = None,
    client_ip: str | None = None,
    scope: str = scopes.COMMENTS_WRITE,
) -> Posted:
    """A new post in the thread named by ``lookup`` (or the parent's thread)."""
    authz.require_scope(principal, scope)
    parent: Message | None = None
    if lookup is None:  # the parent names the thread: its look-up brings the thread and access
        if parent_id is None:
            raise ValidationError("is required (or a parent post).", field="thread")
        try:
            answered = details(principal, parent_id, scope)
        except NotFound:
            raise ValidationError("is not a post you may answer.", field="parent") from None
        parent = answered.post
        found = Found(answered.thread, answered.workspace, answered.membership)
    else:
        found = comment_threads.find(principal, lookup, scope)
    if principal.kind == "public_key" and guest is None:
        raise Forbidden("A public key posts only as a guest (author_name and author_email).")
    if guest is not None and (principal.kind != "public_key" or not found.workspace.comments_allow_guests):
        raise Forbidden("This forum does not take guest posts (or sign the post with your own account).")
    if found.membership is None and principal.kind != "public_key":
        raise NotFound("Unable to find thread.", field="thread")
    thread = found.thread
    if thread.archived:
        raise NotFound("Unable to find thread.", field="thread")
    if thread.closed:
        raise Forbidden("The thread is closed to new posts.")
    moderator = is_moderator(found.membership)
    for name, given in (("state", state), ("date", date), ("ip_address", ip_address)):
        if given is not None and not moderator:
            raise Forbidden(f"Only the forum's moderators may set {name}.")
    if state is not None and state not in ("approved", *MODERATED_STATES):
        raise ValidationError("is unapproved, approved, spam or killed.", field="state")
    if parent_id is not None and parent is None:
        located = _locate(parent_id)
        parent = post_store.get(thread.id, located[1].removeprefix(keys.MESSAGE_PREFIX)) if located else None
        if parent is None or not parent.is_post or parent.deleted or parent.post_state == "deleted":
            raise ValidationError("is not a post of this thread.", field="parent")
    if not text.strip():
        raise ValidationError("is required.", field="message")
    if len(text) > MAX_CONTENT:
        raise ValidationError(f"is longer than {MAX_CONTENT} characters.", field="message")
    body = render_content(text, thread.workspace_id)
    author_id = None if guest is not None else principal.user_id
    verdict = comment_rules.evaluate(
        thread.workspace_id,
        text=text,
        author_id=author_id,
        author_email=guest.email if guest else None,
        ip_address=ip_address,
    )
    facts = set(verdict.facts) | set(classify(text))
    if guest is not None:
        facts.add(ANONYMOUS)
    if _LINK.search(body.html):
        facts.add(HAS_LINK)
    if _MEDIA.search(body.html):
        facts.add(HAS_MEDIA)
    if not facts & ISSUES:
        facts.add(NO_ISSUE)
    chosen = state or verdict.state or _default_state(found.workspace, moderator, verdict.whitelisted, guest)
    created_at = date.isoformat().replace("+00:00", "Z") if date else now_iso()
    for _ in range(NUMBER_ATTEMPTS):
        message = message_store.new_message(
            new_id(),
            thread,
            parent_id=None,
            author_id=author_id or "",
            content=body.content,
            content_html=body.html,
            mentions=body.mentions,
            special_mentions=body.special,
            kind="bot" if principal.is_bot else "message",
            created_at=created_at,
        )
        post = post_store.make_post(
            message,
            parent=parent,
            state=_stored_state(chosen),
            facts=facts,
            author_user_id=author_id,
            category=thread.category,
            author_name=guest.name if guest else None,
            author_email=guest.email if guest else None,
            author_url=guest.url if guest else None,
            ip_address=ip_address or client_ip,
        )
        try:
            post_store.create(post)
            break
        except AlreadyExists:
            continue  # another process took this millisecond's number: a new id, a new number
        except ConditionFailed:
            raise Forbidden("The thread is closed to new posts.") from None
    else:
        raise Conflict("Could not number the post: retry.")
    return Posted(post, thread, found.workspace, found.membership)


def _stored_state(state: str) -> str:
    return "deleted" if state == "killed" else state


def _default_state(workspace: Workspace, moderator: bool, whitelisted: bool, guest: Guest | None) -> str:
    """Pre-moderation (a forum setting) holds new posts, except a moderator's or a
    whitelisted author's."""
    if moderator or whitelisted:
        return "approved"
    return "unapproved" if workspace.comments_premoderate else "approved"


# --- reading -------------------------------------------------------------------------


def details(principal: Principal, post_id: str, scope: str = scopes.COMMENTS_READ) -> Posted:
    """A post the caller may see: its location (its number's guard, or GSI2 for a v1 id),
    then the workspace, membership, post and thread in one BatchGetItem."""
    authz.require_scope(principal, scope)
    located = _locate(post_id)
    if located is None:
        raise _post_not_found()
    channel_id, sort_key, workspace_id = located
    try:
        authz.require_token_workspace(principal, workspace_id)
    except NotMember:
        raise _post_not_found() from None
    post_key, thread_key = (keys.channel(channel_id), sort_key), (keys.channel(channel_id), keys.META)
    workspace, membership, more = workspace_store.get_with_membership_and(
        workspace_id, principal.user_id, [post_key, thread_key]
    )
    post, thread = more.get(post_key), more.get(thread_key)
    readable = workspace is not None and (membership is not None or principal.kind == "public_key")
    if not readable or not isinstance(post, Message) or not post.is_post or not isinstance(thread, Channel):
        raise _post_not_found()
    authz.refuse_banned(membership)
    posted = Posted(post, thread, workspace, membership)
    if not visible(post, principal, membership):
        raise _post_not_found()
    return posted


def _locate(post_ref: str) -> tuple[str, str, str] | None:
    """(thread id, sort key, workspace id) of a post named by its Disqus number (one GetItem
    of its guard) or its v1 id (GSI2)."""
    if post_ref.isdigit() and len(post_ref) <= 16:
        found = post_store.locate_number(int(post_ref))
        return (found[0], keys.message(found[1]), found[2]) if found else None
    return message_store.locate(post_ref) if is_id(post_ref) else None


def visible(post: Message, principal: Principal, membership: Membership | None) -> bool:
    if post.post_state == "approved" or is_moderator(membership):
        return True
    return bool(principal.user_id) and post.author_id == principal.user_id and post.post_state == "unapproved"


def thread_of(principal: Principal, lookup: Lookup) -> Found:
    return comment_threads.find(principal, lookup)


def thread_by_id(thread_id: str) -> Channel | None:
    return channel_store.get(thread_id)


# --- moderation ----------------------------------------------------------------------


def moderate(principal: Principal, post_ids: list[str], action: str) -> list[Posted]:
    """approve | remove | restore | spam | highlight | unhighlight on each post (all checked
    first: a post you may not moderate stops the call before anything changes)."""
    targets = [details(principal, post_id, scopes.COMMENTS_MODERATE) for post_id in post_ids]
    for target in targets:
        if not target.moderator:
            raise Forbidden("Only the forum's moderators may moderate posts.")
    done = []
    for target in targets:
        post = target.post
        if action in ("highlight", "unhighlight"):
            post_store.set_highlighted(post, action == "highlight")
            post.highlighted = action == "highlight"
        else:
            state = {"approve": "approved", "restore": "approved", "remove": "deleted", "spam": "spam"}[action]
            if post.post_state != state:
                try:
                    post_store.set_state(post, state)
                except ConditionFailed:
                    raise ValidationError("changed meanwhile: try again.", field="post") from None
                post.post_state = state
        done.append(target)
    return done


def report(principal: Principal, post_id: str, reason: str | None = None) -> Posted:
    """Any signed-in reader flags the post, once (services/flags.py: the same flags as v1's)."""
    from chalicelib.services import flags

    target = details(principal, post_id)
    flags.flag_message(principal, target.post, reason)
    return target


# --- votes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Voted:
    vote: int
    likes_delta: int
    dislikes_delta: int


def vote_post(principal: Principal, post_id: str, vote: int) -> tuple[Posted, Voted]:
    target = details(principal, post_id, scopes.COMMENTS_WRITE)
    _check_voter(principal, target.membership)
    voted = _vote(target.post, principal.user_id, vote)
    target.post.likes = int(target.post.likes or 0) + voted.likes_delta
    target.post.dislikes = int(target.post.dislikes or 0) + voted.dislikes_delta
    return target, voted


def vote_thread(principal: Principal, lookup: Lookup, vote: int) -> tuple[Found, Voted]:
    found = comment_threads.find(principal, lookup, scopes.COMMENTS_WRITE)
    _check_voter(principal, found.membership)
    voted = _vote(found.thread, principal.user_id, vote)
    found.thread.likes = int(found.thread.likes or 0) + voted.likes_delta
    found.thread.dislikes = int(found.thread.dislikes or 0) + voted.dislikes_delta
    return found, voted


def _check_voter(principal: Principal, membership: Membership | None) -> None:
    if not principal.user_id or membership is None:
        raise Forbidden("Voting needs a signed-in member of the forum.")


def _vote(target: Message | Channel, user_id: str, vote: int) -> Voted:
    if vote not in (-1, 0, 1):
        raise ValidationError("is -1, 0 or 1.", field="vote")
    for _ in range(VOTE_ATTEMPTS):
        existing = post_store.get_vote(target, user_id)
        old = int(existing.vote) if existing is not None else 0
        if old == vote:
            return Voted(vote, 0, 0)
        try:
            likes, dislikes = post_store.set_vote(target, user_id, old, vote, now_iso())
        except ConditionFailed:
            continue  # the same user voted meanwhile: read again
        return Voted(vote, likes, dislikes)
    raise ValidationError("changed meanwhile: try again.", field="vote")


# --- lists ---------------------------------------------------------------------------

INCLUDES = ("unapproved", "approved", "spam", "deleted", "flagged", "highlighted")
PUBLIC_INCLUDES = frozenset({"approved", "highlighted"})
MAX_SOURCES = 10  # threads or forums merged into one time-ordered list
MAX_SKIP = 1000  # ``offset`` reads the posts it skips: cursors (key ranges) are the way to page


@dataclass(frozen=True)
class PostQuery:
    """What a posts list asks for (posts/list's arguments, resolved)."""

    newest_first: bool = True
    include: frozenset[str] = frozenset({"approved"})
    filters: frozenset[int] = frozenset()
    text: str | None = None
    categories: tuple[str, ...] = ()
    start_ms: int | None = None  # created at or after
    end_ms: int | None = None  # created at or before
    after_id: str | None = None  # the cursor: after this post, in list order
    before_id: str | None = None  # or the page before this one
    limit: int = 25
    skip: int = 0  # Disqus's deprecated ``offset``: posts passed over first (bounded: MAX_SKIP)


@dataclass(frozen=True)
class PostPage:
    posts: list[Message]
    more: bool
    threads: dict[str, Channel]
    workspaces: dict[str, Workspace]
    resume_id: str | None = None  # where a filtered read stopped short (the cursor's post)


def _condition(query: PostQuery, moderator: bool, *, time_filter: bool) -> Any:
    """The filter: included kinds (any), filters (any), the text, categories, and, for
    threaded order, the time bounds (time-ordered lists bound the key instead)."""
    include = query.include
    if not moderator and not include <= PUBLIC_INCLUDES:
        raise Forbidden("Only the forum's moderators may list unapproved, spam, deleted or flagged posts.")
    alive = Message.deleted == False  # noqa: E712
    kinds = []
    for kind in include:
        if kind in ("approved", "unapproved", "spam"):
            kinds.append((Message.post_state == kind) & alive)
        elif kind == "deleted":
            kinds.append((Message.post_state == "deleted") | (Message.deleted == True))  # noqa: E712
        elif kind == "flagged":
            kinds.append((Message.num_reports > 0) & alive)
        elif kind == "highlighted":
            kinds.append((Message.highlighted == True) & (Message.post_state == "approved") & alive)  # noqa: E712
    condition = _any(kinds)
    if query.filters:
        condition &= _any([Message.facts.contains(number) for number in sorted(query.filters)])
    if query.text:
        condition &= Message.content.contains(query.text)
    if query.categories:
        condition &= Message.category.is_in(*query.categories)
    if time_filter:
        if query.start_ms is not None:
            condition &= Message.created_at >= _iso(query.start_ms)
        if query.end_ms is not None:
            condition &= Message.created_at <= _iso(query.end_ms + 1)
    return condition


def _any(conditions: list[Any]) -> Any:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


def _iso(ms: int) -> str:
    from datetime import UTC

    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _window(listing: post_store.Listing, query: PostQuery, cursor_key: str | None) -> post_store.Window:
    """Key bounds: the time range (time-ordered lists) and the cursor."""
    low = high = None
    prefix = "" if listing.index else keys.MESSAGE_PREFIX
    if listing.index != "GSI3" and listing.index != "GSI4":
        if query.start_ms is not None:
            low = prefix + keys.uuid7_prefix(query.start_ms)
        if query.end_ms is not None:
            high = prefix + keys.uuid7_prefix(query.end_ms + 1)
    if query.before_id is not None:
        return post_store.Window(before=cursor_key, low=low, high=high)
    return post_store.Window(after=cursor_key, low=low, high=high)


def _cursor_key(listing: post_store.Listing, query: PostQuery, thread_id: str | None) -> str | None:
    post_id = query.before_id or query.after_id
    if post_id is None:
        return None
    known = post_store.sort_key_of_id(listing, post_id)
    if known is not None:
        return known
    post = post_store.get(thread_id or "", post_id)  # threaded order: the post's tree path
    if post is None or not post.is_post:
        raise ValidationError("points at a post that no longer exists.", field="cursor")
    return post_store.sort_value(listing, post)


def _read(
    listings: list[post_store.Listing], query: PostQuery, moderator: bool, thread_id: str | None = None
) -> tuple[list[Message], bool, str | None]:
    """One Query per source, merged by id when there are several (all time-ordered). Returns
    the posts in list order, whether more lie beyond, and where the read stopped when a
    filter cut it short (a post id: the cursor resumes there, so pages always progress)."""
    threaded = listings[0].index in ("GSI3", "GSI4")
    condition = _condition(query, moderator, time_filter=threaded)
    backwards = query.before_id is not None
    read_desc = query.newest_first != backwards  # the order items come in, by id
    wanted = query.limit + query.skip
    found: list[Message] = []
    reached: list[str] = []  # how far each source that has more was read
    more = False
    for listing in listings:
        window = _window(listing, query, _cursor_key(listing, query, thread_id))
        part = post_store.page(listing, window, limit=wanted, backwards=backwards, filter_condition=condition)
        in_read_order = list(reversed(part.items)) if backwards else part.items
        found += in_read_order
        more = more or part.more
        if part.frontier is not None:
            reached.append(post_store.post_id_at(listing, part.frontier))
        elif part.more and in_read_order:
            reached.append(in_read_order[-1].id)
    if len(listings) > 1:  # merged by id, which is creation order in every time-ordered list
        found.sort(key=lambda post: post.id, reverse=read_desc)
    frontier = (max(reached) if read_desc else min(reached)) if reached else None
    if frontier is not None:  # past the least-read source's stop, another source may hide posts
        found = [p for p in found if (p.id >= frontier if read_desc else p.id <= frontier)]
    if len(found) > wanted:
        more, found = True, found[:wanted]
    resume = None if len(found) == wanted or frontier is None else frontier
    if backwards:
        found.reverse()
    return found[query.skip :], more, resume


def list_in_threads(
    principal: Principal, lookups: list[Lookup], query: PostQuery, *, threaded: bool = False
) -> tuple[list[Found], PostPage]:
    if not lookups or len(lookups) > MAX_SOURCES:
        raise ValidationError(f"names 1 to {MAX_SOURCES} threads.", field="thread")
    if threaded and len(lookups) > 1:
        raise ValidationError("names one thread.", field="thread")
    found = [comment_threads.find(principal, lookup) for lookup in lookups]
    moderator = all(is_moderator(f.membership) for f in found)
    if threaded:
        listings = [post_store.thread_tree(found[0].thread.id, query.newest_first)]
    else:
        listings = [post_store.thread_by_time(f.thread.id, query.newest_first) for f in found]
    posts, more, resume = _read(listings, query, moderator, found[0].thread.id)
    threads, workspaces = {f.thread.id: f.thread for f in found}, {f.workspace.id: f.workspace for f in found}
    return found, PostPage(posts, more, threads, workspaces, resume)


def own_forums(principal: Principal) -> list[str]:
    """posts/list without thread or forum: the credential's own forum (an API token, OAuth
    grant or public key belongs to one workspace); a user's session must name one."""
    if principal.workspace_id is None:
        raise ValidationError("is required (or thread).", field="forum")
    workspace = workspace_store.get(principal.workspace_id)
    if workspace is None:
        raise forums.not_found("")
    return [workspace.slug]


def context(principal: Principal, post_id: str) -> list[Posted]:
    """The post and its ancestors, nearest first (one GetItem per level above it)."""
    posted = details(principal, post_id)
    chain = [posted]
    post = posted.post
    while post.parent_post and len(chain) <= post_store.MAX_TREE_DEPTH * 5:
        parent = post_store.get(post.channel_id, post.parent_post)
        if parent is None or not visible(parent, principal, posted.membership):
            break
        chain.append(Posted(parent, posted.thread, posted.workspace, posted.membership))
        post = parent
    return chain


def list_in_forums(principal: Principal, slugs: list[str], query: PostQuery) -> tuple[PostPage, bool]:
    if not slugs or len(slugs) > MAX_SOURCES:
        raise ValidationError(f"names 1 to {MAX_SOURCES} forums.", field="forum")
    workspaces, moderator = [], True
    for slug in dict.fromkeys(s.lower() for s in slugs):
        workspace, membership, _ = forums.access(principal, forums.workspace_id_of(slug), scopes.COMMENTS_READ)
        workspaces.append(workspace)
        moderator = moderator and is_moderator(membership)
    listings = [post_store.forum_by_time(w.id, query.newest_first) for w in workspaces]
    posts, more, resume = _read(listings, query, moderator)
    return PostPage(posts, more, _threads_of(posts), {w.id: w for w in workspaces}, resume), moderator


def list_by_user(principal: Principal, user_id: str, query: PostQuery) -> PostPage:
    """A user's posts in the forums the caller may read (others are left out of the page)."""
    if not query.include <= PUBLIC_INCLUDES:
        raise Forbidden("A user's posts list approved posts only.")
    read, more, resume = _read([post_store.user_by_time(user_id, query.newest_first)], query, False)
    readable = _readable_workspaces(principal, {p.workspace_id for p in read})
    posts = [p for p in read if p.workspace_id in readable]
    if len(posts) < len(read) and read:  # the next page starts after the last post read, shown or not
        resume = resume or (read[0].id if query.before_id is not None else read[-1].id)
    return PostPage(posts, more, _threads_of(posts), readable, resume)


def _readable_workspaces(principal: Principal, workspace_ids: set[str]) -> dict[str, Workspace]:
    readable = {}
    for workspace_id in workspace_ids:
        if principal.workspace_id is not None and principal.workspace_id != workspace_id:
            continue
        workspace, membership, _ = workspace_store.get_with_membership_and(workspace_id, principal.user_id, [])
        authz.refuse_banned(membership)
        if workspace is not None and (membership is not None or principal.kind == "public_key"):
            readable[workspace_id] = workspace
    return readable


def _threads_of(posts: list[Message]) -> dict[str, Channel]:
    from chalicelib.store import comment_threads as thread_store

    ids = list(dict.fromkeys(p.channel_id for p in posts))
    return thread_store.get_many(ids) if ids else {}


# --- popularity (posts/listPopular, threads/listPopular|listHot, trends/listThreads) ---------

INTERVALS_MS = {
    "1h": 3_600_000,
    "6h": 6 * 3_600_000,
    "12h": 12 * 3_600_000,
    "1d": 86_400_000,
    "3d": 3 * 86_400_000,
    "7d": 7 * 86_400_000,
    "30d": 30 * 86_400_000,
    "90d": 90 * 86_400_000,
}
# Popularity is computed from the newest posts of the interval, at most this many (one to
# three Query pages of 1 MB): a bounded read, never the whole forum. Past it, the older
# posts of a busy interval are not counted (docs/disqus.md says so).
POPULAR_WINDOW = 1000


def recent(principal: Principal, lookups: list[Lookup], slugs: list[str], interval: str) -> PostPage:
    """The approved posts of the interval, newest first (at most POPULAR_WINDOW)."""
    if interval not in INTERVALS_MS:
        raise ValidationError("is one of " + ", ".join(INTERVALS_MS) + ".", field="interval")
    import time

    now_ms = time.time_ns() // 1_000_000
    query = PostQuery(start_ms=now_ms - INTERVALS_MS[interval], limit=POPULAR_WINDOW)
    if lookups:
        return list_in_threads(principal, lookups, query)[1]
    return list_in_forums(principal, slugs or own_forums(principal), query)[0]


def points(post: Message) -> int:
    return int(post.likes or 0) - int(post.dislikes or 0)


def by_points(items: list[Message]) -> list[Message]:
    """Most points first; newer first among equals."""
    return sorted(items, key=lambda p: (points(p), p.id), reverse=True)


@dataclass(frozen=True)
class ThreadActivity:
    thread: Channel
    workspace: Workspace
    posts: int  # approved posts in the interval (of the window read)
    post_likes: int
    hotness: float


def activity(page: PostPage, now_ms: int) -> list[ThreadActivity]:
    """Per thread of the window: its posts and their likes in the interval, and a hotness
    that weighs each post by its age (half after 12 hours) plus the thread's own likes."""
    tally: dict[str, list[float]] = {}
    for post in page.posts:
        age_hours = max(0.0, (now_ms - _created_ms(post)) / 3_600_000)
        entry = tally.setdefault(post.channel_id, [0, 0, 0.0])
        entry[0] += 1
        entry[1] += int(post.likes or 0)
        entry[2] += 1 / (1 + age_hours / 12)
    found = []
    for thread_id, (count, likes, heat) in tally.items():
        thread = page.threads.get(thread_id)
        if thread is None or thread.archived or thread.workspace_id not in page.workspaces:
            continue
        hotness = heat + int(thread.likes or 0) * 0.5
        found.append(ThreadActivity(thread, page.workspaces[thread.workspace_id], int(count), int(likes), hotness))
    return found


def _created_ms(post: Message) -> int:
    return int(datetime.fromisoformat(post.created_at.replace("Z", "+00:00")).timestamp() * 1000)


def popular_conversations(principal: Principal, lookup: Lookup) -> tuple[Found, PostPage]:
    """threads/listPostsThreaded order=popular: top-level posts by points, each followed by
    its answers in conversation order. Read from the thread's first POPULAR_WINDOW posts in
    threaded order (a bounded read: a longer thread's later conversations are not ranked)."""
    found, page = list_in_threads(
        principal, [lookup], PostQuery(newest_first=False, limit=POPULAR_WINDOW), threaded=True
    )
    conversations: dict[str, list[Message]] = {}
    for post in page.posts:  # threaded order: each conversation's posts follow its top post
        root = (post.tree_path or post.id).split("/", 1)[0]
        conversations.setdefault(root, []).append(post)
    ranked = sorted(conversations.values(), key=lambda c: (points(c[0]), c[0].id), reverse=True)
    ordered = [post for conversation in ranked for post in conversation]
    return found[0], PostPage(ordered, page.more, page.threads, page.workspaces)
