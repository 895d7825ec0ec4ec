"""Notification ids: UUIDv7-shaped, deterministic per (event, recipient), time-ordered."""

import uuid

from chalicelib.ids import is_id
from chalicelib.store import keys
from chalicelib.store.notifications import derived_id, watermark_at

MS = 1_764_000_000_000


def test_the_same_source_and_recipient_give_the_same_id():
    assert derived_id(MS, "message:m1", "u1") == derived_id(MS, "message:m1", "u1")
    assert derived_id(MS, "message:m1", "u1") != derived_id(MS, "message:m1", "u2")
    assert derived_id(MS, "message:m1", "u1") != derived_id(MS, "message:m2", "u1")


def test_ids_are_uuid7_and_sort_by_time():
    found = derived_id(MS, "message:m1", "u1")
    assert is_id(found)
    parsed = uuid.UUID(found)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert int(found.replace("-", "")[:12], 16) == MS
    assert derived_id(MS, "z", "z") < derived_id(MS + 1, "a", "a")


def test_the_watermark_covers_its_millisecond_and_nothing_later():
    mark = watermark_at(MS)
    assert all(derived_id(MS, f"s{i}", "u") <= mark for i in range(200))
    assert derived_id(MS + 1, "s", "u") > mark
    assert derived_id(MS - 1, "s", "u") < mark


def test_the_unread_range_starts_strictly_after_the_watermark():
    mark = watermark_at(MS)
    lower, upper = keys.notification_range(mark)
    later = keys.notification(derived_id(MS + 1, "s", "u"))
    assert lower < later <= upper
    assert not lower <= keys.notification(derived_id(MS, "s", "u")) <= upper
    assert not lower <= keys.NOTIFICATION_STATE <= upper
