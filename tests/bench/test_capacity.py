"""The capacity calculator against DynamoDB's published sizing examples."""

from __future__ import annotations

import pytest

from bench.capacity import (
    Capacity,
    Index,
    TableSchema,
    WriteImage,
    estimate,
    item_size,
    read_units,
    value_size,
    write_targets,
    write_units,
)

KB = 1024


def item_of(size: int, pk: str = "a") -> dict:
    """An item of exactly ``size`` bytes: attribute names count, so 'PK' takes 2."""
    return {"PK": {"S": pk}, "d": {"S": "x" * (size - 2 - len(pk) - 1)}}


def test_item_of_builds_the_requested_size():
    assert item_size(item_of(KB)) == KB


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é€"}, 5),  # UTF-8 bytes, not characters
        ({"N": "123"}, 3),  # two significant digits per byte, plus one
        ({"N": "100"}, 2),  # trailing zeros trimmed
        ({"N": "-0.00120"}, 2),  # leading zeros too
        ({"B": b"\x00\x01\x02"}, 3),
        ({"B": "AAEC"}, 3),  # base64 text counts its raw bytes
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"SS": ["ab", "c"]}, 3),
        ({"L": []}, 3),
        ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (1 + 2) + (1 + 2)),
        ({"M": {"ab": {"S": "c"}}}, 3 + 1 + 2 + 1),
    ],
)
def test_value_sizes(value, size):
    assert value_size(value) == size


def test_item_size_counts_attribute_names():
    assert item_size({"name": {"S": "Ada"}, "n": {"N": "7"}}) == (4 + 3) + (1 + 2)
    assert item_size(None) == 0


