"""The embedded ``SearchIndex``: SQLite FTS5 from the standard library.

One ``docs`` table holds what filters and sorts (workspace, channel, author, creation, version,
tombstone) and two FTS5 tables per kind hold the text (title, body), joined on rowid: ``fts_<kind>``
stems English words (``porter unicode61 remove_diacritics 2``: "invoice" finds "invoices", "cafe"
finds "café") and answers plain words; ``fts_<kind>_exact`` (``unicode61 remove_diacritics 2``)
answers exact phrases and prefixes, which stemming would distort ("meetin*" finds nothing in a
stemmed index, whose token is "meet"). FTS5 gives BM25 ranking, phrases and prefixes. User text
only ever reaches MATCH as quoted FTS5 strings (``"..."``, quotes doubled), so no user input is
FTS5 syntax. Permissions, the Free-plan horizon and cursors are SQL conditions of
the same statement: pages are never filtered after the fact.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from chalicelib.errors import ValidationError
from chalicelib.search.port import (
    DocKind,
    FileDoc,
    MessageDoc,
    SearchHit,
    SearchPage,
    SearchQuery,
    Term,
    TextQuery,
    UserDoc,
)

MAX_LIMIT = 100
_EMPTY = -(2**63)  # a horizon of 0 messages: nothing is visible
FINAL_VERSION = 2**62  # a deletion without a version: no later upsert may bring the document back

_FTS_TABLES: dict[DocKind, str] = {"messages": "fts_messages", "files": "fts_files", "users": "fts_users"}
EXACT = "_exact"  # suffix of the unstemmed twin of each table
_TOKENIZE = "porter unicode61 remove_diacritics 2"  # words: stemmed, case and accent folded
_TOKENIZE_EXACT = "unicode61 remove_diacritics 2"  # phrases and prefixes: folded, not stemmed

# Rowids are times: a document's rowid (docs and its FTS rows) is created_at_ms << TIE_BITS | a
# tie-breaker (the next free slot of that millisecond), so FTS5 walks a match's doclist newest
# first (ORDER BY rowid DESC) and stops at the page's LIMIT instead of reading every match.
# Documents without a time (people, a deletion that arrived before its create) take negative
# rowids below everything. A millisecond holds 2**16 documents; past that the next ones spill into
# the following millisecond (still collision-free, ordered by indexing).
TIE_BITS = 16
SCHEMA_VERSION = 2  # PRAGMA user_version: 2 = time-ordered rowids + indexed_seq

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    doc_rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    channel_id TEXT,
    author_id TEXT,
    created_at INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    has_file INTEGER NOT NULL DEFAULT 0,
    has_link INTEGER NOT NULL DEFAULT 0,
    private INTEGER NOT NULL DEFAULT 0,
    thread_id TEXT,
    indexed_seq INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, workspace_id, doc_id)
);
"""
# After the columns exist (an older file gets them first). docs_live's entries end with the rowid,
# i.e. they are in time order within (kind, workspace, deleted): the horizon and a search without
# words walk it newest first. docs_seq: the snapshot of a first page is max(indexed_seq).
_INDEXES = """
DROP INDEX IF EXISTS docs_recent;
CREATE INDEX IF NOT EXISTS docs_live ON docs (kind, workspace_id, deleted);
CREATE INDEX IF NOT EXISTS docs_seq ON docs (indexed_seq);
"""
_DOC_COLUMNS = (
    "kind, workspace_id, doc_id, channel_id, author_id, created_at, version, deleted, has_file, has_link,"
    " private, thread_id"
)


# Columns added after the first schema: an index file from before gets them at open. Its old rows
# count as private (fail closed: readable only in the caller's own private channels, so a private
# message never leaks; public ones are missing until a reindex) and as top-level messages (a
# reply is then found by id, one GSI2 Query each).
_ADDED_COLUMNS = {
    "private": "INTEGER NOT NULL DEFAULT 1",
    "thread_id": "TEXT",
    "indexed_seq": "INTEGER NOT NULL DEFAULT 0",
}


class FTS5Unavailable(RuntimeError):
    pass


