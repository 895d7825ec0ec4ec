"""The OpenSearch ``SearchIndex`` (opensearch-py, SigV4 on AWS): the engine for a Lambda fleet.

One index per deployment holds the three kinds (``kind`` field); every document carries what the
engine filters and sorts on (workspace, channel, author, creation, ``private``, ``thread_id``) and
its text in ``title``/``body``, analyzed with lowercase + asciifolding (case and accent folding) and
Porter stems for words, copied to ``title_exact``/``body_exact`` (folded, unstemmed, with
``index_prefixes`` for cheap ``prefix*``) for phrases and prefixes. The bodies sent are built by
the pure functions below (unit-tested in tests/unit/search/test_opensearch_bodies.py);
``OpenSearchIndex`` only sends them.

- User text is only ever a query *value* (``match_phrase``/``match_phrase_prefix``), never
  ``query_string`` syntax: nothing a user types is an OpenSearch operator.
- Versions are OpenSearch's external versions: a write applies only when its version is higher
  than the stored one (409 otherwise, read as "not applied"). A delete writes a tombstone document
  (``deleted: true``) at its version with ``external_gte``; OpenSearch forgets real deletes after
  ``index.gc_deletes`` (60 s), so a late create could resurrect a DELETEd document, never a
  tombstone.
- Permissions, the Free-plan horizon and the cursor's snapshot are filters of the same query:
  pages are never filtered afterwards. The horizon costs one extra request (size 1, from N-1,
  sorted by creation) on a first page; later pages carry its bound in the cursor.
- Cursors: ``sort=recent`` is ``search_after`` on (created_at, doc_id); relevance is an offset.
  Both carry a snapshot (``indexed_at <= snap``) so documents written while paging stay out.
  Relevance does not use ``search_after`` on ``_score``: BM25 scores move when documents are added
  (document counts, average length), so a stored score would skip or repeat hits; a point-in-time
  would freeze them but expires (a cursor kept by a client would die) and OpenSearch Serverless
  has none. Known limit: an edit while paging moves the edited document out of the snapshot.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from chalicelib.errors import ValidationError
from chalicelib.search.port import (
    DocKind,
    FileDoc,
    MessageDoc,
    SearchHit,
    SearchPage,
    SearchQuery,
    Term,
    UserDoc,
)

MAX_LIMIT = 100
MAX_OFFSET = 100_000  # relevance pages (the same bound as the embedded engine)
FINAL_VERSION = 2**62  # a deletion without a version: no later write may bring the document back
# from + size of any request we send stays below this: the horizon (from N-1) and relevance offsets.
MAX_RESULT_WINDOW = 200_000
PREFIX_EXPANSIONS = 1_000  # prefixes longer than index_prefixes' max_chars expand to this many terms
TITLE_BOOST = 2.0  # filenames and usernames weigh double, as in the embedded engine
_SOURCE_FIELDS = ["doc_id", "channel_id", "created_at", "thread_id"]


# -- the pure part: bodies ---------------------------------------------------------------------


def index_body() -> dict[str, Any]:
    """Settings and mappings of the index, sent once when it does not exist yet."""
    # Words match on Porter stems ("invoice" finds "invoices"), as in the embedded engine; phrases and
    # prefixes on the unstemmed twin (copy_to), which stemming would distort ("meetin*" vs "meet").
    exact = {"type": "text", "analyzer": "folded", "index_prefixes": {"min_chars": 1, "max_chars": 10}}
    return {
        "settings": {
            "index": {
                "number_of_shards": 1,
                # A one-node domain cannot place a replica; a bigger one gets one.
                "auto_expand_replicas": "0-1",
                "max_result_window": MAX_RESULT_WINDOW,
            },
            "analysis": {
                "analyzer": {
                    "folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
                    "stemmed": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "filter": ["lowercase", "asciifolding", "porter_stem"],
                    },
                }
            },
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "kind": {"type": "keyword"},
                "workspace_id": {"type": "keyword"},
                "doc_id": {"type": "keyword"},
                "channel_id": {"type": "keyword"},
                "author_id": {"type": "keyword"},
                "thread_id": {"type": "keyword", "index": False},
                "created_at": {"type": "long"},
                "indexed_at": {"type": "long"},
                "deleted": {"type": "boolean"},
                "has_file": {"type": "boolean"},
                "has_link": {"type": "boolean"},
                "private": {"type": "boolean"},
                "title": {"type": "text", "analyzer": "stemmed", "copy_to": "title_exact"},
                "body": {"type": "text", "analyzer": "stemmed", "copy_to": "body_exact"},
                "title_exact": exact,
                "body_exact": exact,
            },
        },
    }


def document_id(kind: DocKind, workspace_id: str, doc_id: str) -> str:
    return f"{kind}:{workspace_id}:{doc_id}"


def message_fields(doc: MessageDoc) -> dict[str, Any]:
    return {
        "channel_id": doc.channel_id,
        "author_id": doc.author_id,
        "created_at": doc.created_at,
        "has_file": doc.has_file,
        "has_link": doc.has_link,
        "private": doc.private,
        "thread_id": doc.thread_id,
        "title": "",
        "body": doc.text,
    }


def file_fields(doc: FileDoc) -> dict[str, Any]:
    return {
        "channel_id": doc.channel_id,
        "author_id": doc.uploader_id,
        "created_at": doc.created_at,
        "private": doc.private,
        "title": doc.filename,
        "body": doc.text,
    }


def user_fields(doc: UserDoc) -> dict[str, Any]:
    return {"created_at": 0, "title": doc.username, "body": doc.display_name}  # 0: people sort by id only


def write_request(
    kind: DocKind, workspace_id: str, doc_id: str, version: int, fields: dict[str, Any] | None, indexed_at: int
) -> dict[str, Any]:
    """The index call for an upsert (``fields``) or a tombstone (``fields=None``).

    An upsert applies only when ``version`` is higher than the stored one (``external``); a tombstone
    also when equal (``external_gte``: a delete carrying the version it deletes). A delete without
    a version is ``FINAL_VERSION``, above any real one."""
    body: dict[str, Any] = {
        "kind": kind,
        "workspace_id": workspace_id,
        "doc_id": doc_id,
        "indexed_at": indexed_at,
        "deleted": fields is None,
    }
    if fields is not None:
        body.update(fields)
    return {
        "id": document_id(kind, workspace_id, doc_id),
        "body": body,
        "params": {"version": version, "version_type": "external" if fields is not None else "external_gte"},
    }


def _term_clause(term: Term) -> dict[str, Any]:
    """One term in the title or the body (words stemmed, phrases and prefixes exact). The text is a
    query value, analyzed like the documents."""

    def on(field: str, boost: float) -> dict[str, Any]:
        if term.kind != "word":
            field += "_exact"
        if term.kind == "prefix":
            value = {"query": term.text, "max_expansions": PREFIX_EXPANSIONS, "boost": boost}
            return {"match_phrase_prefix": {field: value}}
        # A word is matched as a phrase too: "foo-bar" is two tokens in sequence, as in the embedded engine.
        return {"match_phrase": {field: {"query": term.text, "boost": boost}}}

    return {"bool": {"should": [on("title", TITLE_BOOST), on("body", 1.0)], "minimum_should_match": 1}}


def _keyset(query: SearchQuery) -> bool:
    """Newest first (search_after) for sort=recent, and for filters alone (no score to rank by)."""
    return query.sort == "recent" or not query.text.included


def filter_clauses(query: SearchQuery, snapshot: int, horizon_bound: tuple[int, str] | None) -> list[dict[str, Any]]:
    """Everything a hit must satisfy besides its text: permissions first, always present."""
    clauses: list[dict[str, Any]] = [
        {"term": {"kind": query.kind}},
        {"term": {"workspace_id": query.workspace_id}},
        {"term": {"deleted": False}},
        {"range": {"indexed_at": {"lte": snapshot}}},
    ]
    if query.kind in ("messages", "files"):
        readable = {"terms": {"channel_id": sorted(query.readable_channel_ids)}}
        if query.public_readable:
            # private:false OR channel_id in readable (the caller's private channels)
            readable = {"bool": {"should": [{"term": {"private": False}}, readable], "minimum_should_match": 1}}
        clauses.append(readable)
        if query.channel_ids is not None:
            clauses.append({"terms": {"channel_id": sorted(query.channel_ids)}})
        if query.author_ids is not None:
            clauses.append({"terms": {"author_id": sorted(query.author_ids)}})
        created: dict[str, int] = {}
        if query.created_before is not None:
            created["lt"] = query.created_before
        if query.created_since is not None:
            created["gte"] = query.created_since
        if created:
            clauses.append({"range": {"created_at": created}})
    if query.kind == "messages":
        if query.has_file:
            clauses.append({"term": {"has_file": True}})
        if query.has_link:
            clauses.append({"term": {"has_link": True}})
        if horizon_bound is not None:
            at, doc_id = horizon_bound  # the N-th newest: it and everything newer
            clauses.append(
                {
                    "bool": {
                        "should": [
                            {"range": {"created_at": {"gt": at}}},
                            {
                                "bool": {
                                    "filter": [{"term": {"created_at": at}}, {"range": {"doc_id": {"gte": doc_id}}}]
                                }
                            },
                        ],
                        "minimum_should_match": 1,
                    }
                }
            )
    return clauses


def search_body(
    query: SearchQuery,
    *,
    limit: int,
    snapshot: int,
    horizon_bound: tuple[int, str] | None = None,
    after: tuple[int, str] | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """One page: ``limit + 1`` hits (the extra one says whether there is a next page)."""
    boolean: dict[str, Any] = {"filter": filter_clauses(query, snapshot, horizon_bound)}
    if query.text.included:
        boolean["must"] = [_term_clause(t) for t in query.text.included]
    if query.text.excluded:
        boolean["must_not"] = [_term_clause(t) for t in query.text.excluded]
    newest_first = [{"created_at": {"order": "desc"}}, {"doc_id": {"order": "desc"}}]
    body: dict[str, Any] = {
        "query": {"bool": boolean},
        "size": limit + 1,
        "_source": _SOURCE_FIELDS,
        "track_total_hits": False,
    }
    if _keyset(query):
        body["sort"] = newest_first
        body["track_scores"] = bool(query.text.included)
        if after is not None:
            body["search_after"] = list(after)
    else:
        body["sort"] = [{"_score": {"order": "desc"}}, *newest_first]
        body["from"] = offset
    return body


def horizon_body(workspace_id: str, horizon: int) -> dict[str, Any]:
    """The N-th newest live message of the workspace, in every channel (readable or not).

    Cost: one request sorted by creation over the workspace's messages, collecting the top N sort
    values (a priority queue of N longs + ids on the one shard): O(messages of the workspace),
    about the cost of a filtered count, paid once per search (later pages carry the bound)."""
    return {
        "query": {
            "bool": {
                "filter": [
                    {"term": {"kind": "messages"}},
                    {"term": {"workspace_id": workspace_id}},
                    {"term": {"deleted": False}},
                ]
            }
        },
        "sort": [{"created_at": {"order": "desc"}}, {"doc_id": {"order": "desc"}}],
        "from": horizon - 1,
        "size": 1,
        "_source": ["created_at", "doc_id"],
        "track_total_hits": False,
    }


def encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, query: SearchQuery) -> dict[str, Any]:
    """The cursor's state, or ``ValidationError(field="cursor")`` for one this index did not issue."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = (
            isinstance(data, dict)
            and data.get("e") == "os"
            and data.get("s") == query.sort
            and isinstance(data.get("snap"), int)
        )
        horizon = data.get("hz") if valid else None
        valid = valid and (
            horizon is None
            or (
                isinstance(horizon, list)
                and len(horizon) == 2
                and isinstance(horizon[0], int)
                and isinstance(horizon[1], str)
            )
        )
        if valid and _keyset(query):
            valid = isinstance(data.get("at"), int) and isinstance(data.get("id"), str)
        elif valid:
            valid = isinstance(data.get("off"), int) and 0 <= data["off"] <= MAX_OFFSET
    except (ValueError, binascii.Error, UnicodeDecodeError):
        valid = False
    if not valid:
        raise ValidationError("The cursor is not valid for this search.", field="cursor")
    return data


