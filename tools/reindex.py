"""Rebuild one workspace's search documents from the table (``python -m tools.operator reindex``).

For history written while search was not configured (the worker acknowledged those events without
indexing), an index that was lost, or people indexed before a field existed. Everything goes
through the same service functions the indexer worker uses (``index_message``, ``index_file``,
``index_user``), with the same versions, so re-running is harmless: a document already at its
version is left as it is, a deleted message stays deleted.

Reads are Queries only, page by page, never a Scan: the workspace's channels (its four GSI1
listings: public and private, active and archived), each channel's top-level messages and the
replies of each thread, the workspace's files (GSI1) and members (its partition). Every DynamoDB
read call (also the ones the service functions make, e.g. a file's channel) first takes a token
from a bucket refilled at ``--rate`` calls a second, so a reindex cannot starve the live traffic
of a provisioned table.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

KINDS = ("messages", "files", "users")
DEFAULT_RATE = 50.0  # read calls a second: ~5,000 messages/s at 100 a page, a few percent of a busy table
PAGE = 100
READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "TransactGetItems"})


class UnknownWorkspace(LookupError):
    pass


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up. The clock and the sleep are injectable,
    so tests measure the rate on a fake clock without sleeping."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10)  # a tenth of a second: smooth
        self.tokens = self.burst
        self._clock, self._sleep = clock, sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self, n: float = 1.0) -> None:
        with self._lock:
            while True:
                now = self._clock()
                self.tokens = min(self.burst, self.tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self.tokens >= n:
                    self.tokens -= n
                    return
                self._sleep((n - self.tokens) / self.rate)


@dataclass
class Reads:
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@contextmanager
def limited_reads(bucket: TokenBucket) -> Iterator[Reads]:
    """Every DynamoDB read call made inside the block waits for a token, and is counted.

    Patched where every botocore client funnels its operations (``BaseClient._make_api_call``, as
    bench/recorder.py explains): PynamoDB's own client included. A Scan is refused outright."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    reads = Reads()

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            if operation == "Scan":
                raise RuntimeError("reindex reads by Query only, never Scan")
            if operation in READ_OPERATIONS:
                bucket.take()
                reads.calls[operation] = reads.calls.get(operation, 0) + 1
        return original(client, operation, params)

    BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@dataclass
class Counts:
    channels: int = 0
    messages: int = 0  # replies included
    replies: int = 0
    files: int = 0
    users: int = 0
    changed: int = 0  # documents written (new or newer); the rest were current, or are not searchable
    reads: int = 0
    elapsed: float = 0.0

    def summary(self, workspace_id: str) -> str:
        rate = self.messages / self.elapsed if self.elapsed > 0 else 0.0
        return (
            f"reindexed workspace {workspace_id}: {self.messages} messages ({self.replies} replies) in "
            f"{self.channels} channels, {self.files} files, {self.users} people; {self.changed} documents "
            "written (the rest were current or are not searchable: deleted, system); "
            f"{self.reads} DynamoDB reads; {self.elapsed:.1f} s, {rate:.0f} messages/s"
        )


def _ms(iso: str | None) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000) if iso else 0


def _pages(fetch: Callable[..., Any]) -> Iterator[list[Any]]:
    """Every page of a store listing (``fetch(limit=, position=)``), as lists of items."""
    position = None
    while True:
        page = fetch(limit=PAGE, position=position)
        yield page.items
        if page.position is None:
            return
        position = page.position


def _items(fetch: Callable[..., Any]) -> Iterator[Any]:
    for page in _pages(fetch):
        yield from page


@contextmanager
def _one_commit() -> Iterator[None]:
    """A page's documents in one engine transaction when the engine offers it (the embedded one:
    one commit instead of one per document). Only index writes run inside: the page was read
    before, so no DynamoDB call (nor its rate-limit wait) holds the index's write lock."""
    from chalicelib.services import search

    batch = getattr(search.index(), "batch", None)
    if batch is None:
        yield
        return
    with batch():
        yield


