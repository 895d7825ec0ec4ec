"""The OpenSearch adapter's bodies: what we send, checked against a client that records requests.

This tests the requests (query, mapping, write bodies and their parameters), not OpenSearch: the
contract suite (test_contract.py) runs against a real cluster when SEARCH_URL is set.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from opensearchpy.exceptions import ConflictError, RequestError

from chalicelib.errors import ValidationError
from chalicelib.search import opensearch
from chalicelib.search.opensearch import OpenSearchIndex, decode_cursor, encode_cursor, search_body
from chalicelib.search.port import MessageDoc, SearchQuery, Term, TextQuery, UserDoc
from chalicelib.search.query import parse_query

WS = "W1"


class _Indices:
    def __init__(self, recorder: FakeClient):
        self.recorder = recorder
        self.exists_answer = False

    def exists(self, *, index: str) -> bool:
        self.recorder.calls.append(("indices.exists", index, None, None))
        return self.exists_answer

    def create(self, *, index: str, body: dict) -> dict:
        self.recorder.calls.append(("indices.create", index, body, None))
        if self.recorder.create_error is not None:
            raise self.recorder.create_error
        return {"acknowledged": True}


class FakeClient:
    """Records every request; answers with what the test queued (or empty hits / success)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any, Any]] = []
        self.indices = _Indices(self)
        self.index_errors: list[Exception | None] = []
        self.search_answers: list[list[dict]] = []
        self.stored_version = 0
        self.create_error: Exception | None = None

    def index(self, *, index: str, id: str, body: dict, params: dict) -> dict:
        self.calls.append(("index", id, body, params))
        error = self.index_errors.pop(0) if self.index_errors else None
        if error is not None:
            raise error
        return {"result": "created"}

    def get(self, *, index: str, id: str) -> dict:
        self.calls.append(("get", id, None, None))
        return {"_id": id, "_version": self.stored_version}

    def search(self, *, index: str, body: dict) -> dict:
        self.calls.append(("search", index, body, None))
        return {"hits": {"hits": self.search_answers.pop(0) if self.search_answers else []}}

    def of(self, kind: str) -> list[tuple[str, Any, Any, Any]]:
        return [c for c in self.calls if c[0] == kind]


def conflict() -> ConflictError:
    return ConflictError(409, "version_conflict_engine_exception", {})


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def index(client: FakeClient) -> OpenSearchIndex:
    return OpenSearchIndex(client=client, index="disqua-test", refresh=True, snapshot_lag_ms=0)


def query(q: str | None = None, **kw) -> SearchQuery:
    parsed = parse_query(q) if q else None
    return SearchQuery(
        workspace_id=kw.pop("workspace_id", WS),
        readable_channel_ids=kw.pop("readable", frozenset({"C1"})),
        text=parsed.text if parsed else TextQuery(),
        **kw,
    )


def hit(doc_id: str, created_at: int = 1, score: float = 1.0, **source) -> dict:
    return {"_score": score, "_source": {"doc_id": doc_id, "created_at": created_at, "channel_id": "C1", **source}}


def walk(node: Any):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


# -- mapping and index creation ------------------------------------------------------------------


def test_the_index_folds_case_and_accents_and_indexes_prefixes():
    body = opensearch.index_body()
    analyzer = body["settings"]["analysis"]["analyzer"]["folded"]
    assert analyzer["filter"] == ["lowercase", "asciifolding"]
    properties = body["mappings"]["properties"]
    assert body["settings"]["analysis"]["analyzer"]["stemmed"]["filter"] == ["lowercase", "asciifolding", "porter_stem"]
    for field in ("title", "body"):
        assert properties[field]["analyzer"] == "stemmed"  # words: "invoice" finds "invoices"
        assert properties[field]["copy_to"] == f"{field}_exact"
        assert properties[f"{field}_exact"]["analyzer"] == "folded"  # phrases and prefixes: unstemmed
        assert properties[f"{field}_exact"]["index_prefixes"]["min_chars"] == 1
    # Everything filtered or sorted on is a keyword/long/boolean, private and thread_id included.
    assert {properties[f]["type"] for f in ("workspace_id", "channel_id", "doc_id", "thread_id")} == {"keyword"}
    assert properties["private"]["type"] == properties["deleted"]["type"] == "boolean"
    assert properties["created_at"]["type"] == properties["indexed_at"]["type"] == "long"
    assert body["mappings"]["dynamic"] == "strict"
    # The horizon request (from N-1) fits the result window for the default 10,000 and more.
    assert body["settings"]["index"]["max_result_window"] >= 100_001


