"""The webhooks bench: a delivery's DynamoDB calls are measured and within budget."""

from __future__ import annotations

from bench import webhooks


def test_a_delivery_is_measured_and_within_budget():
    rows = {row.case: row for row in webhooks.measure()}
    assert set(webhooks.BUDGETS) <= set(rows)
    assert all(rows[case].result == "PASS" for case in webhooks.BUDGETS), {c: r.result for c, r in rows.items()}
    attempt = rows["attempt, 2xx"]
    assert [c.operation for c in attempt.calls] == ["PutItem", "GetItem", "PutItem", "PutItem"]
    assert rows["fan-out of one event (1 subscribed webhook)"].sqs_sent == 1  # one task
    assert rows["attempt, 500 (next attempt scheduled)"].sqs_sent == 1  # the next attempt
    assert rows["attempt, 2xx"].sqs_sent == 0
