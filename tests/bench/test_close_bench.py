"""bench/channel_close.py on a small channel: the job drains it, counts each message once, and the
figures add up (one invocation per 100 items, then the one that marks the record done)."""

from __future__ import annotations

from bench import channel_close


def test_the_close_bench_drains_and_counts():
    figures = channel_close.measure(150)  # + 2 members: 152 items, 2 batches
    assert (figures.left, figures.counted, figures.invocations) == (0, 150, 3)
    assert figures.queries >= 150 and figures.wcu >= 152 and figures.calls > figures.queries
