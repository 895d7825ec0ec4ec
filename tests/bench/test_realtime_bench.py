"""bench/realtime.py on a small channel: the worker's calls do not grow with the connections
(one Query per scope), every live connection gets one post, a redelivery posts nothing, dead
connections are answered 410 and deleted."""

from __future__ import annotations

from bench import realtime


def test_fan_out_rows_on_40_connections():
    public, again, private, dead = realtime.run(connections=40)
    assert (public.calls, public.operations) == (5, "Put, Get, Query x2, Put")
    assert (public.posts, public.posted, public.gone) == (40, 40, 0)
    assert (again.calls, again.posts) == (2, 0)
    assert (private.calls, private.operations) == (6, "Put, Get, Query x3, Put")
    assert (private.posts, private.posted) == (40, 40)
    assert (dead.posts, dead.posted, dead.gone) == (40, 36, 4)
    assert public.result == private.result == "PASS"