def test_the_index_is_created_once_on_first_use_and_an_existing_one_is_kept(index, client):
    index.upsert_message(MessageDoc(WS, "M1", "C1", "U1", "hi", 1, 1))
    index.search(query("hi"))
    assert [c[0] for c in client.calls].count("indices.create") == 1
    assert client.of("indices.create")[0][2] == opensearch.index_body()

    other = FakeClient()
    other.indices.exists_answer = True
    OpenSearchIndex(client=other, index="x").search(query("hi"))
    assert other.of("indices.create") == []

    racing = FakeClient()  # another process created it between exists and create
    racing.create_error = RequestError(400, "resource_already_exists_exception", {})
    OpenSearchIndex(client=racing, index="x").search(query("hi"))
    assert len(racing.of("search")) == 1


# -- writes: versions and tombstones -------------------------------------------------------------


def test_an_upsert_is_an_externally_versioned_write_of_every_field(index, client):
    doc = MessageDoc(WS, "M1", "C9", "U1", "hello", 123, 7, has_file=True, private=True, thread_id="M0")
    assert index.upsert_message(doc)
    ((_, doc_id, body, params),) = client.of("index")
    assert doc_id == "messages:W1:M1"
    assert params == {"version": 7, "version_type": "external", "refresh": True}
    assert body["private"] is True and body["thread_id"] == "M0" and body["channel_id"] == "C9"
    assert body["deleted"] is False and body["body"] == "hello" and body["created_at"] == 123
    assert set(body) <= set(opensearch.index_body()["mappings"]["properties"])  # strict mapping accepts it


def test_an_older_or_same_version_is_a_conflict_read_as_not_applied(index, client):
    client.index_errors = [conflict()]
    assert index.upsert_user(UserDoc(WS, "U1", "zoe", "Zoé", 1)) is False


def test_upserts_do_not_wait_for_a_refresh_deletes_do():
    client = FakeClient()
    index = OpenSearchIndex(client=client, index="x")  # the defaults the app uses
    index.upsert_message(MessageDoc(WS, "M1", "C1", "U1", "hi", 1, 1))
    index.delete_message(WS, "M1", version=2)
    upsert, tombstone = client.of("index")
    assert upsert[3]["refresh"] is False  # searchable within the refresh interval; no write held
    assert tombstone[3]["refresh"] == "wait_for"  # gone from results when the event is acknowledged


def test_a_delete_writes_a_tombstone_not_a_delete(index, client):
    index.delete_message(WS, "M1", version=3)
    index.delete_message(WS, "M2")
    (first, second) = client.of("index")
    assert first[2]["deleted"] is True and "body" not in first[2]
    assert first[3]["version"] == 3 and first[3]["version_type"] == "external_gte"
    assert second[3]["version"] == opensearch.FINAL_VERSION  # final: no create may follow
    assert not any(c[0] == "delete" for c in client.calls)


def test_a_delete_older_than_the_stored_edit_still_wins_at_the_stored_version(index, client):
    client.index_errors = [conflict(), None]
    client.stored_version = 9
    index.delete_message(WS, "M1", version=4)
    versions = [c[3]["version"] for c in client.of("index")]
    assert versions == [4, 9]
    assert all(c[2]["deleted"] for c in client.of("index"))


# -- queries -------------------------------------------------------------------------------------


def test_user_text_is_only_a_query_value_never_query_syntax(index, client):
    nasty = 'title:x OR "a" AND b* NOT {c} ^2 \\ field:* _exists_:private'
    index.search(query(nasty))
    body = client.of("search")[0][2]
    kinds = {key for node in walk(body) if isinstance(node, dict) for key in node}
    assert not kinds & {"query_string", "simple_query_string", "script", "regexp", "wildcard"}
    values = [n["query"] for n in walk(body) if isinstance(n, dict) and isinstance(n.get("query"), str)]
    assert values and all(v in nasty for v in values)


