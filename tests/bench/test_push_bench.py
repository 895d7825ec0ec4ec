"""The Web Push bench rows: a push costs the same three calls for 1 or 10
subscriptions, a finished event's redelivery two, subscribing within its budget."""

from __future__ import annotations

from bench import push


def test_push_rows_are_measured_within_their_budgets():
    measurements = push.run()
    by_case = {m.case: m for m in measurements}
    judged = [m for m in measurements if m.budget]
    assert [m.result for m in judged] == ["PASS"] * len(judged), [(m.case, m.operations) for m in judged]
    one, ten = by_case["1 subscription"], by_case["10 subscriptions"]
    assert one.operations == ten.operations == "Put, Query, Put"
    assert ten.capacity.write == one.capacity.write == push.PUSH_BUDGET_WCU
    assert "Update" in by_case["10, one answers 429"].operations  # who was reached, for the retry
    assert "Get" in by_case["its retry (9 skipped)"].operations
    assert "TransactWrite" in by_case["10, one answers 410"].operations  # the subscription deleted