class _Progress:
    """A bar on stderr (tqdm, from the dev install operators run this from), one step a channel."""

    def __init__(self, stream: TextIO, enabled: bool):
        self._bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:  # a bare install: the summary line still comes
                return
            self._bar = tqdm(total=0, unit="channel", file=stream, dynamic_ncols=True, desc="reindex")

    def total(self, n: int) -> None:
        if self._bar is not None:
            self._bar.total = n
            self._bar.refresh()

    def step(self, counts: Counts, advance: int = 0) -> None:
        if self._bar is not None:
            self._bar.set_postfix(messages=counts.messages, files=counts.files, people=counts.users, refresh=False)
            self._bar.update(advance)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def reindex(
    workspace_id: str,
    kinds: tuple[str, ...] = KINDS,
    bucket: TokenBucket | None = None,
    progress: bool = True,
    stream: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Counts:
    """Rebuild the workspace's documents of these kinds; raises UnknownWorkspace."""
    from chalicelib.store import workspaces as workspace_store

    bucket = bucket or TokenBucket(DEFAULT_RATE)
    counts = Counts()
    started = clock()
    bar = _Progress(stream or sys.stderr, progress)
    try:
        with limited_reads(bucket) as reads:
            if workspace_store.get(workspace_id) is None:
                raise UnknownWorkspace(workspace_id)
            channels = _channels(workspace_id) if "messages" in kinds else []
            counts.channels = len(channels)
            if "messages" in kinds:
                bar.total(len(channels))
                for channel in channels:
                    _messages(channel, counts)
                    bar.step(counts, 1)
            if "files" in kinds:
                _files(workspace_id, counts)
                bar.step(counts)
            if "users" in kinds:
                _users(workspace_id, counts)
                bar.step(counts)
    finally:
        bar.close()
        counts.elapsed = clock() - started
    counts.reads = reads.total
    return counts


def _channels(workspace_id: str) -> list[Any]:
    from chalicelib.store import channels as channel_store

    found = []
    for channel_type in ("public", "private"):
        for archived in (False, True):
            found += _items(
                lambda limit, position, t=channel_type, a=archived: channel_store.list_by_type(
                    workspace_id, t, a, limit=limit, position=position
                )
            )
    return found


def _messages(channel: Any, counts: Counts) -> None:
    """Top-level messages newest first, and each thread's replies after its parent. The channel
    travels with each message: its type makes the document private or not, without a read."""
    from chalicelib.services import search
    from chalicelib.store import messages as message_store

    for page in _pages(
        lambda limit, position: message_store.list_top_level(channel.id, limit=limit, position=position)
    ):
        with _one_commit():
            for message in page:
                counts.messages += 1
                counts.changed += int(search.index_message(message, channel))
        for parent in (m for m in page if m.reply_count):
            for replies in _pages(
                lambda limit, position, parent=parent.id: message_store.list_replies(
                    channel.id, parent, limit=limit, position=position
                )
            ):
                with _one_commit():
                    for reply in replies:
                        counts.messages += 1
                        counts.replies += 1
                        counts.changed += int(search.index_message(reply, channel))


def _files(workspace_id: str, counts: Counts) -> None:
    """Ready files, in the first channel they were shared in (public ones first), as the worker
    does on file.ready, with its version (processed, else created)."""
    from chalicelib.services import search
    from chalicelib.store import files as file_store

    for item in _items(
        lambda limit, position: file_store.list_for_workspace(workspace_id, limit=limit, position=position)
    ):
        if item.status != "ready":
            continue
        shared = sorted(item.public_channel_ids or ()) + sorted(item.private_channel_ids or ())
        if not shared:
            continue  # uploaded, never shared: not searchable yet (its message indexes it)
        counts.files += 1
        counts.changed += int(search.index_file(item, shared[0], _ms(item.processed_at or item.created_at)))


def _users(workspace_id: str, counts: Counts) -> None:
    """Members, as on member.joined; the version is the joining time, so a later leave or
    profile event (versioned by its own time) is never overwritten by a reindex."""
    from chalicelib.services import search
    from chalicelib.store import users as user_store
    from chalicelib.store import workspaces as workspace_store

    for page in _pages(
        lambda limit, position: workspace_store.list_members(workspace_id, limit=limit, position=position)
    ):
        users = user_store.get_many([m.user_id for m in page])  # one BatchGetItem a page (100)
        with _one_commit():
            for membership in page:
                user = users.get(membership.user_id)
                if user is not None:
                    counts.users += 1
                    counts.changed += int(search.index_user(workspace_id, user, _ms(membership.joined_at)))
