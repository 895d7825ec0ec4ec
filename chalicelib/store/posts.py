"""Disqus posts: messages of a comments channel (a thread), at any depth.

Layout (docs/access-patterns.md). Every post is a top-level message item, whatever its
depth, so v1 reads a thread's whole conversation in time order with its usual Query:

- ``CH#<cid>`` / ``MSG#<id>``: the thread's posts by time (ids are UUIDv7);
- GSI1 ``POSTS#<wid>`` / ``<id>``: the forum's posts by time;
- GSI3 ``TREE#<cid>`` / ``<path>``: threaded order, oldest conversation first. The path is
  the compact ids from the top-level post down to the post, joined by ``/``: a parent sorts
  before its answers ("/" sorts before every hex digit) and answers by time;
- GSI4 ``TREE#<cid>`` / ``<path>``: the same with the top-level id's digits inverted, so the
  newest conversation comes first and answers still read oldest first;
- GSI5 ``POSTS#USER#<uid>`` / ``<id>``: a user's posts by time;
- ``MSG#<id>`` / ``VOTE#<uid>`` and ``CH#<cid>`` / ``VOTE#<uid>``: a user's vote.

Every list reads one Query whose bounds come from the cursor (the last or first item of the
page before), so a page costs the same in a thread of 100 posts as in one of 100,000.
Counters (the thread's ``post_count``, ``likes``/``dislikes`` of posts and threads, the
parent's ``reply_count``) change in the same transaction as what they count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.store import keys
from chalicelib.store.db import fetch, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import Channel, Entity, Message, PostNumber, PostVote

# A GSI sort key is at most 1,024 bytes: 20 levels of 32-character ids and separators fit.
# A deeper answer sorts as a sibling of its parent (after it, by time); ``depth`` and
# ``parent_post`` stay exact.
MAX_TREE_DEPTH = 20
STATES = ("approved", "unapproved", "spam", "deleted")

_INVERT = str.maketrans("0123456789abcdef", "fedcba9876543210")


def number_of(post_id: str) -> int:
    """The post's numeric Disqus id, from its UUIDv7: the millisecond x 32 plus the low five
    bits of the id's in-process sequence (chalicelib/ids.py), so posts of one process never
    share one and the number stays below 2**53 (exact in JavaScript, which compares
    ``parent`` with ``Number(id)``) until the year 2255. Two processes may mint the same
    number in the same millisecond: the ``POSTNO#`` guard refuses the second post, which is
    written again with a new id."""
    ms = int(post_id[:8] + post_id[9:13], 16)
    sequence = int(post_id[15:18], 16)
    return ms * 32 + (sequence & 31)


def compact(post_id: str) -> str:
    return post_id.replace("-", "")


@dataclass(frozen=True)
class Placement:
    depth: int
    ascending: str  # GSI3SK
    descending: str  # GSI4SK


def placement(post_id: str, parent: Message | None) -> Placement:
    """Where a new post sorts in threaded order."""
    own = compact(post_id)
    if parent is None:
        return Placement(0, own, own.translate(_INVERT))
    depth = int(parent.depth or 0) + 1
    up_asc, up_desc = parent.GSI3SK or "", parent.GSI4SK or ""
    if up_asc.count("/") + 1 >= MAX_TREE_DEPTH:  # the parent is at the deepest level: beside it
        up_asc, up_desc = up_asc.rsplit("/", 1)[0], up_desc.rsplit("/", 1)[0]
    return Placement(depth, f"{up_asc}/{own}", f"{up_desc}/{own}")


def make_post(
    message: Message,
    *,
    parent: Message | None,
    state: str,
    facts: set[int],
    author_user_id: str | None,
    category: str | None,
    **extra: Any,
) -> Message:
    """Turn a new message of a comments channel into a post: its Disqus attributes and keys."""
    where = placement(message.id, parent)
    message.GSI1PK, message.GSI1SK = keys.forum_posts(message.workspace_id), message.id
    message.GSI3PK, message.GSI3SK = keys.post_tree(message.channel_id), where.ascending
    message.GSI4PK, message.GSI4SK = keys.post_tree(message.channel_id), where.descending
    if author_user_id:
        message.GSI5PK, message.GSI5SK = keys.user_posts(author_user_id), message.id
    message.parent_post = parent.id if parent is not None else None
    message.post_number = number_of(message.id)
    message.parent_number = parent.post_number if parent is not None else None
    message.depth = where.depth
    message.tree_path = where.ascending
    message.post_state = state
    message.highlighted = False
    message.likes, message.dislikes, message.num_reports = 0, 0, 0
    message.facts = set(facts) or None
    message.category = category
    for name, value in extra.items():
        setattr(message, name, value)
    return message


def locate_number(number: int) -> tuple[str, str, str] | None:
    """(thread id, post id, workspace id) of the post with this Disqus id: one GetItem."""
    guard = fetch(PostNumber, keys.post_number(number), keys.GUARD)
    return (guard.channel_id, guard.post_id, guard.workspace_id) if guard is not None else None


def get(channel_id: str, post_id: str) -> Message | None:
    return fetch(Message, keys.channel(channel_id), keys.message(post_id), consistent=True)


def _thread_key(channel_id: str) -> Channel:
    return Channel(keys.channel(channel_id), keys.META)


def create(post: Message) -> None:
    """The post, its number's guard and the thread's count (approved posts), at once.
    ConditionFailed if the thread was closed or removed meanwhile; AlreadyExists("number")
    if another post took the number (write it again with a new id).

    The parent is not written: posts are never deleted (a delete leaves a tombstone), so an
    answer always has its parent, and updating the parent would rewrite its four index
    entries (12 write units) for a count no Disqus object shows (v1's ``replyCount`` of a
    post stays 0: its answers are threads/listPostsThreaded's)."""
    thread = _thread_key(post.channel_id)
    not_closed = Channel.closed.does_not_exist() | (Channel.closed == False)  # noqa: E712
    open_thread = Channel.PK.exists() & (Channel.archived == False) & not_closed  # noqa: E712
    guard = PostNumber(
        keys.post_number(int(post.post_number)),
        keys.GUARD,
        channel_id=post.channel_id,
        post_id=post.id,
        workspace_id=post.workspace_id,
    )
    try:
        with transaction(taken=("number",)) as tx:
            tx.save(post, condition=Message.PK.does_not_exist())
            tx.save(guard, condition=PostNumber.PK.does_not_exist(), label="number")
            counted = 1 if post.post_state == "approved" else 0
            tx.update(thread, actions=[Channel.post_count.add(counted)], condition=open_thread)
    except TransactionCancelled:
        raise ConditionFailed("thread changed") from None


def counts_in_thread(post: Message) -> bool:
    return post.post_state == "approved" and not post.deleted


def set_state(post: Message, state: str) -> None:
    """Approve, mark spam, remove or restore: the state and the thread's count together."""
    before, after = counts_in_thread(post), state == "approved" and not post.deleted
    try:
        with transaction() as tx:
            tx.update(
                post,
                actions=[Message.post_state.set(state)],
                condition=Message.post_state == (post.post_state or ""),
            )
            if before != after:
                tx.update(
                    _thread_key(post.channel_id),
                    actions=[Channel.post_count.add(1 if after else -1)],
                    condition=Channel.PK.exists(),
                )
    except TransactionCancelled:
        raise ConditionFailed("post changed") from None


def set_highlighted(post: Message, highlighted: bool) -> None:
    post.update(actions=[Message.highlighted.set(highlighted)], condition=Message.PK.exists())


# --- votes --------------------------------------------------------------------------------


def get_vote(target: Entity, user_id: str) -> PostVote | None:
    return fetch(PostVote, target.PK, keys.vote(user_id), consistent=True)


def set_vote(target: Message | Channel, user_id: str, old: int, new: int, at: str) -> tuple[int, int]:
    """Replace ``old`` (0: none) by ``new`` (0: withdraw) and move the target's counters by
    the difference, in one transaction conditioned on ``old``: concurrent votes of one user
    cannot both count (ConditionFailed: read again and retry). Returns (likes, dislikes) deltas."""
    likes = (new == 1) - (old == 1)
    dislikes = (new == -1) - (old == -1)
    is_post = isinstance(target, Message)
    vote = PostVote(
        target.PK,
        keys.vote(user_id),
        target_id=target.id,
        target_kind="post" if is_post else "thread",
        channel_id=target.channel_id if is_post else target.id,
        workspace_id=target.workspace_id,
        user_id=user_id,
        vote=new,
        voted_at=at,
    )
    was = PostVote.PK.does_not_exist() if old == 0 else (PostVote.vote == old)
    model = type(target)
    try:
        with transaction() as tx:
            if new == 0:
                tx.delete(vote, condition=was)
            else:
                tx.save(vote, condition=was)
            if likes or dislikes:
                tx.update(
                    target,
                    actions=[model.likes.add(likes), model.dislikes.add(dislikes)],  # type: ignore[attr-defined]
                    condition=model.PK.exists(),
                )
    except TransactionCancelled:
        raise ConditionFailed("vote changed") from None
    return likes, dislikes


# --- lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A page's bounds on the list's sort key: strictly after ``after`` or before ``before``
    (in the list's order), and within [``low``, ``high``] (inclusive, key order)."""

    after: str | None = None
    before: str | None = None
    low: str | None = None
    high: str | None = None


@dataclass(frozen=True)
class Listing:
    index: str | None  # None: the table; else GSI1/3/4/5
    hash_key: str
    newest_first: bool


def thread_by_time(channel_id: str, newest_first: bool) -> Listing:
    return Listing(None, keys.channel(channel_id), newest_first)


def forum_by_time(workspace_id: str, newest_first: bool) -> Listing:
    return Listing("GSI1", keys.forum_posts(workspace_id), newest_first)


def user_by_time(user_id: str, newest_first: bool) -> Listing:
    return Listing("GSI5", keys.user_posts(user_id), newest_first)


def thread_tree(channel_id: str, newest_first: bool) -> Listing:
    return Listing("GSI4" if newest_first else "GSI3", keys.post_tree(channel_id), False)


def sort_value(listing: Listing, post: Message) -> str:
    """The post's sort key in ``listing`` (what a cursor keeps)."""
    if listing.index is None:
        return post.SK
    return str(getattr(post, f"{listing.index}SK"))


def sort_key_of_id(listing: Listing, post_id: str) -> str | None:
    """The sort key of a post known by id, when the id alone gives it (time-ordered lists)."""
    if listing.index is None:
        return keys.message(post_id)
    if listing.index in ("GSI1", "GSI5"):
        return post_id
    return None


@dataclass(frozen=True)
class Slice:
    """A page read from one list: the posts (in the list's order), whether more lie beyond,
    and, when a filter stopped the read before the page filled (MAX_SCANNED), the sort key
    of the last item read: where the next page resumes, so a client always progresses."""

    items: list[Message]
    more: bool
    frontier: str | None = None


# Items one page may read past a filter (include, filters, query): a page stops there
# with fewer posts and a cursor at the last item read, rather than reading a whole forum.
MAX_SCANNED = 1000


def page(
    listing: Listing,
    window: Window,
    *,
    limit: int,
    backwards: bool = False,
    filter_condition: Condition | None = None,
) -> Slice:
    """Up to ``limit`` posts in the list's order (``backwards``: the ``limit`` before
    ``window.before``, still returned in the list's order), and whether more lie beyond.
    Reads ``limit + 1`` items (more with a filter: DynamoDB filters after reading, and at
    most MAX_SCANNED items are read)."""
    forward = not listing.newest_first
    if backwards:
        forward = not forward
    sort_name = "SK" if listing.index is None else f"{listing.index}SK"
    low, high = window.low, window.high
    # "after"/"before" are in list order: turn them into key bounds.
    for bound, is_after in ((window.after, True), (window.before, False)):
        if bound is None:
            continue
        upward = is_after != listing.newest_first  # the bound limits keys from below
        if upward:
            low = max(low, bound + "\x00") if low else bound + "\x00"
        else:
            high = min(high, _just_below(bound)) if high else _just_below(bound)
    if listing.index is None:  # only the thread's messages, not its members and pins
        low = max(low or keys.MESSAGE_PREFIX, keys.MESSAGE_PREFIX)
        high = min(high or keys.MESSAGE_PREFIX + "\uffff", keys.MESSAGE_PREFIX + "\uffff")
    if low is not None and high is not None and low > high:
        return Slice([], False)
    attribute = getattr(Entity, sort_name)
    condition = None
    if low is not None and high is not None:
        condition = attribute.between(low, high)
    elif low is not None:
        condition = attribute >= low
    elif high is not None:
        condition = attribute <= high
    items, frontier = _read(listing, condition, forward, limit + 1, filter_condition)
    more = len(items) > limit or frontier is not None
    items = items[:limit]
    if backwards:
        items.reverse()
    return Slice(items, more, frontier)


def post_id_at(listing: Listing, sort_key: str) -> str:
    """The id of the post whose sort key in ``listing`` is ``sort_key`` (a cursor's post)."""
    if listing.index is None:
        return sort_key.removeprefix(keys.MESSAGE_PREFIX)
    if listing.index in ("GSI1", "GSI5"):
        return sort_key
    last = sort_key.rsplit("/", 1)[-1]
    if listing.index == "GSI4" and "/" not in sort_key:  # a top post: its digits inverted
        last = last.translate(_INVERT)
    return f"{last[:8]}-{last[8:12]}-{last[12:16]}-{last[16:20]}-{last[20:]}"


def _just_below(key: str) -> str:
    """The greatest string sorting before ``key`` among our keys (printable ASCII)."""
    return key[:-1] + chr(ord(key[-1]) - 1) + "\uffff"


def _read(
    listing: Listing, condition: Condition | None, forward: bool, wanted: int, filter_condition: Condition | None
) -> tuple[list[Message], str | None]:
    """Query pages until ``wanted`` posts; past MAX_SCANNED items read (a filter rejecting
    most of them), stop at the end of a page and return the last sort key read too.
    Pages are driven here (not by pynamodb's iterator, which would keep reading pages that
    hold no match without ever yielding)."""
    connection = Message._get_connection()
    sort_name = "SK" if listing.index is None else f"{listing.index}SK"
    # The first call reads as many as wanted (most posts pass the usual filter: approved);
    # a filter that rejects some reads on in bigger pages, never past MAX_SCANNED in all.
    page_size = min(wanted, MAX_SCANNED)
    items: list[Message] = []
    scanned, start = 0, None
    while True:
        answer = connection.query(
            listing.hash_key,
            range_key_condition=condition,
            filter_condition=filter_condition,
            index_name=listing.index,
            exclusive_start_key=start,
            scan_index_forward=forward,
            limit=page_size,
        )
        for raw in answer.get("Items", []):
            items.append(Message.from_raw_data(raw))
            if len(items) >= wanted:
                return items, None
        scanned += int(answer.get("ScannedCount", 0))
        page_size = min(max(2 * (wanted - len(items)), 50), MAX_SCANNED)
        start = answer.get("LastEvaluatedKey")
        if start is None:
            return items, None
        if scanned >= MAX_SCANNED:
            return items, start[sort_name]["S"]


def tombstone(post: Message, at: str) -> None:
    """Deleted by its author or an admin from v1: the text goes, the item stays (its answers
    keep their place), and the thread's count drops if the post counted."""
    from chalicelib.store.messages import html_actions

    try:
        with transaction() as tx:
            tx.update(
                post,
                actions=[
                    Message.deleted.set(True),
                    Message.content.set(""),
                    *html_actions(""),
                    Message.mentions.set([]),
                    Message.special_mentions.set([]),
                    Message.edited_at.set(at),
                ],
                condition=Message.PK.exists() & (Message.deleted == False),  # noqa: E712
            )
            if counts_in_thread(post):
                tx.update(
                    _thread_key(post.channel_id),
                    actions=[Channel.post_count.add(-1)],
                    condition=Channel.PK.exists(),
                )
    except TransactionCancelled:
        raise ConditionFailed("post changed") from None
