"""The embedded engine's time-ordered rowids: what makes sort=recent and the horizon O(page)."""

from __future__ import annotations

import sqlite3

from chalicelib.search.port import MessageDoc, SearchQuery
from chalicelib.search.query import parse_query
from chalicelib.search.sqlite_fts import TIE_BITS, SqliteSearchIndex

WS, T0 = "W1", 1_767_225_600_000


def _query(q: str, **kw) -> SearchQuery:
    return SearchQuery(WS, frozenset({"C1"}), text=parse_query(q).text, **kw)


def _plan(index: SqliteSearchIndex, query: SearchQuery) -> list[str]:
    """EXPLAIN QUERY PLAN of the page statement the engine runs for ``query``."""
    conn, plans = index._conn, []

    class Spy:
        def execute(self, sql, params=()):
            if sql.startswith("SELECT d.doc_id"):
                plans.extend(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
            return conn.execute(sql, params)

        def __getattr__(self, name):
            return getattr(conn, name)

    index._conn = Spy()  # type: ignore[assignment]
    try:
        index.search(query)
    finally:
        index._conn = conn
    return plans


def test_rowids_follow_creation_whatever_the_indexing_order_and_ties_never_collide():
    index = SqliteSearchIndex()
    for n, at in enumerate([T0 + 5, T0, T0 + 5, T0 + 2, T0 + 5]):
        assert index.upsert_message(MessageDoc(WS, f"M{n}", "C1", "U1", "note", at, 1))
    rows = index._conn.execute("SELECT doc_rowid, created_at FROM docs ORDER BY doc_rowid").fetchall()
    assert [at for _, at in rows] == sorted(at for _, at in rows)
    assert all(rowid >> TIE_BITS == at for rowid, at in rows) and len({r for r, _ in rows}) == 5
    assert [h.doc_id for h in index.search(_query("note", sort="recent")).hits] == ["M4", "M2", "M0", "M3", "M1"]


def test_recent_and_horizon_pages_walk_the_match_newest_first_without_sorting():
    index = SqliteSearchIndex()
    for n in range(50):
        index.upsert_message(MessageDoc(WS, f"M{n}", "C1", "U1", "invoice due", T0 + n, 1))
    first = index.search(_query("invoice", sort="recent", limit=5))
    for query in (
        _query("invoice", sort="recent", limit=5),
        _query("invoice", sort="recent", limit=5, cursor=first.next_cursor),
        _query("invoice", sort="recent", limit=5, horizon=10),
    ):
        plan = _plan(index, query)
        assert not any("TEMP B-TREE" in step for step in plan), plan  # FTS5 hands rows over in rowid order
        assert any(step.startswith("SCAN f VIRTUAL TABLE INDEX 192:") for step in plan), plan  # rowid DESC
    assert any(">" in step for step in _plan(index, _query("invoice", horizon=10)))  # the bound reaches FTS5
    assert "TEMP B-TREE" in " ".join(_plan(index, _query("invoice")))  # relevance: every match is scored


def test_a_document_back_from_a_tombstone_takes_its_time_and_is_new_to_open_cursors():
    index = SqliteSearchIndex()
    for n in range(4):
        index.upsert_message(MessageDoc(WS, f"M{n}", "C1", "U1", "memo", T0 + n * 1000, 1))
    index.delete_message(WS, "LATE", version=1)  # its delete arrived first: a rowid without a time
    first = index.search(_query("memo", sort="recent", limit=2))
    assert index.upsert_message(MessageDoc(WS, "LATE", "C1", "U1", "memo", T0 + 500, 2))
    rest = index.search(_query("memo", sort="recent", limit=10, cursor=first.next_cursor))
    assert [h.doc_id for h in first.hits + rest.hits] == ["M3", "M2", "M1", "M0"]  # not in this snapshot
    assert [h.doc_id for h in index.search(_query("memo", sort="recent")).hits] == ["M3", "M2", "M1", "LATE", "M0"]


def test_an_index_file_with_sequential_rowids_migrates_at_open(tmp_path):
    path = str(tmp_path / "v1.db")
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE docs (doc_rowid INTEGER PRIMARY KEY, kind TEXT NOT NULL, workspace_id TEXT NOT NULL,"
        " doc_id TEXT NOT NULL, channel_id TEXT, author_id TEXT, created_at INTEGER NOT NULL DEFAULT 0,"
        " version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, has_file INTEGER NOT NULL DEFAULT 0,"
        " has_link INTEGER NOT NULL DEFAULT 0, private INTEGER NOT NULL DEFAULT 0, thread_id TEXT,"
        " UNIQUE (kind, workspace_id, doc_id));"
        "CREATE INDEX docs_recent ON docs (kind, workspace_id, deleted, created_at, doc_id);"
        "CREATE VIRTUAL TABLE fts_messages USING fts5(title, body, tokenize = 'porter unicode61 remove_diacritics 2');"
        "CREATE VIRTUAL TABLE fts_messages_exact USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2',"
        " prefix = '2 3');"
    )
    # Indexed out of creation order (rowid 1 is the newest), and a person without a time.
    for rowid, (doc, at) in enumerate([("NEW", T0 + 9000), ("OLD", T0), ("MID", T0 + 10)], start=1):
        old.execute(
            "INSERT INTO docs (doc_rowid, kind, workspace_id, doc_id, channel_id, created_at, version)"
            " VALUES (?, 'messages', ?, ?, 'C1', ?, 1)",
            (rowid, WS, doc, at),
        )
        for table in ("fts_messages", "fts_messages_exact"):
            old.execute(f"INSERT INTO {table} (rowid, title, body) VALUES (?, '', 'quarterly invoices')", (rowid,))
    old.execute(
        "INSERT INTO docs (doc_rowid, kind, workspace_id, doc_id, version) VALUES (4, 'users', ?, 'U1', 1)", (WS,)
    )
    old.commit()
    old.close()

    index = SqliteSearchIndex(path)
    assert index._conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert [h.doc_id for h in index.search(_query("invoice", sort="recent")).hits] == ["NEW", "MID", "OLD"]
    assert [h.doc_id for h in index.search(_query("quarter*", sort="recent", horizon=2)).hits] == ["NEW", "MID"]
    seqs = dict(index._conn.execute("SELECT doc_id, indexed_seq FROM docs"))
    assert seqs == {"NEW": 1, "OLD": 2, "MID": 3, "U1": 4}  # the old rowid: the order they were indexed in
    assert index._conn.execute("SELECT min(doc_rowid) FROM docs").fetchone()[0] < 0  # the person: no time
    index.close()
    assert len(SqliteSearchIndex(path).search(_query("invoice")).hits) == 3  # reopening does not migrate again