# -- the endpoint --------------------------------------------------------------------------------


def signing_service(host: str) -> str:
    """SigV4 service name: ``aoss`` for an OpenSearch Serverless collection, ``es`` for a domain."""
    return "aoss" if host.endswith(".aoss.amazonaws.com") else "es"


def region_of(host: str, default: str) -> str:
    """``search-x-abc.eu-west-1.es.amazonaws.com`` / ``abc.eu-west-1.aoss.amazonaws.com`` -> eu-west-1."""
    labels = host.split(".")
    return labels[-4] if host.endswith(".amazonaws.com") and len(labels) >= 4 else default


def endpoint(url: str, default_index: str) -> tuple[str, int, bool, str]:
    """(host, port, https, index name) from SEARCH_URL; a path names the index (``https://host/idx``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"SEARCH_URL must be http(s)://host[:port][/index], not {url!r}")
    https = parts.scheme == "https"
    index = parts.path.strip("/") or default_index
    return parts.hostname, parts.port or (443 if https else 80), https, index


def make_client(url: str, region: str) -> Any:
    """An opensearch-py client for SEARCH_URL: SigV4-signed for an AWS host (the function's role,
    through botocore's credential chain), basic auth when the URL carries user:password (a local
    cluster), nothing otherwise."""
    from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection

    parts = urlsplit(url)
    host, port, https, _ = endpoint(url, "-")
    auth: Any = None
    if host.endswith(".amazonaws.com"):
        import botocore.session

        credentials = botocore.session.get_session().get_credentials()
        auth = AWSV4SignerAuth(credentials, region_of(host, region), signing_service(host))
    elif parts.username:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    return OpenSearch(
        hosts=[{"host": host, "port": port}],
        http_auth=auth,
        use_ssl=https,
        verify_certs=https,
        connection_class=RequestsHttpConnection,
        timeout=10,
        pool_maxsize=8,
    )


class OpenSearchIndex:
    """``SearchIndex`` on OpenSearch. ``client`` is any object with opensearch-py's ``index``,
    ``get``, ``search`` and ``indices.exists/create`` (tests pass a recorder).

    ``refresh``: what upserts wait for. ``False`` (default): nothing, they are searchable within the
    index's refresh interval (1 s); waiting (``"wait_for"``) would hold every write up to a second,
    the indexer's batches and the reindex with it. Deletes always wait (``"wait_for"``): a deleted
    message is gone from results when the worker acknowledges its event. ``True`` forces a refresh
    on every write (the contract tests). ``snapshot_lag_ms``: a first page's snapshot is taken this
    far in the past (the refresh interval) so a write not yet visible cannot appear on a later page.
    """

    def __init__(
        self,
        url: str = "",
        *,
        index: str = "disqua",
        region: str = "us-east-1",
        client: Any = None,
        refresh: bool | str = False,
        snapshot_lag_ms: int = 1_000,
    ):
        if client is None:
            client = make_client(url, region)
            index = endpoint(url, index)[3]
        self._client = client
        self.index_name = index
        self._refresh = refresh
        self._lag_us = snapshot_lag_ms * 1000
        self._ready = False
        self._ready_lock = threading.Lock()

    # -- index creation ---------------------------------------------------------------------------

    def ensure_index(self) -> None:
        """Create the index with its mappings on first use; harmless when it exists or another
        process creates it at the same moment."""
        if self._ready:
            return
        from opensearchpy.exceptions import RequestError

        with self._ready_lock:
            if self._ready:
                return
            if not self._client.indices.exists(index=self.index_name):
                try:
                    self._client.indices.create(index=self.index_name, body=index_body())
                except RequestError as exc:
                    if "resource_already_exists_exception" not in str(exc.error):
                        raise
            self._ready = True

    def drop_index(self) -> None:
        """Delete the whole index (the contract tests' clean-up); a missing one is fine."""
        from opensearchpy.exceptions import NotFoundError

        with contextlib.suppress(NotFoundError):
            self._client.indices.delete(index=self.index_name)
        self._ready = False

    # -- writes -----------------------------------------------------------------------------------

    def upsert_message(self, doc: MessageDoc) -> bool:
        return self._upsert("messages", doc.workspace_id, doc.message_id, doc.version, message_fields(doc))

    def delete_message(self, workspace_id: str, message_id: str, version: int | None = None) -> None:
        self._tombstone("messages", workspace_id, message_id, version)

    def upsert_file(self, doc: FileDoc) -> bool:
        return self._upsert("files", doc.workspace_id, doc.file_id, doc.version, file_fields(doc))

    def delete_file(self, workspace_id: str, file_id: str, version: int | None = None) -> None:
        self._tombstone("files", workspace_id, file_id, version)

    def upsert_user(self, doc: UserDoc) -> bool:
        return self._upsert("users", doc.workspace_id, doc.user_id, doc.version, user_fields(doc))

    def delete_user(self, workspace_id: str, user_id: str, version: int | None = None) -> None:
        self._tombstone("users", workspace_id, user_id, version)

    def _write(self, request: dict[str, Any], refresh: bool | str) -> None:
        self._client.index(
            index=self.index_name,
            id=request["id"],
            body=request["body"],
            params={**request["params"], "refresh": refresh},
        )

    def _upsert(self, kind: DocKind, workspace_id: str, doc_id: str, version: int, fields: dict[str, Any]) -> bool:
        from opensearchpy.exceptions import ConflictError

        self.ensure_index()
        try:
            self._write(write_request(kind, workspace_id, doc_id, version, fields, _now_us()), self._refresh)
        except ConflictError:
            return False  # same version redelivered, older than what is stored, or deleted
        return True

    def _tombstone(self, kind: DocKind, workspace_id: str, doc_id: str, version: int | None) -> None:
        from opensearchpy.exceptions import ConflictError

        self.ensure_index()
        version = FINAL_VERSION if version is None else version
        for _ in range(5):
            try:
                tombstone = write_request(kind, workspace_id, doc_id, version, None, _now_us())
                self._write(tombstone, True if self._refresh is True else "wait_for")
                return
            except ConflictError:
                # A newer edit is stored: the delete still wins, at that version (the embedded
                # engine's max(stored, given)). Read it and try again; a race repeats the loop.
                stored = self._client.get(index=self.index_name, id=document_id(kind, workspace_id, doc_id))
                version = max(version, int(stored["_version"]))
        raise RuntimeError(f"could not delete {kind} {doc_id}: its version kept changing")

    # -- reads ------------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchPage:
        limit = max(1, min(query.limit, MAX_LIMIT))
        cursor = decode_cursor(query.cursor, query) if query.cursor else None
        channel_scoped = query.kind in ("messages", "files")
        if channel_scoped and not query.readable_channel_ids and not query.public_readable:
            return SearchPage([], None)
        if query.kind == "messages" and query.horizon is not None and query.horizon <= 0:
            return SearchPage([], None)
        self.ensure_index()

        if cursor is not None:
            snapshot = cursor["snap"]
            bound = tuple(cursor["hz"]) if cursor.get("hz") else None
        else:
            snapshot = _now_us() - self._lag_us
            bound = self._horizon_bound(query) if query.kind == "messages" and query.horizon is not None else None
        keyset = _keyset(query)
        after = (cursor["at"], cursor["id"]) if cursor and keyset else None
        offset = cursor["off"] if cursor and not keyset else 0
        body = search_body(query, limit=limit, snapshot=snapshot, horizon_bound=bound, after=after, offset=offset)  # type: ignore[arg-type]
        rows = self._client.search(index=self.index_name, body=body)["hits"]["hits"]

        more = len(rows) > limit
        rows = rows[:limit]
        hits = []
        for row in rows:
            source = row["_source"]
            hits.append(
                SearchHit(
                    doc_id=source["doc_id"],
                    channel_id=source.get("channel_id") if channel_scoped else None,
                    created_at=source.get("created_at") if channel_scoped else None,
                    score=float(row.get("_score") or 0.0) if query.text.included else 0.0,
                    terms=query.text.included,
                    thread_id=source.get("thread_id") if channel_scoped else None,
                )
            )
        next_cursor = None
        if more:
            state: dict[str, Any] = {"e": "os", "s": query.sort, "snap": snapshot, "hz": list(bound) if bound else None}
            if keyset:
                last = rows[-1]["_source"]
                state.update(at=last["created_at"], id=last["doc_id"])
            else:
                state["off"] = offset + limit
            next_cursor = encode_cursor(state)
        return SearchPage(hits, next_cursor)

    def _horizon_bound(self, query: SearchQuery) -> tuple[int, str] | None:
        """(created_at, doc_id) of the workspace's N-th newest live message; None when it has fewer."""
        rows = self._client.search(index=self.index_name, body=horizon_body(query.workspace_id, query.horizon or 0))
        rows = rows["hits"]["hits"]
        if not rows:
            return None
        return int(rows[0]["_source"]["created_at"]), str(rows[0]["_source"]["doc_id"])


def _now_us() -> int:
    return time.time_ns() // 1000
