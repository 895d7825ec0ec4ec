import uuid

from chalicelib import ids


def test_ids_are_uuid7_and_time_ordered():
    generated = [ids.new_id() for _ in range(2000)]
    assert all(ids.is_id(g) for g in generated)
    assert all(uuid.UUID(g).version == 7 for g in generated)
    assert generated == sorted(generated)
    assert len(set(generated)) == len(generated)


def test_iso_timestamps_have_milliseconds_and_z():
    stamp = ids.now_iso()
    assert len(stamp) == 24 and stamp.endswith("Z") and stamp[19] == "."


def test_is_id_rejects_other_shapes():
    assert not ids.is_id("01HQ7Z2B3X4C5D6E7F8G9H0J1K")
    assert not ids.is_id(None)
    assert not ids.is_id(str(uuid.uuid4()).upper())
