"""A forum's Disqus blacklist and whitelist entries, in its own partition (``WS#wid``).

- ``MODLIST#<list>#<type>#<sha256(value)>``: one item per list, type and normalized value
  (the key makes a value unique in its list). Every entry of both lists shares the prefix
  ``MODLIST#``: the rules applied to a new post are one Query (``rules``).
- GSI1 ``WS#wid#MODLIST#<list>`` / ``<entry id>`` (UUIDv7): a list in creation order, paged
  by key (``list_page``).
- ``COUNT#MODLISTS``: how many entries the forum has, moved in the same transaction as every
  add and remove under a cap (``MAX_ENTRIES``) that keeps ``rules`` one page of a Query.
"""

from __future__ import annotations

import hashlib

from chalicelib.store import keys
from chalicelib.store.db import transaction
from chalicelib.store.errors import TransactionCancelled
from chalicelib.store.models import ModerationCount, ModerationEntry
from chalicelib.store.time_pages import uuid7_page

# With values up to 254 characters and notes up to 250, an entry is under 1 KB: 1,000
# entries stay below the 1 MB a Query reads in one call.
MAX_ENTRIES = 1000


class LimitReached(Exception):
    """The forum already holds MAX_ENTRIES entries (both lists together)."""


def value_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:40]


def new_entry(
    entry_id: str, workspace_id: str, list_name: str, entry_type: str, value: str, **attributes: object
) -> ModerationEntry:
    return ModerationEntry(
        keys.workspace(workspace_id),
        keys.moderation_entry(list_name, entry_type, value_hash(value)),
        GSI1PK=keys.moderation_listing(workspace_id, list_name),
        GSI1SK=entry_id,
        id=entry_id,
        workspace_id=workspace_id,
        list_name=list_name,
        entry_type=entry_type,
        value=value,
        **attributes,
    )


def rules(workspace_id: str, list_name: str | None = None) -> list[ModerationEntry]:
    """Every entry of the forum's lists (or of one list): one Query, one page under the cap."""
    prefix = keys.moderation_entry(list_name) if list_name else keys.MODERATION_PREFIX
    found = ModerationEntry.query(keys.workspace(workspace_id), ModerationEntry.SK.startswith(prefix))
    return [e for e in found if isinstance(e, ModerationEntry)]


def _counter(workspace_id: str) -> ModerationCount:
    return ModerationCount(keys.workspace(workspace_id), keys.MODERATION_COUNT)


def add(workspace_id: str, entries: list[ModerationEntry]) -> None:
    """The entries and the counter's increment in one transaction. LimitReached past the cap;
    TransactionCancelled (label "entry") if one of them was added meanwhile."""
    if not entries:
        return
    condition = ModerationCount.count.does_not_exist() | (ModerationCount.count <= MAX_ENTRIES - len(entries))
    try:
        with transaction() as tx:
            for entry in entries:
                tx.save(entry, condition=ModerationEntry.PK.does_not_exist(), label="entry")
            actions = [ModerationCount.count.add(len(entries)), ModerationCount.type.set(ModerationCount)]
            tx.update(_counter(workspace_id), actions=actions, condition=condition, label="limit")
    except TransactionCancelled as cancelled:
        if "limit" in cancelled.failed:
            raise LimitReached() from None
        raise


def remove(workspace_id: str, entries: list[ModerationEntry]) -> None:
    """The entries and the counter's decrement in one transaction; TransactionCancelled if one
    of them was removed meanwhile."""
    if not entries:
        return
    with transaction() as tx:
        for entry in entries:
            tx.delete(entry, condition=ModerationEntry.PK.exists(), label="entry")
        tx.update(_counter(workspace_id), actions=[ModerationCount.count.add(-len(entries))])


def list_page(
    workspace_id: str, list_name: str, *, newest_first: bool, from_ms: int | None, skip: int, limit: int
) -> tuple[list[ModerationEntry], bool]:
    """One GSI1 Query of the list in creation order (store/time_pages.py)."""
    return uuid7_page(
        ModerationEntry,
        keys.moderation_listing(workspace_id, list_name),
        index="GSI1",
        newest_first=newest_first,
        from_ms=from_ms,
        skip=skip,
        limit=limit,
    )
