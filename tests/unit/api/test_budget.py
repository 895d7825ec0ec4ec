"""The page budget of message lists (chalicelib/api/v1/budget.py): sizes counted as
Lambda returns them, the first item always kept, rendered views reused."""

from __future__ import annotations

import json

from chalicelib.api.v1.budget import PAGE_BYTES, Budget, wire_bytes


def _lambda_payload(items):
    """What the Python 3.11 runtime returns for a route answering ``items``."""
    body = json.dumps({"ok": True, "data": items}, separators=(",", ":"), ensure_ascii=False)
    return json.dumps({"statusCode": 200, "headers": {}, "body": body})


def test_wire_bytes_add_up_to_the_lambda_payload():
    items = [{"content": "😀" * 100, "html": '<a href="x">"</a>\\'}, {"content": "plain"}, {"content": "é\n"}]
    envelope = len(_lambda_payload([]))
    assert envelope + sum(wire_bytes(i) for i in items) - 1 == len(_lambda_payload(items))
    assert wire_bytes("😀") == len('"\\ud83d\\ude00"') + 2 + 1  # 12 bytes for one emoji, quoted twice


def test_the_budget_keeps_items_while_they_fit_and_always_the_first():
    rendered = []

    def render(n):
        rendered.append(n)
        return "x" * n

    budget = Budget(render, limit=100)
    assert budget.admit(500)  # the first, however large
    assert not budget.admit(1)
    budget = Budget(render, limit=100)
    assert [budget.admit(n) for n in (40, 40, 40)] == [True, True, False]
    assert budget.shown([40, 40]) == ["x" * 40, "x" * 40]
    assert PAGE_BYTES == 5_000_000


def test_a_reserved_parent_counts():
    budget = Budget(lambda n: "x" * n, limit=100)
    budget.reserve("x" * 90)
    assert budget.admit(20)  # the first item is kept anyway
    assert not budget.admit(1)
