"""bench/moderation.py: a warm send through 1,000 rules makes the calls of one with none."""

from __future__ import annotations

from bench import moderation as bench


def test_a_send_through_a_thousand_rules_is_measured_within_budget():
    figures = bench.measure()
    rows = {row.case: row for row in figures.rows}
    plain, ruled = rows["send, no rules, warm"], rows["send, 1,000 rules, warm"]
    assert (plain.status, ruled.status) == (201, 201)
    assert [c.operation for c in ruled.calls] == [c.operation for c in plain.calls] == ["BatchGetItem", "PutItem"]
    cold = rows["send, 1,000 rules, cold cache"]
    assert [c.operation for c in cold.calls] == ["BatchGetItem", "Query", "PutItem"]
    assert cold.calls[1].computed.read < 128  # the 1,000 records: one Query page, under 1 MB
    refused = rows["send refused (a match), 1,000 rules, warm"]
    assert (refused.status, [c.operation for c in refused.calls]) == (400, ["BatchGetItem"])
    assert 0 < figures.short_ms <= bench.CHECK_BUDGET_MS