def test_write_units():
    assert write_units(KB) == 1
    assert write_units(KB + KB // 2) == 2
    assert write_units(KB, transactional=True) == 2
    assert write_units(0) == 1  # a write always costs at least one unit


def test_read_units():
    assert read_units(4 * KB, consistent=True) == 1
    assert read_units(4 * KB, consistent=False) == 0.5
    assert read_units(4 * KB + 1, consistent=True) == 2
    assert read_units(4 * KB, consistent=True, transactional=True) == 2
    assert read_units(0, consistent=False) == 0.5  # a missing item still costs the minimum


def test_query_sums_the_items_before_rounding():
    items = [item_of(KB, pk=f"{n}") for n in range(10)]
    response = {"Items": items, "Count": 10, "ScannedCount": 10}
    assert estimate("Query", {"TableName": "t"}, response) == Capacity(read=1.5)  # ceil(10 KB / 4 KB) * 0.5
    assert estimate("Query", {"TableName": "t", "ConsistentRead": True}, response).read == 3


def test_query_with_filtered_items_is_a_lower_bound():
    response = {"Items": [item_of(KB)], "Count": 1, "ScannedCount": 5}
    assert not estimate("Query", {"TableName": "t"}, response).exact


def test_get_item():
    assert estimate("GetItem", {"ConsistentRead": True}, {"Item": item_of(4 * KB)}).read == 1
    assert estimate("GetItem", {}, {"Item": item_of(4 * KB)}).read == 0.5
    assert estimate("GetItem", {}, {}).read == 0.5


def test_batch_get_rounds_each_item_and_charges_missing_keys():
    params = {"RequestItems": {"t": {"Keys": [{}, {}, {}], "ConsistentRead": True}}}
    response = {"Responses": {"t": [item_of(KB), item_of(5 * KB)]}}
    assert estimate("BatchGetItem", params, response).read == 1 + 2 + 1


def test_transact_get_costs_double():
    params = {"TransactItems": [{"Get": {"TableName": "t"}}, {"Get": {"TableName": "t"}}]}
    response = {"Responses": [{"Item": item_of(KB)}, {"Item": item_of(5 * KB)}]}
    assert estimate("TransactGetItems", params, response).read == 2 * 1 + 2 * 2


def test_writes_charge_the_larger_image():
    small, large = item_of(KB // 2), item_of(KB + KB // 2)
    assert estimate("UpdateItem", {}, {}, [WriteImage(small, large)]).write == 2
    assert estimate("UpdateItem", {}, {}, [WriteImage(large, small)]).write == 2
    assert estimate("DeleteItem", {}, {}, [WriteImage(large, None)]).write == 2
    assert estimate("PutItem", {}, {}, [WriteImage(None, small)]).write == 1


def test_transactional_writes_cost_double():
    images = [WriteImage(None, item_of(KB)), WriteImage(item_of(KB + 1), item_of(KB + 1))]
    assert estimate("TransactWriteItems", {}, {}, images) == Capacity(write=2 * 1 + 2 * 2)


def test_put_without_images_falls_back_to_the_request_item():
    params = {"TableName": "t", "Item": item_of(3 * KB)}
    assert estimate("PutItem", params, {}) == Capacity(write=3)
    update = {"TableName": "t", "Key": {"PK": {"S": "a"}}}
    assert not estimate("UpdateItem", update, {}).exact


def test_write_targets_in_request_order():
    put_item = {"PK": {"S": "a"}, "SK": {"S": "b"}, "x": {"N": "1"}}
    params = {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": put_item}},
            {"Update": {"TableName": "t", "Key": {"PK": {"S": "c"}, "SK": {"S": "d"}}}},
            {"Delete": {"TableName": "u", "Key": {"PK": {"S": "e"}, "SK": {"S": "f"}}}},
        ]
    }
    targets = write_targets("TransactWriteItems", params, lambda table: ["PK", "SK"])
    assert [(t.action, t.table, t.key["PK"]["S"]) for t in targets] == [
        ("Put", "t", "a"),
        ("Update", "t", "c"),
        ("Delete", "u", "e"),
    ]
    assert targets[0].key == {"PK": {"S": "a"}, "SK": {"S": "b"}}
    batch = {
        "RequestItems": {"t": [{"PutRequest": {"Item": put_item}}, {"DeleteRequest": {"Key": {"PK": {"S": "z"}}}}]}
    }
    assert [t.action for t in write_targets("BatchWriteItem", batch, lambda table: ["PK", "SK"])] == ["Put", "Delete"]


def test_control_plane_calls_cost_nothing():
    assert estimate("DescribeTable", {"TableName": "t"}, {}) == Capacity()


# --- secondary indexes ---------------------------------------------------------------

KEYS_ONLY = Index("GSI2", ("GSI2PK", "GSI2SK"), ("PK", "SK"), "KEYS_ONLY")
ALL = Index("GSI1", ("GSI1PK", "GSI1SK"), ("PK", "SK"), "ALL")


def message_item(content: int, **extra: str) -> dict:
    """A table item of about ``content`` bytes, with GSI2 keys (and whatever ``extra`` adds)."""
    item = {
        "PK": {"S": "CH#c1"},
        "SK": {"S": "MSG#m1"},
        "GSI2PK": {"S": "MSG#m1"},
        "GSI2SK": {"S": "WS#w1"},
        "content": {"S": "x" * content},
    }
    return item | {name: {"S": value} for name, value in extra.items()}


def test_keys_only_entry_holds_the_table_and_index_keys():
    item = message_item(2 * KB)
    entry = KEYS_ONLY.entry(item)
    assert entry is not None and set(entry) == {"PK", "SK", "GSI2PK", "GSI2SK"}
    assert item_size(entry) == (2 + 5) + (2 + 6) + (6 + 6) + (6 + 5)
    assert ALL.entry(item) is None  # no GSI1 keys: not in GSI1 (sparse)


def test_include_projects_the_listed_attributes():
    include = Index("GSI3", ("GSI2PK",), ("PK", "SK"), "INCLUDE", ("kind",))
    entry = include.entry(message_item(10, kind="bot", other="y"))
    assert entry is not None and set(entry) == {"PK", "SK", "GSI2PK", "kind"}


def test_put_of_an_item_with_keys_only_index_keys_writes_one_small_entry():
    item = message_item(2 * KB)  # 3 write units on the table
    cost = estimate("PutItem", {}, {}, [WriteImage(None, item, (KEYS_ONLY, ALL))])
    assert cost == Capacity(write=3 + 1, index_write=1)


def test_all_projection_entry_costs_the_full_item():
    item = message_item(2 * KB, GSI1PK="USER#u1", GSI1SK="x")
    cost = estimate("PutItem", {}, {}, [WriteImage(None, item, (KEYS_ONLY, ALL))])
    assert cost == Capacity(write=3 + 1 + 3, index_write=1 + 3)


def test_updates_write_an_index_only_when_its_entry_changes():
    before = message_item(100, GSI1PK="CHANNELS#w1", GSI1SK="general")
    touched = before | {"last_message_at": {"S": "2025-01-01T00:00:00Z"}}
    indexes = (KEYS_ONLY, ALL)
    # A projected attribute changed: GSI1 (ALL) rewrites its entry; GSI2 (keys only) does not.
    assert estimate("UpdateItem", {}, {}, [WriteImage(before, touched, indexes)]) == Capacity(write=2, index_write=1)
    # Nothing changed (a failed condition): the table is charged, no index is.
    assert estimate("UpdateItem", {}, {}, [WriteImage(before, before, indexes)]) == Capacity(write=1)
    # An index key changed: the old entry is deleted and a new one put.
    renamed = before | {"GSI1SK": {"S": "random"}}
    assert estimate("UpdateItem", {}, {}, [WriteImage(before, renamed, indexes)]) == Capacity(write=3, index_write=2)
    # An index key removed: the entry is deleted.
    removed = {k: v for k, v in before.items() if k != "GSI1SK"}
    assert ALL.write_cost(before, removed) == 1


def test_index_entries_are_rounded_up_per_kilobyte():
    before = message_item(KB // 2, GSI1PK="p", GSI1SK="s")
    after = message_item(KB + KB // 2, GSI1PK="p", GSI1SK="s")
    assert ALL.write_cost(before, after) == 2  # the larger entry
    assert KEYS_ONLY.write_cost(before, after) == 0


def test_delete_removes_the_index_entries():
    item = message_item(2 * KB, GSI1PK="USER#u1", GSI1SK="x")
    assert estimate("DeleteItem", {}, {}, [WriteImage(item, None, (KEYS_ONLY, ALL))]) == Capacity(
        write=3 + 1 + 3, index_write=1 + 3
    )


def test_index_writes_are_not_doubled_in_a_transaction():
    images = [WriteImage(None, message_item(100), (KEYS_ONLY, ALL))]
    assert estimate("TransactWriteItems", {}, {}, images) == Capacity(write=2 * 1 + 1, index_write=1)


def test_capacities_add_their_index_writes():
    assert Capacity(write=4, index_write=1) + Capacity(write=2, index_write=1) == Capacity(write=6, index_write=2)


def test_table_schema_from_describe_table():
    described = {
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                    {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "GSI2",
                "KeySchema": [{"AttributeName": "GSI2PK", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["kind"]},
            },
        ],
    }
    schema = TableSchema.from_description(described)
    assert schema.key == ("PK", "SK")
    assert schema.indexes == (
        Index("GSI1", ("GSI1PK", "GSI1SK"), ("PK", "SK"), "ALL"),
        Index("GSI2", ("GSI2PK",), ("PK", "SK"), "INCLUDE", ("kind",)),
    )
    assert TableSchema.from_description({"KeySchema": described["KeySchema"]}).indexes == ()
