"""The capacity calculator against DynamoDB's published sizing examples."""

from __future__ import annotations

import pytest

from bench.capacity import (
    Capacity,
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