def check_fts5(conn: sqlite3.Connection) -> None:
    """Fail at start, with what to do, when this Python's SQLite was built without FTS5."""
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
        conn.execute("DROP TABLE temp.fts5_probe")
    except sqlite3.OperationalError as exc:
        options = [row[0] for row in conn.execute("PRAGMA compile_options")]
        raise FTS5Unavailable(
            f"SQLite {sqlite3.sqlite_version} has no FTS5 (ENABLE_FTS5 not in compile options: {options}); "
            "the embedded search index needs it. Use a Python whose sqlite3 has FTS5 (python.org and most "
            "Linux builds do; some Lambda images do not), or point SEARCH_URL at OpenSearch."
        ) from exc


def _fts_string(text: str) -> str:
    # An FTS5 string: everything inside is tokenized as text, never parsed as query syntax.
    return '"' + text.replace('"', '""') + '"'


def _fts_term(term: Term) -> str:
    return _fts_string(term.text) + ("*" if term.kind == "prefix" else "")


def _any_of(terms: Iterable[Term]) -> str:
    return "(" + " OR ".join(_fts_term(t) for t in terms) + ")"


def _split(kind: DocKind, text: TextQuery) -> dict[str, tuple[list[Term], list[Term]]]:
    """{table: (included, excluded)}: words to the stemmed table, phrases and prefixes to the exact one."""
    stemmed, exact = _FTS_TABLES[kind], _FTS_TABLES[kind] + EXACT
    split: dict[str, tuple[list[Term], list[Term]]] = {stemmed: ([], []), exact: ([], [])}
    for terms, side in ((text.included, 0), (text.excluded, 1)):
        for term in terms:
            split[stemmed if term.kind == "word" else exact][side].append(term)
    return split


def _encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        valid = isinstance(data, dict) and data.get("s") == sort and isinstance(data.get("snap"), int)
        valid = valid and (data.get("hz") is None or isinstance(data["hz"], int))
        if sort == "recent":
            valid = valid and isinstance(data.get("rid"), int)
        else:
            valid = valid and isinstance(data.get("off"), int) and 0 <= data["off"] <= 100_000
    except (ValueError, binascii.Error, UnicodeDecodeError):
        valid = False
    if not valid:
        raise ValidationError("The cursor is not valid for this search.", field="cursor")
    return data


