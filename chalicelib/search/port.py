"""The search port: documents in, permission-filtered pages out.

Adapters (embedded SQLite FTS5 now, OpenSearch later) implement ``SearchIndex`` and pass the same
contract suite (tests/unit/search/test_contract.py). Permissions are data in the query, applied by
the engine itself: a page is never filtered after the fact, so pages stay full and cursors stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

DocKind = Literal["messages", "files", "users"]
Sort = Literal["relevance", "recent"]
TermKind = Literal["word", "phrase", "prefix"]


@dataclass(frozen=True)
class Term:
    """One searchable unit: a word, an exact phrase or a prefix (text without the ``*``)."""

    text: str
    kind: TermKind = "word"


@dataclass(frozen=True)
class TextQuery:
    """Included terms are ANDed; a document containing any excluded term is left out."""

    included: tuple[Term, ...] = ()
    excluded: tuple[Term, ...] = ()


@dataclass(frozen=True)
class MessageDoc:
    workspace_id: str
    message_id: str
    channel_id: str
    author_id: str
    text: str
    created_at: int  # epoch milliseconds: the Free-plan horizon and sort=recent order by it
    version: int  # grows with each edit; an older version arriving late never overwrites a newer one
    has_file: bool = False
    has_link: bool = False
    private: bool = False  # in a private channel (channel types never change, so this is stable)
    thread_id: str | None = None  # a reply's parent: its table key, so hydration needs no look-up


@dataclass(frozen=True)
class FileDoc:
    workspace_id: str
    file_id: str
    channel_id: str
    uploader_id: str
    filename: str
    created_at: int
    version: int
    text: str = ""  # text content of text files, when cheap to extract
    private: bool = False  # shared in a private channel


@dataclass(frozen=True)
class UserDoc:
    workspace_id: str
    user_id: str
    username: str
    display_name: str
    version: int


@dataclass(frozen=True)
class SearchQuery:
    """Everything an engine needs to answer one page, permissions included.

    ``readable_channel_ids`` is the caller's permission filter (public channels of the workspace
    for its members, private ones only where the caller is a member); messages and files outside it
    never match. ``channel_ids``/``author_ids`` are the user's own narrowing (``in:``, ``from:``,
    ``channelId``), already resolved to ids. ``created_before`` is exclusive, ``created_since``
    inclusive (epoch ms). ``horizon``: only the newest N messages of the workspace by creation are
    searchable (Free plan); None means all history. ``public_readable``: every document indexed as
    in a public channel of the workspace is readable too, so ``readable_channel_ids`` need only
    name the caller's private channels (one Query instead of listing the public ones).
    """

    workspace_id: str
    readable_channel_ids: frozenset[str]
    text: TextQuery = field(default_factory=TextQuery)
    kind: DocKind = "messages"
    channel_ids: frozenset[str] | None = None
    author_ids: frozenset[str] | None = None
    created_before: int | None = None
    created_since: int | None = None
    has_file: bool = False
    has_link: bool = False
    horizon: int | None = None
    sort: Sort = "relevance"
    cursor: str | None = None
    limit: int = 20
    public_readable: bool = False


@dataclass(frozen=True)
class SearchHit:
    doc_id: str
    channel_id: str | None
    created_at: int | None
    score: float  # higher is more relevant; 0.0 when the query has no included terms
    terms: tuple[Term, ...]  # what matched, for <mark> highlighting (chalicelib/search/highlight.py)
    thread_id: str | None = None  # a reply's parent (MessageDoc.thread_id)


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    next_cursor: str | None


class SearchIndex(Protocol):
    def upsert_message(self, doc: MessageDoc) -> bool:
        """Index or replace; False (and nothing changes) when the stored version is the same or newer."""
        ...

    def delete_message(self, workspace_id: str, message_id: str, version: int | None = None) -> None:
        """Gone from results at once; a tombstone keeps a late older create or edit from resurrecting it.

        Without a version the deletion is final."""
        ...

    def upsert_file(self, doc: FileDoc) -> bool: ...

    def delete_file(self, workspace_id: str, file_id: str, version: int | None = None) -> None: ...

    def upsert_user(self, doc: UserDoc) -> bool: ...

    def delete_user(self, workspace_id: str, user_id: str, version: int | None = None) -> None: ...

    def search(self, query: SearchQuery) -> SearchPage:
        """Raises ValidationError(field="cursor") for a cursor this index did not issue."""
        ...
