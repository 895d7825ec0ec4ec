"""keys.message_range: exact exclusive bounds over same-length sort keys."""

import random

from chalicelib import ids
from chalicelib.store import keys


def _within(sort_key: str, bounds: tuple[str, str]) -> bool:
    lower, upper = bounds
    return lower <= sort_key <= upper


def test_bounds_by_id_are_exclusive_and_exact():
    generated = sorted(ids.new_id() for _ in range(300))
    for _ in range(50):
        a, b = sorted(random.sample(range(len(generated)), 2))
        bounds = keys.message_range(after_id=generated[a], before_id=generated[b])
        inside = [g for g in generated if _within(keys.message(g), bounds)]
        assert inside == generated[a + 1 : b]


def test_bounds_by_time_select_whole_milliseconds():
    stamps = [1_700_000_000_000 + i for i in range(5)]
    made = {ms: [f"{keys.uuid7_prefix(ms)}-7{n:03x}-8000-000000000000" for n in range(3)] for ms in stamps}
    every = sorted(i for group in made.values() for i in group)
    after = keys.message_range(after_ms=stamps[1])
    before = keys.message_range(before_ms=stamps[3])
    assert [i for i in every if _within(keys.message(i), after)] == sorted(
        made[stamps[2]] + made[stamps[3]] + made[stamps[4]]
    )
    assert [i for i in every if _within(keys.message(i), before)] == sorted(
        made[stamps[0]] + made[stamps[1]] + made[stamps[2]]
    )


def test_default_range_holds_only_messages():
    lower, upper = keys.message_range()
    assert lower <= keys.message(ids.new_id()) <= upper
    for other in ("META", "MEMBER#x", "PIN#x", "RPL#x#y", "MSG"):
        assert not lower <= other <= upper