def test_words_phrases_prefixes_and_exclusions_map_to_match_clauses():
    body = search_body(query('deploy "red car" depl* -party'), limit=20, snapshot=5)
    must, must_not = body["query"]["bool"]["must"], body["query"]["bool"]["must_not"]
    assert len(must) == 3 and len(must_not) == 1
    word, phrase, prefix = (clause["bool"]["should"] for clause in must)
    assert word[1] == {"match_phrase": {"body": {"query": "deploy", "boost": 1.0}}}
    assert word[0]["match_phrase"]["title"]["boost"] == opensearch.TITLE_BOOST
    assert phrase[1]["match_phrase"]["body_exact"]["query"] == "red car"
    assert prefix[1]["match_phrase_prefix"]["body_exact"]["query"] == "depl"
    assert prefix[0]["match_phrase_prefix"]["title_exact"]["max_expansions"] == opensearch.PREFIX_EXPANSIONS
    assert must_not[0]["bool"]["should"][1]["match_phrase"]["body"]["query"] == "party"


def test_the_permission_clause_is_always_there():
    for kw in ({}, {"public_readable": True}, {"channel_ids": frozenset({"C2"})}, {"kind": "files"}):
        filters = search_body(query("x", **kw), limit=5, snapshot=1)["query"]["bool"]["filter"]
        readable = {"terms": {"channel_id": ["C1"]}}
        if kw.get("public_readable"):
            assert {"bool": {"should": [{"term": {"private": False}}, readable], "minimum_should_match": 1}} in filters
        else:
            assert readable in filters
        assert {"term": {"workspace_id": WS}} in filters and {"term": {"deleted": False}} in filters
    users = search_body(query("x", kind="users"), limit=5, snapshot=1)["query"]["bool"]["filter"]
    assert not any("channel_id" in json.dumps(f) for f in users)  # people are per workspace only


def test_no_readable_channel_sends_nothing(index, client):
    assert index.search(query("x", readable=frozenset())).hits == []
    assert client.of("search") == []


def test_filters_channels_authors_dates_and_has():
    q = query("x", channel_ids=frozenset({"C2", "C1"}), author_ids=frozenset({"U2"}), has_file=True, has_link=True)
    q = SearchQuery(**{**q.__dict__, "created_before": 50, "created_since": 10})
    filters = search_body(q, limit=5, snapshot=1)["query"]["bool"]["filter"]
    assert {"terms": {"channel_id": ["C1", "C2"]}} in filters
    assert {"terms": {"author_id": ["U2"]}} in filters
    assert {"range": {"created_at": {"lt": 50, "gte": 10}}} in filters
    assert {"term": {"has_file": True}} in filters and {"term": {"has_link": True}} in filters


def test_relevance_ranks_by_score_then_newest_and_recent_is_newest_first():
    relevance = search_body(query("x"), limit=5, snapshot=1, offset=10)
    assert relevance["sort"][0] == {"_score": {"order": "desc"}} and relevance["from"] == 10
    recent = search_body(query("x", sort="recent"), limit=5, snapshot=1, after=(7, "M7"))
    assert recent["sort"] == [{"created_at": {"order": "desc"}}, {"doc_id": {"order": "desc"}}]
    assert recent["search_after"] == [7, "M7"] and "from" not in recent
    assert recent["size"] == 6  # one more than the page says whether there is a next one


# -- horizon -------------------------------------------------------------------------------------


def test_the_horizon_is_the_nth_newest_live_message_of_the_workspace_then_a_range(index, client):
    client.search_answers = [[hit("M40", created_at=400)], [hit("M50", created_at=500)]]
    index.search(query("x", horizon=4))
    (horizon_request, page_request) = client.of("search")
    body = horizon_request[2]
    assert body["from"] == 3 and body["size"] == 1
    assert body["sort"] == [{"created_at": {"order": "desc"}}, {"doc_id": {"order": "desc"}}]
    filters = body["query"]["bool"]["filter"]
    assert {"term": {"deleted": False}} in filters and {"term": {"workspace_id": WS}} in filters
    assert "channel_id" not in json.dumps(body)  # every channel counts, readable or not
    bound = page_request[2]["query"]["bool"]["filter"][-1]["bool"]["should"]
    assert bound[0] == {"range": {"created_at": {"gt": 400}}}
    assert {"range": {"doc_id": {"gte": "M40"}}} in bound[1]["bool"]["filter"]


