"""Disqus threads: channels of type ``comments`` (store/channels.py) plus two claims.

- ``THREADIDENT#wid#<identifier>`` / ``GUARD``: the identifier is unique per forum; written
  in the channel's own transaction, so a second thread with it is refused.
- ``THREADLINK#wid#<sha256(normalized url)>`` / ``GUARD``: the look-up by url. Several
  threads may share a url; the first one written keeps the look-up.
- threads/update moves both claims in the thread's own transaction (store ``update``).
- Listing: GSI1 ``WS#wid#CH#comments`` (``#archived`` for removed threads), sorted by the
  channel name ``comments-<uuid7>``: creation order, so a time cursor is a key range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.store import channels as channel_store
from chalicelib.store import keys
from chalicelib.store.db import set_or_remove, transaction
from chalicelib.store.models import Channel, ChannelMember, ChannelNameClaim, Entity, Event, ThreadClaim
from chalicelib.store.time_pages import uuid7_page

NAME_PREFIX = "comments-"


def identifier_key(workspace_id: str, identifier: str) -> tuple[str, str]:
    return keys.thread_identifier(workspace_id, identifier), keys.GUARD


def link_key(workspace_id: str, link_hash: str) -> tuple[str, str]:
    return keys.thread_link(workspace_id, link_hash), keys.GUARD


def create(
    channel: Channel, creator: ChannelMember, event: Event, link_hash: str | None, also: Sequence[Entity] = ()
) -> None:
    """AlreadyExists("identifier") when the forum has a thread with that identifier. The
    url look-up is written after, only if no thread holds it yet (first thread wins).
    ``also``: items born with the thread (its category reference, store/categories.py)."""
    with transaction(taken=("identifier", "name")) as tx:
        if channel.identifier:
            claim = ThreadClaim(*identifier_key(channel.workspace_id, channel.identifier), channel_id=channel.id)
            tx.save(claim, condition=ThreadClaim.PK.does_not_exist(), label="identifier")
        tx.save(channel_store.name_claim(channel), condition=ChannelNameClaim.PK.does_not_exist(), label="name")
        tx.save(channel, condition=Channel.PK.does_not_exist(), label="channel")
        tx.save(creator)
        tx.save(event)
        for item in also:
            tx.save(item)
    if link_hash:
        claim = ThreadClaim(*link_key(channel.workspace_id, link_hash), channel_id=channel.id)
        try:
            claim.save(condition=ThreadClaim.PK.does_not_exist())
        except PutError as error:
            if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise


def claimed_channel_id(found: dict[tuple[str, str], Entity], key: tuple[str, str]) -> str | None:
    claim = found.get(key)
    return claim.channel_id if isinstance(claim, ThreadClaim) else None


def list_page(
    workspace_id: str,
    archived: bool,
    *,
    newest_first: bool,
    from_ms: int | None,
    skip: int,
    limit: int,
) -> tuple[list[Channel], bool]:
    """One GSI1 Query of the forum's threads in creation order (store/time_pages.py): up to
    ``limit`` from the millisecond ``from_ms`` on, after ``skip`` threads of that millisecond
    already given. Returns the threads and whether more follow."""
    return uuid7_page(
        Channel,
        keys.channel_listing(workspace_id, "comments", archived),
        index="GSI1",
        prefix=NAME_PREFIX,
        newest_first=newest_first,
        from_ms=from_ms,
        skip=skip,
        limit=limit,
    )


def get_many(channel_ids: list[str]) -> dict[str, Channel]:
    return channel_store.get_many(channel_ids)


def set_closed(channel: Channel, closed: bool, event: Event) -> None:
    channel_store.update(channel, {"closed": closed}, event)


def claims(keys_wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """claim key -> the channel id holding it, for those that exist (one BatchGetItem)."""
    if not keys_wanted:
        return {}
    return {(c.PK, c.SK): c.channel_id for c in Entity.batch_get(keys_wanted) if isinstance(c, ThreadClaim)}


def update(
    channel: Channel,
    changes: dict[str, Any],
    event: Event,
    *,
    new_identifier: str | None = None,
    link_moves: tuple[tuple[str, str] | None, tuple[str, str] | None] = (None, None),
    also: tuple[Sequence[Entity], Sequence[Entity]] = ((), ()),
) -> None:
    """Set (None: remove) the thread's attributes in one transaction with its claims: an
    identifier change deletes the old guard and writes the new one (AlreadyExists("identifier")
    if another thread holds it); ``link_moves`` is (the url look-up to release, the one to take),
    each decided by the caller from ``claims`` and re-checked here. ``also``: items to delete
    and to write with it (a category change moves the thread's reference, store/categories.py)."""
    with transaction(taken=("identifier",)) as tx:
        if "identifier" in changes:
            if channel.identifier:
                old = ThreadClaim(*identifier_key(channel.workspace_id, channel.identifier), channel_id=channel.id)
                tx.delete(old, condition=ThreadClaim.channel_id == channel.id)
            if new_identifier:
                claim = ThreadClaim(*identifier_key(channel.workspace_id, new_identifier), channel_id=channel.id)
                tx.save(claim, condition=ThreadClaim.PK.does_not_exist(), label="identifier")
        release, take = link_moves
        if release is not None:
            tx.delete(ThreadClaim(*release, channel_id=channel.id), condition=ThreadClaim.channel_id == channel.id)
        if take is not None:
            tx.save(ThreadClaim(*take, channel_id=channel.id), condition=ThreadClaim.PK.does_not_exist())
        tx.update(channel, actions=set_or_remove(Channel, changes), condition=Channel.PK.exists(), label="channel")
        tx.save(event)
        for item in also[0]:
            tx.delete(item)
        for item in also[1]:
            tx.save(item)
