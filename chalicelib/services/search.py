"""Search a workspace's messages, files and people (docs/search.md).

Permissions are data in the query, applied by the engine (chalicelib/search/port.py): every
document records whether its channel is private, so the engine opens the workspace's public
channels itself, and the private channels the caller belongs to are read from the store on every
search (one Query), so leaving one applies to the next query without reindexing.
Free-plan workspaces search their newest ``search_free_horizon`` messages; Pro and up, all.

The index is chosen by settings (``Settings.search_engine``): the embedded SQLite FTS5 engine at
``SEARCH_DB`` (local and test stages, or when set), OpenSearch at ``SEARCH_URL`` (not built yet),
or none (503 ``E_UNAVAILABLE``). Writers (the indexer worker, tests) go through ``index_message`` and
friends, which turn store items into the port's documents.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import errors
from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.search.highlight import highlight_html, highlight_text
from chalicelib.search.port import DocKind, FileDoc, MessageDoc, SearchIndex, SearchQuery, Sort, UserDoc
from chalicelib.search.query import parse_query
from chalicelib.services import authz
from chalicelib.store import channels as channel_store
from chalicelib.store import files as file_store
from chalicelib.store import keys
from chalicelib.store import messages as message_store
from chalicelib.store import users as user_store
from chalicelib.store.models import Channel, Entity, File, Message, User

SCOPES: dict[str, str] = {"messages": scopes.MESSAGES_READ, "files": scopes.FILES_READ, "users": scopes.USERS_READ}
PAID_PLANS_SEE_ALL = None  # the horizon of every plan but Free

_indexes: dict[str, SearchIndex] = {}
_indexes_lock = threading.Lock()


NOT_CONFIGURED = (
    "Search is not configured for this deployment: set SEARCH_URL (OpenSearch) or, on a single "
    "machine, SEARCH_DB (docs/search.md)."
)


def configured() -> bool:
    """False on an AWS stage with neither SEARCH_URL nor SEARCH_DB: nothing to search or index."""
    return get_settings().search_engine != "none"


def index() -> SearchIndex:
    """The index the settings name (one per path or URL, opened once per process). ``Unavailable``
    (503) when search is not configured."""
    settings = get_settings()
    if settings.search_engine == "none":
        raise errors.Unavailable(NOT_CONFIGURED)
    if settings.search_engine == "opensearch":
        with _indexes_lock:
            found = _indexes.get(settings.search_url)
            if found is None:
                # opensearch-py (and requests) only when searching; the index is created on first use.
                from chalicelib.search.opensearch import OpenSearchIndex

                found = _indexes[settings.search_url] = OpenSearchIndex(
                    settings.search_url, index=f"disqua-{settings.stage}", region=settings.region
                )
            return found
    path = settings.search_db
    with _indexes_lock:
        found = _indexes.get(path)
        if found is None:
            from chalicelib.search.sqlite_fts import SqliteSearchIndex  # sqlite3 only when searching

            if path != ":memory:":
                import os

                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            found = _indexes[path] = SqliteSearchIndex(path)
        return found


def _ms(iso: str | None) -> int:
    if not iso:
        return 0
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


# --- writing (the indexer worker) -------------------------------------------------------


def message_doc(message: Message, private: bool = False) -> MessageDoc:
    html = message.content_html or ""
    return MessageDoc(
        workspace_id=message.workspace_id,
        message_id=message.id,
        channel_id=message.channel_id,
        author_id=message.author_id,
        text=message.content or "",
        created_at=_ms(message.created_at),
        # An edit stamps editedAt later than the creation: a late older version never wins.
        version=max(_ms(message.created_at), _ms(message.edited_at)),
        has_file=bool(message.attachments),
        has_link="<a " in html,
        private=private,
        thread_id=message.thread_id,  # a reply's key names its parent: hydration reads it directly
    )


def index_message(message: Message, channel: Channel | None = None) -> bool:
    """Index (or replace) a message; a deleted one (tombstone) leaves the results. The channel's
    type goes into the document (one GetItem when not given): a channel's type never changes, and
    it lets a search open public channels without listing them."""
    if message.deleted or message.kind == "system" or (message.is_post and message.post_state != "approved"):
        unindex_message(message.workspace_id, message.id)
        return False
    channel = channel or channel_store.get(message.channel_id)
    if channel is None or channel.closed_at:  # gone or closed: nothing to show the message in
        unindex_message(message.workspace_id, message.id)
        return False
    return index().upsert_message(message_doc(message, private=channel.channel_type == "private"))


def unindex_message(workspace_id: str, message_id: str) -> None:
    index().delete_message(workspace_id, message_id)


def index_file(item: File, channel_id: str, version: int) -> bool:
    """Index a ready file in a channel it was shared in; private or not is the channel's own type
    (one GetItem), never a list on the file that could lag behind."""
    channel = channel_store.get(channel_id)
    if channel is None:
        return False
    return index().upsert_file(
        FileDoc(
            workspace_id=item.workspace_id,
            file_id=item.id,
            channel_id=channel_id,
            uploader_id=item.uploader_id,
            filename=item.filename,
            created_at=_ms(item.created_at),
            version=version,
            private=channel.channel_type == "private",
        )
    )


def index_user(workspace_id: str, user: User, version: int) -> bool:
    return index().upsert_user(UserDoc(workspace_id, user.id, user.username, user.display_name or "", version))


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageResult:
    message: Message
    channel: Channel
    content_html: str  # the message's sanitized HTML with <mark> around the matches


@dataclass(frozen=True)
class FileResult:
    file: File
    filename_html: str


@dataclass(frozen=True)
class UserResult:
    user: User
    username_html: str
    display_name_html: str


@dataclass(frozen=True)
class Criteria:
    q: str
    kind: DocKind = "messages"
    channel_id: str | None = None
    from_user: str | None = None  # a user id or a username (with or without @)
    before: str | None = None  # YYYY-MM-DD, as in the query language
    after: str | None = None
    sort: Sort = "relevance"
    cursor: str | None = None
    limit: int = 20


def search(principal: Principal, workspace_id: str, criteria: Criteria) -> tuple[list[Any], str | None]:
    """One page of results and the cursor of the next. 404 outside the workspace; 400 naming
    ``q`` for a query that does not parse."""
    workspace, membership = authz.workspace_access(principal, workspace_id, scope=SCOPES[criteria.kind])
    parsed = parse_query(_with_parameters(criteria))
    engine = index()  # 503 before any further read when search is not configured
    # Public channels are open to every member: the engine knows them from the documents, so
    # only the caller's private channels are needed, and the membership just read lists them
    # (kept in the channel-membership transactions), so leaving one applies to the next query.
    readable = frozenset(channel_store.private_channel_ids_of(membership))

    channel_ids = None
    if parsed.in_channels:
        named = channel_store.channel_ids_for_names(workspace_id, list(parsed.in_channels))
        channel_ids = frozenset(named.get(n.lower()) for n in parsed.in_channels) - {None}
        if len(named) < len(set(n.lower() for n in parsed.in_channels)):
            channel_ids = frozenset()  # a channel that does not exist matches nothing
    if criteria.channel_id is not None:
        channel_ids = (channel_ids or frozenset({criteria.channel_id})) & {criteria.channel_id}

    author_ids = None
    usernames = sorted({u.lower() for u in parsed.from_usernames})
    if usernames:
        found = user_store.user_ids_for_usernames(usernames)
        # Every from: must name someone; an unknown username matches nothing.
        author_ids = frozenset(found.values()) if len(found) == len(usernames) else frozenset()

    before, since = parsed.created_bounds()
    query = SearchQuery(
        workspace_id=workspace_id,
        readable_channel_ids=readable,
        public_readable=True,
        text=parsed.text,
        kind=criteria.kind,
        channel_ids=channel_ids,
        author_ids=author_ids,
        created_before=before,
        created_since=since,
        has_file=parsed.has_file,
        has_link=parsed.has_link,
        horizon=get_settings().search_free_horizon if workspace.plan == "free" else PAID_PLANS_SEE_ALL,
        sort=criteria.sort,
        cursor=criteria.cursor,
        limit=criteria.limit,
    )
    page = engine.search(query)
    terms = {hit.doc_id: hit.terms for hit in page.hits}
    if criteria.kind == "messages":
        return _messages(page.hits, terms), page.next_cursor
    if criteria.kind == "files":
        files = file_store.get_many([h.doc_id for h in page.hits])
        shown = [files[h.doc_id] for h in page.hits if h.doc_id in files]
        return [FileResult(f, highlight_text(f.filename or "", terms[f.id])) for f in shown], page.next_cursor
    users = user_store.get_many([h.doc_id for h in page.hits])
    return [
        UserResult(u, highlight_text(u.username or "", terms[u.id]), highlight_text(u.display_name or "", terms[u.id]))
        for u in (users[h.doc_id] for h in page.hits if h.doc_id in users)
    ], page.next_cursor


def _with_parameters(criteria: Criteria) -> str:
    """The ``from``/``before``/``after`` parameters mean what the same operators mean in ``q``."""
    q = criteria.q
    if criteria.from_user:
        q += f" from:@{criteria.from_user.removeprefix('@')}"
    if criteria.before:
        q += f" before:{criteria.before}"
    if criteria.after:
        q += f" after:{criteria.after}"
    return q


def _message_key(hit: Any) -> tuple[str, str]:
    sort_key = keys.reply(hit.thread_id, hit.doc_id) if hit.thread_id else keys.message(hit.doc_id)
    return keys.channel(hit.channel_id), sort_key


def _messages(hits: list[Any], terms: dict[str, Any]) -> list[MessageResult]:
    """The page's messages (replies too: the index keeps their thread id) and their channels in
    one BatchGetItem. A reply indexed before the thread id was kept is found by id (GSI2)."""
    wanted = [_message_key(h) for h in hits]
    wanted += [(keys.channel(c), keys.META) for c in {h.channel_id for h in hits}]
    found = {(i.PK, i.SK): i for i in Entity.batch_get(wanted)} if hits else {}
    results = []
    for hit in hits:
        message = found.get(_message_key(hit))
        if not isinstance(message, Message) and not hit.thread_id:
            located = message_store.locate(hit.doc_id)
            message = message_store.get(located[0], located[1]) if located else None
        channel = found.get((keys.channel(hit.channel_id), keys.META))
        if not isinstance(message, Message) or message.deleted or not isinstance(channel, Channel):
            continue  # deleted since it was indexed: the worker is removing it
        if channel.closed_at:  # closed (Admin v2): the close job is deleting its messages
            continue
        results.append(MessageResult(message, channel, highlight_html(message.content_html or "", terms[hit.doc_id])))
    return results
