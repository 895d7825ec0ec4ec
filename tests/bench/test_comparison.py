"""Judging a request measured on a small and a large data set."""

from __future__ import annotations

from bench.capacity import Capacity
from bench.endpoints import Comparison, Measurement
from bench.recorder import ApiCall


def measured(reads: list[float], status: int = 200) -> Measurement:
    calls = [ApiCall("Query", "handler", Capacity(read=r), 0.0) for r in reads]
    return Measurement("GET /x", "case", status, 200, calls)


def test_flat_within_the_call_limit_passes():
    row = Comparison("page", measured([1, 0.5]), measured([1, 0.5]), max_calls=2)
    assert row.budget == "calls <= 2, same calls, RCU x<=1.1"
    assert row.result == "PASS"


def test_too_many_calls_fail_even_when_flat():
    row = Comparison("page", measured([1, 0.5, 1.5]), measured([1, 0.5, 1.5]), max_calls=2)
    assert (row.call_ratio, row.read_ratio) == (1, 1)
    assert row.result == "FAIL"


def test_growing_reads_fail_only_when_judged():
    small, large = measured([1, 0.5]), measured([1, 2.5])
    assert Comparison("page", small, large, max_calls=2).result == "FAIL"
    assert Comparison("page", small, large, judged=False, max_calls=2).result == "PASS"
    assert Comparison("page", small, large, judged=False).result == "-"
    assert Comparison("page", small, large, judged=False).budget == "-"


def test_without_a_call_limit_the_calls_must_match():
    assert Comparison("page", measured([1]), measured([1, 0.1])).result == "FAIL"
    assert Comparison("page", measured([1]), measured([1])).budget == "same calls, RCU x<=1.1"


def test_an_unexpected_status_fails():
    row = Comparison("page", measured([1], status=500), measured([1]), max_calls=2)
    assert row.result == "FAIL (HTTP 500)"


def test_a_send_budget_judges_calls_and_write_units():
    from bench.endpoints import PLAIN_1KB, calls_and_writes

    budget = calls_and_writes(3, 5)
    within = Measurement("POST /x", "case", 201, 201, [ApiCall("PutItem", "handler", Capacity(write=5), 0.0)], budget)
    over = Measurement("POST /x", "case", 201, 201, [ApiCall("PutItem", "handler", Capacity(write=6), 0.0)], budget)
    assert (budget.text, within.result, over.result) == ("calls <= 3, WCU <= 5", "PASS", "FAIL")
    assert len(PLAIN_1KB) == len(PLAIN_1KB.encode()) == 1024
    assert "@" not in PLAIN_1KB and "*" not in PLAIN_1KB  # no mentions, nothing to render
