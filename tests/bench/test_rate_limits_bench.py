"""The rate-limits bench: a send pays one UpdateItem for its counter, a read nothing."""

from __future__ import annotations

from bench import rate_limits


def test_the_limiter_adds_one_write_to_a_send_and_none_to_a_read():
    rows = rate_limits.measure()
    by = {(r.request, r.limiter): r for r in rows}
    send_off, send_on = by[(rate_limits.SEND, "off")], by[(rate_limits.SEND, "on")]
    assert send_off.status == send_on.status == 201
    added = [c.operation for c in send_on.calls]
    for call in send_off.calls:
        added.remove(call.operation)
    assert added == ["UpdateItem"]
    assert send_on.capacity.write - send_off.capacity.write == 1
    read_off, read_on = by[(rate_limits.READ, "off")], by[(rate_limits.READ, "on")]
    assert [c.operation for c in read_on.calls] == [c.operation for c in read_off.calls]
    refused = by[(rate_limits.REFUSED, "on")]
    assert refused.status == 429 and [c.operation for c in refused.calls] == ["UpdateItem"]
    assert all(result == "PASS" for _, result in rate_limits.checks(rows))