def test_a_workspace_with_fewer_than_n_messages_has_no_bound_and_zero_sends_nothing(index, client):
    index.search(query("x", horizon=10))
    assert "gte" not in json.dumps(client.of("search")[1][2]["query"]["bool"]["filter"][-1])
    client.calls.clear()
    assert index.search(query("x", horizon=0)).hits == []
    assert client.of("search") == []


def test_later_pages_reuse_the_horizon_and_snapshot_of_the_first(index, client):
    client.search_answers = [[hit("M40", created_at=400)], [hit("M9", 900), hit("M8", 800)]]
    first = index.search(query("x", horizon=4, sort="recent", limit=1))
    assert [h.doc_id for h in first.hits] == ["M9"]
    snapshot = client.of("search")[1][2]["query"]["bool"]["filter"][3]
    client.calls.clear()
    index.search(query("x", horizon=4, sort="recent", limit=1, cursor=first.next_cursor))
    (only,) = client.of("search")  # no second horizon request
    assert only[2]["search_after"] == [900, "M9"]
    assert only[2]["query"]["bool"]["filter"][3] == snapshot


# -- cursors and hits ----------------------------------------------------------------------------


def test_cursors_carry_a_snapshot_bound(index, client):
    client.search_answers = [[hit("A", 3), hit("B", 2), hit("C", 1)]]
    page = index.search(query("x", limit=2))
    state = decode_cursor(page.next_cursor, query("x"))
    assert state["off"] == 2 and state["snap"] > 0
    assert {"range": {"indexed_at": {"lte": state["snap"]}}} in client.of("search")[0][2]["query"]["bool"]["filter"]


def test_a_cursor_it_did_not_issue_is_a_validation_error():
    relevance = encode_cursor({"e": "os", "s": "relevance", "snap": 1, "hz": None, "off": 2})
    sqlite_like = encode_cursor({"s": "relevance", "snap": 1, "off": 2})
    for bad in ("garbage", "!!!", sqlite_like, relevance):
        with pytest.raises(ValidationError) as err:
            decode_cursor(bad, query("x", sort="recent"))  # the relevance cursor is for the other sort
        assert err.value.field == "cursor"
    assert decode_cursor(relevance, query("x"))["off"] == 2


def test_hits_carry_thread_private_channel_and_score(index, client):
    client.search_answers = [[hit("R1", thread_id="M0", score=2.5), hit("T1", score=1.0)]]
    hits = index.search(query("x")).hits
    assert [(h.doc_id, h.thread_id, h.channel_id, h.score) for h in hits] == [
        ("R1", "M0", "C1", 2.5),
        ("T1", None, "C1", 1.0),
    ]
    assert hits[0].terms == (Term("x"),)


# -- the endpoint --------------------------------------------------------------------------------


def test_serverless_hosts_sign_as_aoss_domains_as_es():
    assert opensearch.signing_service("abc123.eu-west-1.aoss.amazonaws.com") == "aoss"
    assert opensearch.signing_service("search-disqua-x7.eu-west-1.es.amazonaws.com") == "es"
    assert opensearch.region_of("search-disqua-x7.eu-west-1.es.amazonaws.com", "us-east-1") == "eu-west-1"
    assert opensearch.region_of("localhost", "us-east-1") == "us-east-1"
    assert opensearch.endpoint("https://h.example:9200/idx", "d") == ("h.example", 9200, True, "idx")
    assert opensearch.endpoint("http://localhost", "disqua-dev") == ("localhost", 80, False, "disqua-dev")
    with pytest.raises(ValueError, match="SEARCH_URL"):
        opensearch.endpoint("ftp://x", "d")


def test_aws_hosts_get_sigv4_from_the_function_role(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    client = opensearch.make_client("https://abc.eu-west-1.aoss.amazonaws.com", "us-east-1")
    auth = client.transport.kwargs["http_auth"]
    assert type(auth).__name__ == "AWSV4SignerAuth"
    headers = auth.signer.sign("GET", "https://abc.eu-west-1.aoss.amazonaws.com/i/_search", None, {})
    assert "AKIDEXAMPLE/" in headers["Authorization"] and "/eu-west-1/aoss/aws4_request" in headers["Authorization"]
    local = opensearch.make_client("http://admin:pw@localhost:9200", "us-east-1")
    assert local.transport.kwargs["http_auth"] == ("admin", "pw")
