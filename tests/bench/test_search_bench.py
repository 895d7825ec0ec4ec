"""The search bench (bench/search.py) at small sizes: every measurement runs and means what it says."""

from __future__ import annotations

from bench import search


def test_latency_at_two_sizes_same_queries_and_write_cost():
    measured = search.latency(sizes=(100, 1_000), runs=3)
    assert set(measured.timings) == {label for label, *_ in search.QUERIES}
    assert all(len(t) == 2 for t in measured.timings.values())
    needle = measured.timings["word in 10 messages at any size"]
    assert [t.hits for t in needle] == [search.NEEDLES, search.NEEDLES]  # the same matches at both sizes
    small, large = measured.timings["word (stemmed)"]
    assert 0 < small.hits <= 20 and large.hits == 20 and small.median_ms <= small.p95_ms
    assert measured.result("word (stemmed)") in ("PASS", "FAIL") and measured.ratio("word (stemmed)") > 0
    assert len(measured.writes) == 2 and all(w.upsert_us > 0 and w.batched_us > 0 for w in measured.writes)


def test_generated_messages_are_deterministic_and_private_ones_stay_private():
    assert list(search.messages(50)) == list(search.messages(50))
    engine = search.seed_engine(":memory:", 300)
    from dataclasses import replace

    query = search._query("zanzibar", "relevance", False)
    everyone = {h.channel_id for h in engine.search(replace(query, readable_channel_ids=frozenset())).hits}
    assert not everyone & set(search.PRIVATE)
    mine = {h.channel_id for h in engine.search(query).hits}  # the caller is in PRIVATE[0]
    assert search.PRIVATE[0] in mine and search.PRIVATE[1] not in mine


def test_dynamodb_calls_of_a_search_and_of_the_indexer(capsys):
    calls = search.dynamodb_calls(channels=3, per_channel=2)
    assert calls.hits == 6  # public, private, and replies, all readable by their author
    assert [c.operation for c in calls.search] == ["BatchGetItem", "BatchGetItem"]
    assert calls.search_result == "PASS"
    assert [c.operation for c in calls.indexer] == ["PutItem", "GetItem", "GetItem", "PutItem"]
    search._calls_report(calls)
    assert "2 (BatchGetItem, BatchGetItem)   budget <= 2   PASS" in capsys.readouterr().out


def test_reindex_throughput_counts_every_seeded_message():
    measured = search.reindex_throughput(count=40, channels=2)
    assert measured.messages == 40
    assert measured.reads >= 3  # the workspace, the channel listings, a page per channel
    assert measured.per_second > 0 and 0 < measured.read_seconds < measured.seconds
