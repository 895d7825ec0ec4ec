"""The SearchIndex contract: every adapter must pass it.

Parametrized by adapter factory; the OpenSearch adapter adds its factory (when SEARCH_URL is set)
and reuses every test unchanged. Queries go through the real query parser, as the API will.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import date

import pytest

from chalicelib.errors import ValidationError
from chalicelib.search.port import FileDoc, MessageDoc, SearchIndex, SearchQuery, UserDoc
from chalicelib.search.query import parse_query
from chalicelib.search.sqlite_fts import FTS5Unavailable, SqliteSearchIndex, check_fts5

WS = "W1"
READABLE = frozenset({"C1", "C2"})
DAY = 86_400_000
T0 = 1_770_000_000_000  # 2026-02-02 (UTC)


def _memory(tmp_path) -> SearchIndex:
    return SqliteSearchIndex(":memory:")


def _file(tmp_path) -> SearchIndex:
    return SqliteSearchIndex(str(tmp_path / "search.db"))


FACTORIES: dict[str, Callable[..., SearchIndex]] = {"sqlite-memory": _memory, "sqlite-file": _file}

if os.environ.get("SEARCH_URL"):
    # A real cluster (docs/search.md): SEARCH_URL=https://... pytest tests/unit/search/test_contract.py
    # Each test gets its own index, deleted after it; writes refresh so they are searchable at once.
    def _opensearch(tmp_path) -> SearchIndex:
        from chalicelib.search.opensearch import OpenSearchIndex

        url = os.environ["SEARCH_URL"].split("://", 1)
        host = url[1].split("/", 1)[0]
        name = f"disqua-contract-{uuid.uuid4().hex[:12]}"
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        return OpenSearchIndex(f"{url[0]}://{host}/{name}", region=region, refresh=True, snapshot_lag_ms=0)

    FACTORIES["opensearch"] = _opensearch


@pytest.fixture(params=sorted(FACTORIES))
def index(request, tmp_path):
    made = FACTORIES[request.param](tmp_path)
    yield made
    drop = getattr(made, "drop_index", None)
    if drop is not None:
        drop()


_counter = iter(range(1, 10**9))


def add(index: SearchIndex, text: str, **fields) -> str:
    n = next(_counter)
    doc = MessageDoc(
        workspace_id=fields.pop("workspace_id", WS),
        message_id=fields.pop("message_id", f"M{n:06d}"),
        channel_id=fields.pop("channel_id", "C1"),
        author_id=fields.pop("author_id", "U1"),
        text=text,
        created_at=fields.pop("created_at", T0 + n * 1000),
        version=fields.pop("version", 1),
        **fields,
    )
    assert index.upsert_message(doc)
    return doc.message_id


def search(index: SearchIndex, q: str | None, **kw) -> list[str]:
    return [hit.doc_id for hit in page(index, q, **kw).hits]


def page(index: SearchIndex, q: str | None, **kw):
    parsed = parse_query(q) if q else None
    before, since = parsed.created_bounds() if parsed else (None, None)
    query = SearchQuery(
        workspace_id=kw.pop("workspace_id", WS),
        readable_channel_ids=kw.pop("readable", READABLE),
        text=parsed.text if parsed else SearchQuery(WS, READABLE).text,
        created_before=before,
        created_since=since,
        has_file=bool(parsed and parsed.has_file),
        has_link=bool(parsed and parsed.has_link),
        **kw,
    )
    return index.search(query)


def test_words_are_anded(index):
    both = add(index, "deploy the API on friday")
    add(index, "deploy on monday")
    add(index, "friday lunch")
    assert search(index, "deploy friday") == [both]


def test_exact_phrase(index):
    phrase = add(index, "my red car is fast")
    words = add(index, "the car is red")
    assert search(index, '"red car"') == [phrase]
    assert sorted(search(index, "red car")) == sorted([phrase, words])


def test_prefix(index):
    a = add(index, "deploy now")
    b = add(index, "the deployment failed")
    add(index, "depot")
    assert sorted(search(index, "deplo*")) == sorted([a, b])


def test_exclusion_with_and_without_included_terms(index):
    keep = add(index, "release notes")
    drop = add(index, "release party tonight")
    other = add(index, "meeting notes")
    assert search(index, "release -party") == [keep]
    assert sorted(search(index, "-party")) == sorted([keep, other])
    assert search(index, 'release -"party tonight"') == [keep]
    assert drop not in search(index, "-tonight", sort="recent")


def test_case_and_accent_folding(index):
    cafe = add(index, "Rendez-vous au Café Crème à Montréal")
    assert search(index, "cafe creme") == [cafe]
    assert search(index, "CAFÉ") == [cafe]
    assert search(index, "montreal") == [cafe]
    assert search(index, "caf*") == [cafe]
    assert search(index, '"cafe creme"') == [cafe]


def test_from_in_before_after_has_filters(index):
    old = add(index, "status report", author_id="U1", channel_id="C1", created_at=T0)
    new = add(index, "status report", author_id="U2", channel_id="C2", created_at=T0 + 10 * DAY)
    filed = add(index, "status report", created_at=T0 + 5 * DAY, has_file=True)
    linked = add(index, "status report", created_at=T0 + 5 * DAY, has_link=True)
    assert search(index, "status", author_ids=frozenset({"U2"})) == [new]
    assert search(index, "status", channel_ids=frozenset({"C2"})) == [new]
    # T0 is 2026-02-02 (UTC): before: is strictly before the day, after: strictly after it.
    assert date.fromtimestamp(T0 / 1000) == date(2026, 2, 2)
    assert search(index, "status before:2026-02-03") == [old]
    assert sorted(search(index, "status after:2026-02-06")) == sorted([new, filed, linked])
    assert search(index, "status after:2026-02-11") == [new]
    assert search(index, "status has:file") == [filed]
    assert search(index, "status has:link") == [linked]
    assert search(index, "has:link") == [linked]  # filters alone, no text
    assert search(index, "status has:file has:link") == []


def test_permission_filter_is_in_the_query_pages_stay_full(index):
    # Interleave hidden and readable matches: a post-filtered page would come back short.
    readable = []
    for i in range(12):
        add(index, "secret plans", channel_id="C9")
        readable.append(add(index, f"secret plans {i}", channel_id="C1" if i % 2 else "C2"))
    seen, cursor = [], None
    for sort in ("relevance", "recent"):
        seen, cursor = [], None
        while True:
            result = page(index, "secret", limit=5, cursor=cursor, sort=sort)
            assert len(result.hits) == 5 or result.next_cursor is None
            assert all(hit.channel_id in READABLE for hit in result.hits)
            seen += [hit.doc_id for hit in result.hits]
            cursor = result.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(readable)
    assert search(index, "secret", readable=frozenset()) == []
    assert search(index, "secret", readable=frozenset({"C9"}), channel_ids=frozenset({"C1"})) == []
    assert search(index, "secret", workspace_id="W2") == []


def test_free_plan_horizon_is_exactly_the_newest_n_of_the_workspace(index):
    created = list(range(10))
    random.Random(7).shuffle(created)  # indexing order differs from creation order
    ids = {c: add(index, f"note {c}", created_at=T0 + c * 1000, channel_id="C9" if c == 8 else "C1") for c in created}
    add(index, "note elsewhere", workspace_id="W2", created_at=T0 + 99_000)  # other workspaces don't count
    # The newest 4 of the workspace are 9, 8 (a channel the caller can't read), 7 and 6.
    assert sorted(search(index, "note", horizon=4)) == sorted([ids[9], ids[7], ids[6]])
    assert len(search(index, "note", horizon=None, limit=100)) == 9
    assert search(index, "note", horizon=0) == []
    index.delete_message(WS, ids[9])  # deleted messages leave the horizon: 5 enters
    assert sorted(search(index, "note", horizon=4)) == sorted([ids[7], ids[6], ids[5]])


def test_an_older_version_arriving_late_never_overwrites_a_newer_one(index):
    mid = add(index, "first draft", version=1)
    newer = MessageDoc(WS, mid, "C1", "U1", "final wording", T0, version=3)
    older = MessageDoc(WS, mid, "C1", "U1", "second draft", T0, version=2)
    assert index.upsert_message(newer)
    assert not index.upsert_message(older)
    assert not index.upsert_message(newer)  # redelivery is a no-op
    assert search(index, "final") == [mid]
    assert search(index, "draft") == []


def test_delete_is_immediate_and_a_late_create_does_not_resurrect(index):
    mid = add(index, "temporary message", version=2)
    index.delete_message(WS, mid, version=3)
    assert search(index, "temporary") == []
    assert not index.upsert_message(MessageDoc(WS, mid, "C1", "U1", "temporary message", T0, version=2))
    index.delete_message(WS, "M-never-seen")  # delete before its create arrived
    assert not index.upsert_message(MessageDoc(WS, "M-never-seen", "C1", "U1", "ghost", T0, version=1))
    assert search(index, "ghost") == []
    index.delete_message(WS, mid)  # idempotent
    assert search(index, "temporary") == []


def test_sort_relevance_versus_recent(index):
    strong = add(index, "outage outage outage in the database", created_at=T0)
    weak = add(index, "a long message that mentions an outage once among many other words here", created_at=T0 + DAY)
    newest = add(index, "outage resolved, all good after the long night of work", created_at=T0 + 2 * DAY)
    relevance = page(index, "outage")
    assert relevance.hits[0].doc_id == strong
    assert relevance.hits[0].score > relevance.hits[-1].score
    assert search(index, "outage", sort="recent") == [newest, weak, strong]


def test_cursor_paging_is_stable_under_inserts(index):
    for i in range(11):
        add(index, f"incident {i} " + "word " * i, created_at=T0 + i * 1000)
    for sort in ("recent", "relevance"):
        original = set(search(index, "incident", limit=100))  # what the first page's moment holds
        seen, cursor = [], None
        while True:
            result = page(index, "incident", limit=4, sort=sort, cursor=cursor)
            seen += [hit.doc_id for hit in result.hits]
            # New matches, newer and older than everything, arrive between pages.
            add(index, "incident new", created_at=T0 + 10**9)
            add(index, "incident backfilled", created_at=T0 - 10**9)
            cursor = result.next_cursor
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == len(original)
        assert set(seen) == original


def test_a_cursor_the_index_did_not_issue_is_a_validation_error(index):
    add(index, "hello")
    for bad in ("garbage", "eyJzIjoxfQ", "!!!"):
        with pytest.raises(ValidationError) as err:
            page(index, "hello", cursor=bad)
        assert err.value.field == "cursor"


def test_fts_syntax_in_user_text_is_just_text(index):
    mid = add(index, "use NEAR or AND in title: ^caret {braces} col:umn")
    for q in ("NEAR", "or AND", "title:", "^caret", "{braces}", "col:umn", "NOT", '"a" OR "b*"', "x*"):
        search(index, q)  # never an engine syntax error
    assert search(index, "NEAR AND") == [mid]
    assert search(index, "col:umn") == [mid]


def test_files_match_on_filename_and_text_within_readable_channels(index):
    index.upsert_file(FileDoc(WS, "F1", "C1", "U1", "Quarterly-Report.pdf", T0, 1))
    index.upsert_file(FileDoc(WS, "F2", "C9", "U1", "quarterly-secret.pdf", T0, 1))
    index.upsert_file(FileDoc(WS, "F3", "C2", "U2", "notes.txt", T0, 1, text="the quarterly numbers"))
    assert sorted(search(index, "quarter*", kind="files")) == ["F1", "F3"]
    index.delete_file(WS, "F1")
    assert search(index, "quarterly", kind="files") == ["F3"]
    assert search(index, "quarterly") == []  # files are not messages


def test_users_match_on_username_and_display_name_in_their_workspace(index):
    index.upsert_user(UserDoc(WS, "U1", "zoe", "Zoé Dupré", 1))
    index.upsert_user(UserDoc(WS, "U2", "bob", "Bob Martin", 1))
    index.upsert_user(UserDoc("W2", "U3", "zoe2", "Zoe Elsewhere", 1))
    assert search(index, "zoe", kind="users", readable=frozenset()) == ["U1"]
    assert search(index, "dupre", kind="users") == ["U1"]
    assert not index.upsert_user(UserDoc(WS, "U2", "bob", "Robert Old", 1))
    index.upsert_user(UserDoc(WS, "U2", "bob", "Robert Martin", 2))
    assert search(index, "robert", kind="users") == ["U2"]
    index.delete_user(WS, "U2")
    assert search(index, "martin", kind="users") == []


def test_concurrent_writes_and_reads(index):
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(20):
                add(index, f"parallel {worker} {i}", message_id=f"P{worker}-{i}")
                search(index, "parallel")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(search(index, "parallel", limit=100)) == 80


def test_missing_fts5_fails_at_start_saying_what_to_do():
    class NoFts5:
        def execute(self, sql: str):
            if "fts5" in sql:
                raise sqlite3.OperationalError("no such module: fts5")
            return [("ENABLE_FTS4",)]

    with pytest.raises(FTS5Unavailable, match=r"FTS5.*SEARCH_URL"):
        check_fts5(NoFts5())  # type: ignore[arg-type]
    check_fts5(sqlite3.connect(":memory:"))  # this Python has it


def test_public_readable_opens_public_docs_and_only_the_named_private_channels(index):
    public = add(index, "roadmap public", channel_id="P1")
    mine = add(index, "roadmap private mine", channel_id="S1", private=True)
    add(index, "roadmap private theirs", channel_id="S2", private=True)
    add(index, "roadmap elsewhere", channel_id="P9", workspace_id="W2")
    assert sorted(search(index, "roadmap", readable=frozenset({"S1"}), public_readable=True)) == sorted([public, mine])
    assert search(index, "roadmap", readable=frozenset(), public_readable=True) == [public]
    assert search(index, "roadmap", readable=frozenset({"S1"})) == [mine]  # without it, only the set named
    # Pages stay full: the filter is in the query.
    for _ in range(6):
        add(index, "roadmap private theirs", channel_id="S2", private=True)
    assert len(page(index, "roadmap", readable=frozenset({"S1"}), public_readable=True, limit=2).hits) == 2


def test_a_reply_hit_carries_its_thread_id(index):
    reply = add(index, "threaded answer", thread_id="M-PARENT")
    top = add(index, "threaded question")
    hits = {hit.doc_id: hit.thread_id for hit in page(index, "threaded").hits}
    assert hits == {reply: "M-PARENT", top: None}


def test_an_index_file_from_before_the_private_column_fails_closed(tmp_path):
    import sqlite3

    from chalicelib.search.sqlite_fts import SqliteSearchIndex

    path = str(tmp_path / "old.db")
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE docs (doc_rowid INTEGER PRIMARY KEY, kind TEXT NOT NULL, workspace_id TEXT NOT NULL,"
        " doc_id TEXT NOT NULL, channel_id TEXT, author_id TEXT, created_at INTEGER NOT NULL DEFAULT 0,"
        " version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, has_file INTEGER NOT NULL DEFAULT 0,"
        " has_link INTEGER NOT NULL DEFAULT 0, UNIQUE (kind, workspace_id, doc_id))"
    )
    old.execute("CREATE VIRTUAL TABLE fts_messages USING fts5(title, body)")
    old.execute(
        "INSERT INTO docs (doc_rowid, kind, workspace_id, doc_id, channel_id, version)"
        " VALUES (1, 'messages', ?, 'OLD', 'S1', 1)",
        (WS,),
    )
    old.execute("INSERT INTO fts_messages (rowid, title, body) VALUES (1, '', 'legacy secret')")
    old.commit()
    old.close()
    index = SqliteSearchIndex(path)
    assert search(index, "legacy", readable=frozenset(), public_readable=True) == []  # not opened as public
    assert search(index, "legacy", readable=frozenset({"S1"}), public_readable=True) == ["OLD"]
    fresh = add(index, "legacy public", channel_id="P1")
    assert search(index, "legacy", readable=frozenset(), public_readable=True) == [fresh]


def test_an_index_file_from_before_stemming_is_migrated_in_place(tmp_path):
    """Its unstemmed table becomes the exact twin and the stemmed one is filled from the stored
    text at open: plurals match at once, no reindex."""
    from chalicelib.search.sqlite_fts import SqliteSearchIndex

    path = str(tmp_path / "unstemmed.db")
    SqliteSearchIndex(path).close()
    raw = sqlite3.connect(path)
    for table in ("fts_messages", "fts_files", "fts_users"):  # the layout before stemming
        raw.execute(f"DROP TABLE {table}")
        raw.execute(f"DROP TABLE {table}_exact")
        raw.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5(title, body,"
            " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
        )
    raw.execute(
        "INSERT INTO docs (doc_rowid, kind, workspace_id, doc_id, channel_id, version)"
        " VALUES (1, 'messages', ?, 'OLD', 'C1', 1)",
        (WS,),
    )
    raw.execute(
        "INSERT INTO fts_messages (rowid, title, body) VALUES (1, '', 'Two invoices from the quarterly reports')"
    )
    raw.commit()
    raw.close()

    index = SqliteSearchIndex(path)
    assert search(index, "invoice") == ["OLD"]
    assert search(index, '"quarterly reports"') == ["OLD"]
    assert search(index, '"quarterly report"') == []
    assert search(index, "invo*") == ["OLD"]
    new = add(index, "one invoice")
    assert sorted(search(index, "invoices")) == sorted(["OLD", new])
    index.close()
    assert sorted(search(SqliteSearchIndex(path), "invoice")) == sorted(["OLD", new])  # opens again as is


def test_sqlite_batch_is_one_transaction_and_rolls_back_whole(tmp_path):
    """The embedded engine's bulk path (reindex, bench): not in the port, so SQLite only."""
    index = SqliteSearchIndex(str(tmp_path / "batch.db"))
    assert index._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with index.batch():
        first = add(index, "batched alpha")
        with index.batch():  # nested: the outer block commits
            second = add(index, "batched beta")
        assert index._conn.in_transaction
    assert not index._conn.in_transaction
    assert sorted(search(index, "batched")) == sorted([first, second])
    with pytest.raises(RuntimeError), index.batch():
        add(index, "batched gamma")
        raise RuntimeError("a page failed")
    assert sorted(search(index, "batched")) == sorted([first, second])  # gamma rolled back with its block
    assert search(index, "gamma") == []