class SqliteSearchIndex:
    def __init__(self, path: str = ":memory:"):
        # One connection shared by the local runtime's threads, serialized by a lock (reentrant:
        # writes inside batch() run on the thread that holds it).
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._batching = False
        check_fts5(self._conn)
        if path != ":memory:":
            # WAL: a commit appends to the log instead of syncing the database and a rollback journal
            # (an upsert measured ~19 ms on a file, ~1.2 ms with WAL; make bench). synchronous=NORMAL
            # may lose the last commits on power loss, never consistency: the index is derived data,
            # and the reindex command rebuilds it.
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            existed = self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'docs'").fetchone() is not None
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            self._conn.executescript(_SCHEMA)
            present = {row[1] for row in self._conn.execute("PRAGMA table_info(docs)")}
            for column, kind in _ADDED_COLUMNS.items():  # a file written before these columns existed
                if column not in present:
                    self._conn.execute(f"ALTER TABLE docs ADD COLUMN {column} {kind}")
            for table in _FTS_TABLES.values():
                self._migrate_unstemmed(table)
                self._create_fts(table, _TOKENIZE, "")
                self._create_fts(table + EXACT, _TOKENIZE_EXACT, ", prefix = '2 3'")
            if existed and version < SCHEMA_VERSION:
                self._migrate_to_time_rowids()
            self._conn.executescript(_INDEXES)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _create_fts(self, table: str, tokenize: str, options: str) -> None:
        self._conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(title, body, tokenize = '{tokenize}'{options})"
        )

    def _migrate_unstemmed(self, table: str) -> None:
        """An index file from before stemming has one unstemmed table per kind: it becomes the exact
        twin, and the stemmed table is filled from its stored text, so no reindex is needed."""
        row = self._conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        if row is None or "porter" in row[0]:
            return
        with self._transaction():
            self._conn.execute(f"ALTER TABLE {table} RENAME TO {table}{EXACT}")
            self._create_fts(table, _TOKENIZE, "")
            self._conn.execute(
                f"INSERT INTO {table} (rowid, title, body) SELECT rowid, title, body FROM {table}{EXACT}"  # noqa: S608
            )

    def _migrate_to_time_rowids(self) -> None:
        """An index file from before time-ordered rowids (sequential ones): every document moves to
        its time rowid, in one transaction, its old rowid becoming its indexed_seq (the order it was
        indexed in). FTS5 cannot renumber rows, so each text table is copied into a new one (the
        text is stored in it): about as long as writing the index again, once."""
        conn = self._conn
        crowded = conn.execute(
            "SELECT created_at FROM docs WHERE created_at > 0 GROUP BY created_at HAVING count(*) > ?", (1 << TIE_BITS,)
        ).fetchone()
        if crowded is not None:  # would need the spill rule row by row: rebuild instead
            raise RuntimeError(
                f"search index: more than {1 << TIE_BITS} documents created at {crowded[0]} ms; delete the index"
                " file and run `python -m tools.operator reindex --workspace ID` for each workspace"
            )
        with self._transaction():
            conn.execute("DROP TABLE IF EXISTS temp.remap")
            conn.execute("CREATE TEMP TABLE remap (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)")
            conn.execute(
                "INSERT INTO temp.remap (old, new) SELECT doc_rowid, CASE WHEN created_at > 0"
                " THEN (created_at << :bits) + row_number() OVER ms - 1 ELSE -row_number() OVER ms END"
                " FROM docs WINDOW ms AS (PARTITION BY max(created_at, 0) ORDER BY doc_rowid)",
                {"bits": TIE_BITS},
            )
            conn.execute("ALTER TABLE docs RENAME TO docs_before_v2")
            conn.execute(_SCHEMA.strip().rstrip(";"))
            conn.execute(
                f"INSERT INTO docs (doc_rowid, indexed_seq, {_DOC_COLUMNS}) SELECT r.new, o.doc_rowid,"  # noqa: S608
                f" {', '.join('o.' + c.strip() for c in _DOC_COLUMNS.split(','))}"
                " FROM docs_before_v2 o JOIN temp.remap r ON r.old = o.doc_rowid"
            )
            conn.execute("DROP TABLE docs_before_v2")
            for base in _FTS_TABLES.values():
                for table, tokenize, options in (
                    (base, _TOKENIZE, ""),
                    (base + EXACT, _TOKENIZE_EXACT, ", prefix = '2 3'"),
                ):
                    self._create_fts(table + "_v2", tokenize, options)
                    conn.execute(
                        f"INSERT INTO {table}_v2 (rowid, title, body) SELECT r.new, t.title, t.body"  # noqa: S608
                        f" FROM {table} t JOIN temp.remap r ON r.old = t.rowid"
                    )
                    conn.execute(f"DROP TABLE {table}")
                    conn.execute(f"ALTER TABLE {table}_v2 RENAME TO {table}")
            conn.execute("DROP TABLE temp.remap")

    def _time_rowid(self, created_at: int) -> int:
        """A free rowid in time order: created_at << TIE_BITS plus the millisecond's next free slot."""
        if created_at <= 0:  # no time: below everything
            lowest = self._conn.execute("SELECT min(doc_rowid) FROM docs").fetchone()[0]
            return min(0, lowest or 0) - 1
        base = created_at << TIE_BITS
        while True:
            top = self._conn.execute(
                "SELECT max(doc_rowid) FROM docs WHERE doc_rowid BETWEEN ? AND ?", (base, base + (1 << TIE_BITS) - 1)
            ).fetchone()[0]
            if top is None:
                return base
            if top < base + (1 << TIE_BITS) - 1:
                return top + 1
            base += 1 << TIE_BITS  # this millisecond is full: spill into the next

    def _next_seq(self) -> int:
        return (self._conn.execute("SELECT max(indexed_seq) FROM docs").fetchone()[0] or 0) + 1

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- writes -------------------------------------------------------------------------------

    def upsert_message(self, doc: MessageDoc) -> bool:
        return self._upsert(
            "messages",
            doc.workspace_id,
            doc.message_id,
            doc.version,
            {
                "channel_id": doc.channel_id,
                "author_id": doc.author_id,
                "created_at": doc.created_at,
                "has_file": int(doc.has_file),
                "has_link": int(doc.has_link),
                "private": int(doc.private),
                "thread_id": doc.thread_id,
            },
            ("", doc.text),
        )

    def delete_message(self, workspace_id: str, message_id: str, version: int | None = None) -> None:
        self._delete("messages", workspace_id, message_id, version)

    def upsert_file(self, doc: FileDoc) -> bool:
        return self._upsert(
            "files",
            doc.workspace_id,
            doc.file_id,
            doc.version,
            {
                "channel_id": doc.channel_id,
                "author_id": doc.uploader_id,
                "created_at": doc.created_at,
                "private": int(doc.private),
            },
            (doc.filename, doc.text),
        )

    def delete_file(self, workspace_id: str, file_id: str, version: int | None = None) -> None:
        self._delete("files", workspace_id, file_id, version)

    def upsert_user(self, doc: UserDoc) -> bool:
        return self._upsert("users", doc.workspace_id, doc.user_id, doc.version, {}, (doc.username, doc.display_name))

    def delete_user(self, workspace_id: str, user_id: str, version: int | None = None) -> None:
        self._delete("users", workspace_id, user_id, version)

    def _upsert(
        self, kind: DocKind, workspace_id: str, doc_id: str, version: int, fields: dict, text: tuple[str, str]
    ) -> bool:
        fts = _FTS_TABLES[kind]
        columns = {
            "channel_id": None,
            "author_id": None,
            "created_at": 0,
            "has_file": 0,
            "has_link": 0,
            "private": 0,
            "thread_id": None,
            **fields,
        }
        with self._lock, self._transaction():
            row = self._conn.execute(
                "SELECT doc_rowid, version, deleted FROM docs WHERE kind = ? AND workspace_id = ? AND doc_id = ?",
                (kind, workspace_id, doc_id),
            ).fetchone()
            if row is not None and row[1] >= version:
                return False  # same version redelivered, or older than what we hold (or deleted)
            if row is None:
                rowid = self._time_rowid(columns["created_at"])
                self._conn.execute(
                    "INSERT INTO docs (doc_rowid, indexed_seq, kind, workspace_id, doc_id, version, channel_id,"
                    " author_id, created_at, has_file, has_link, private, thread_id) VALUES (:rowid, :seq, :kind,"
                    " :workspace_id, :doc_id, :version, :channel_id, :author_id, :created_at, :has_file, :has_link,"
                    " :private, :thread_id)",
                    {
                        **columns,
                        "rowid": rowid,
                        "seq": self._next_seq(),
                        "kind": kind,
                        "workspace_id": workspace_id,
                        "doc_id": doc_id,
                        "version": version,
                    },
                )
            else:
                # An edit keeps its rowid (its time) and its indexed_seq: a cursor's snapshot
                # (indexed_seq <= snap) still includes it. A document coming back from a tombstone
                # is new to readers (a new seq), and moves to its time if the tombstone had none.
                rowid, deleted = row[0], row[2]
                for table in (fts, fts + EXACT):
                    self._conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (rowid,))  # noqa: S608 (ours)
                created_at = columns["created_at"]
                in_place = rowid >> TIE_BITS == created_at or (created_at <= 0 and rowid < 0)
                moved = rowid if in_place else self._time_rowid(created_at)
                self._conn.execute(
                    "UPDATE docs SET doc_rowid = :moved, indexed_seq = CASE WHEN deleted THEN :seq ELSE indexed_seq"
                    " END, version = :version, deleted = 0, channel_id = :channel_id,"
                    " author_id = :author_id, created_at = :created_at, has_file = :has_file,"
                    " has_link = :has_link, private = :private, thread_id = :thread_id WHERE doc_rowid = :rowid",
                    {
                        **columns,
                        "version": version,
                        "rowid": rowid,
                        "moved": moved,
                        "seq": self._next_seq() if deleted else 0,
                    },
                )
                rowid = moved
            for table in (fts, fts + EXACT):
                self._conn.execute(f"INSERT INTO {table} (rowid, title, body) VALUES (?, ?, ?)", (rowid, *text))  # noqa: S608
            return True

    def _delete(self, kind: DocKind, workspace_id: str, doc_id: str, version: int | None) -> None:
        tombstone_version = FINAL_VERSION if version is None else version
        with self._lock, self._transaction():
            row = self._conn.execute(
                "SELECT doc_rowid, version FROM docs WHERE kind = ? AND workspace_id = ? AND doc_id = ?",
                (kind, workspace_id, doc_id),
            ).fetchone()
            if row is None:
                # Deleted before its create arrived: remember, so the late create stays out.
                self._conn.execute(
                    "INSERT INTO docs (doc_rowid, indexed_seq, kind, workspace_id, doc_id, version, deleted)"
                    " VALUES (?, ?, ?, ?, ?, ?, 1)",
                    (self._time_rowid(0), self._next_seq(), kind, workspace_id, doc_id, tombstone_version),
                )
                return
            self._conn.execute(
                "UPDATE docs SET deleted = 1, version = max(version, ?) WHERE doc_rowid = ?",
                (tombstone_version, row[0]),
            )
            for table in (_FTS_TABLES[kind], _FTS_TABLES[kind] + EXACT):
                self._conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (row[0],))  # noqa: S608

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Writes inside the block share one transaction (one commit, not one each): for bulk
        writers such as the reindex command and the bench. Other threads wait for the block; a
        failure rolls the whole block back. Not part of the port: callers check for it."""
        with self._lock:
            if self._batching:  # nested: the outer block commits
                yield
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._batching = True
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._batching = False

    def _transaction(self):
        conn = self._conn
        batching = self._batching

        class _Tx:
            def __enter__(self):
                if not batching:
                    conn.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, exc, tb):
                if not batching:
                    conn.execute("ROLLBACK" if exc_type else "COMMIT")
                return False

        return _Tx()

    # -- reads --------------------------------------------------------------------------------

    def _horizon(self, query: SearchQuery) -> int | None:
        """The Free plan's bound: the rowid of the workspace's Nth newest live message (None: no
        bound, fewer than N; _EMPTY: N = 0). A walk of N entries of docs_live, newest first:
        O(N), not O(workspace); a B-tree has no rank, so O(log n) would need counts kept per time
        range. Later pages reuse it from the cursor."""
        if query.kind != "messages" or query.horizon is None:
            return None
        if query.horizon <= 0:
            return _EMPTY
        row = self._conn.execute(
            "SELECT doc_rowid FROM docs INDEXED BY docs_live WHERE kind = 'messages' AND workspace_id = ?"
            " AND deleted = 0 ORDER BY doc_rowid DESC LIMIT 1 OFFSET ?",
            (query.workspace_id, query.horizon - 1),
        ).fetchone()
        return None if row is None else row[0]

    def search(self, query: SearchQuery) -> SearchPage:
        limit = max(1, min(query.limit, MAX_LIMIT))
        cursor = _decode_cursor(query.cursor, query.sort) if query.cursor else None
        channel_scoped = query.kind in ("messages", "files")
        if channel_scoped and not query.readable_channel_ids and not query.public_readable:
            return SearchPage([], None)

        where = ["d.kind = :kind", "d.workspace_id = :ws", "d.deleted = 0"]
        params: dict = {"kind": query.kind, "ws": query.workspace_id}
        source, score, match = "docs d", "0.0", False
        rowid = "d.doc_rowid"  # the column rowid bounds go on: the FTS table's when it drives
        # Words go to the stemmed table, phrases and prefixes to the exact one. The table with
        # included terms (the stemmed one when there are words) is joined and ranks (bm25); the
        # other narrows by rowid in the same statement.
        split = _split(query.kind, query.text)
        main = next((table for table, (included, _) in split.items() if included), None)
        for n, (table, (included, excluded)) in enumerate(split.items()):
            if table == main:
                # CROSS JOIN: the text match drives, in rowid (= time) order; docs is probed by rowid.
                source = f"{table} f CROSS JOIN docs d ON d.doc_rowid = f.rowid"
                where.insert(0, f"{table} MATCH :match{n}")
                expression = " AND ".join(_fts_term(t) for t in included)
                if excluded:  # FTS5's NOT needs a left side: here it has one
                    expression = f"({expression}) NOT {_any_of(excluded)}"
                params[f"match{n}"] = expression
                score = f"-bm25({table}, 2.0, 1.0)"  # FTS5's bm25 is lower-is-better; titles weigh double
                match, rowid = True, "f.rowid"
                continue
            if included:
                where.append(f"d.doc_rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH :in{n})")  # noqa: S608
                params[f"in{n}"] = " AND ".join(_fts_term(t) for t in included)
            if excluded:  # FTS5 has no bare NOT: leave out whatever matches any excluded term
                where.append(f"d.doc_rowid NOT IN (SELECT rowid FROM {table} WHERE {table} MATCH :out{n})")  # noqa: S608
                params[f"out{n}"] = _any_of(excluded)

        if channel_scoped:
            readable = "d.channel_id IN (SELECT value FROM json_each(:readable))"
            where.append(f"(d.private = 0 OR {readable})" if query.public_readable else readable)
            params["readable"] = json.dumps(sorted(query.readable_channel_ids))
            if query.channel_ids is not None:
                where.append("d.channel_id IN (SELECT value FROM json_each(:channels))")
                params["channels"] = json.dumps(sorted(query.channel_ids))
            if query.author_ids is not None:
                where.append("d.author_id IN (SELECT value FROM json_each(:authors))")
                params["authors"] = json.dumps(sorted(query.author_ids))
            if query.created_before is not None:
                where.append("d.created_at < :before")
                params["before"] = query.created_before
            if query.created_since is not None:
                where.append("d.created_at >= :since")
                params["since"] = query.created_since
        if query.kind == "messages":
            if query.has_file:
                where.append("d.has_file = 1")
            if query.has_link:
                where.append("d.has_link = 1")

        with self._lock:
            # Documents indexed after the first page are left out of the following ones: stable pages.
            # (Not the rowid: rowids are times, and a message indexed late can be older than the page.)
            if cursor:
                snapshot, horizon = cursor["snap"], cursor.get("hz")
            else:
                snapshot = self._conn.execute("SELECT max(indexed_seq) FROM docs").fetchone()[0] or 0
                horizon = self._horizon(query)
            if horizon == _EMPTY:
                return SearchPage([], None)
            where.append("d.indexed_seq <= :snap")
            params["snap"] = snapshot
            if horizon is not None:
                # The newest N live messages of the workspace are exactly those at or above the Nth's rowid.
                where.append(f"{rowid} >= :horizon")
                params["horizon"] = horizon
            offset = 0
            if query.sort == "recent" or not match:
                order = f"{rowid} DESC"  # time order: FTS5 (or docs_live) walks newest first and stops at LIMIT
                if cursor and query.sort == "recent":
                    where.append(f"{rowid} < :after")
                    params["after"] = cursor["rid"]
                elif cursor:
                    offset = cursor["off"]
            else:
                order = f"score DESC, {rowid} DESC"  # bm25 of every match, then newest: O(matches)
                offset = cursor["off"] if cursor else 0
            # Only our own table names and fixed fragments are formatted in; every value is a parameter.
            sql = (
                f"SELECT d.doc_id, d.channel_id, d.created_at, {score} AS score, d.thread_id, d.doc_rowid"  # noqa: S608
                f" FROM {source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit OFFSET :offset"
            )
            rows = self._conn.execute(sql, {**params, "limit": limit + 1, "offset": offset}).fetchall()

        more = len(rows) > limit
        rows = rows[:limit]
        hits = [
            SearchHit(
                doc_id=row[0],
                channel_id=row[1] if channel_scoped else None,
                created_at=row[2] if channel_scoped else None,
                score=float(row[3]),
                terms=query.text.included,
                thread_id=row[4] if channel_scoped else None,
            )
            for row in rows
        ]
        next_cursor = None
        if more:
            position = {"rid": rows[-1][5]} if query.sort == "recent" else {"off": offset + limit}
            next_cursor = _encode_cursor({"s": query.sort, "snap": snapshot, "hz": horizon, **position})
        return SearchPage(hits, next_cursor)
