"""DynamoDB capacity units of one API call, from DynamoDB's published sizing rules.

moto answers ``ReturnConsumedCapacity`` with fixed numbers (1 per item, nothing for
transactions), so the bench computes what DynamoDB would charge instead. Everything
here is pure: items are in the low-level wire format (``{"name": {"S": "x"}}``) as
botocore sends and returns them, and the images an item had before and after a
write are supplied by the caller (bench/recorder.py reads them from moto).

Rules (Amazon DynamoDB Developer Guide, "Item sizes" and "Read and write operations"):

- item size = sum over attributes of UTF-8 name length + value size; strings are
  their UTF-8 bytes, numbers about 1 byte per 2 significant digits + 1, binary its
  raw bytes, booleans and nulls 1, lists and maps 3 + 1 per element + the elements;
- reads are rounded up to 4 KB per item (GetItem, each BatchGetItem key, each
  TransactGetItems item), or for Query/Scan over the summed size of everything read;
  eventually consistent costs half, transactional double; a missing item still
  costs the minimum;
- writes are rounded up to 1 KB per item, on the larger of the before and after
  images (a delete: the deleted item); transactional writes cost double.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

AttributeValue = Mapping[str, Any]
Item = Mapping[str, AttributeValue]
Key = dict[str, AttributeValue]

READ_UNIT_BYTES = 4 * 1024
WRITE_UNIT_BYTES = 1024
CONTAINER_OVERHEAD = 3  # bytes, for every List or Map
ELEMENT_OVERHEAD = 1  # bytes, for every element of a List or Map

READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


# --- sizes -------------------------------------------------------------------------


def number_size(text: str) -> int:
    """1 byte per two significant digits (leading and trailing zeros trimmed) + 1."""
    mantissa = text.strip().lstrip("+-").lower().partition("e")[0]
    digits = mantissa.replace(".", "").strip("0")
    return math.ceil(len(digits) / 2) + 1


def binary_size(data: bytes | str) -> int:
    # botocore hands us raw bytes; a str is the base64 text of the wire format.
    return len(data) if isinstance(data, bytes | bytearray) else len(base64.b64decode(data))


def value_size(value: AttributeValue) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return binary_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(number_size(n) for n in data)
    if kind == "BS":
        return sum(binary_size(b) for b in data)
    if kind == "L":
        return CONTAINER_OVERHEAD + sum(ELEMENT_OVERHEAD + value_size(v) for v in data)
    if kind == "M":
        return CONTAINER_OVERHEAD + sum(ELEMENT_OVERHEAD + len(k.encode()) + value_size(v) for k, v in data.items())
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(item: Item | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


# --- units -------------------------------------------------------------------------


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """One read of ``size`` bytes (one item, or the summed items of a Query/Scan)."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> int:
    units = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return 2 * units if transactional else units


@dataclass(frozen=True)
class Capacity:
    read: float = 0.0
    write: float = 0.0
    # False when the response hides part of what was read (a FilterExpression or
    # Select=COUNT): the figure is then a lower bound.
    exact: bool = True

    def __add__(self, other: Capacity) -> Capacity:
        return Capacity(self.read + other.read, self.write + other.write, self.exact and other.exact)


# --- writes: which items, and their images ------------------------------------------


@dataclass(frozen=True)
class WriteTarget:
    """One item a write touches: its table and key (``item`` is a Put's new item)."""

    action: str  # Put | Update | Delete | ConditionCheck
    table: str
    key: Key
    item: Item | None = None


@dataclass(frozen=True)
class WriteImage:
    before: Item | None
    after: Item | None

    @property
    def size(self) -> int:
        return max(item_size(self.before), item_size(self.after))


def write_targets(
    operation: str, params: Mapping[str, Any], key_names: Callable[[str], Sequence[str]]
) -> list[WriteTarget]:
    """The items a write request touches, in request order. ``key_names(table)``
    gives a table's key attributes (needed to find a Put's key in its item)."""

    def put(table: str, item: Item) -> WriteTarget:
        return WriteTarget("Put", table, {k: item[k] for k in key_names(table)}, item)

    if operation == "PutItem":
        return [put(params["TableName"], params["Item"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [WriteTarget(operation.removesuffix("Item"), params["TableName"], dict(params["Key"]))]
    if operation == "BatchWriteItem":
        targets = []
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    targets.append(put(table, request["PutRequest"]["Item"]))
                else:
                    targets.append(WriteTarget("Delete", table, dict(request["DeleteRequest"]["Key"])))
        return targets
    if operation == "TransactWriteItems":
        targets = []
        for entry in params["TransactItems"]:
            ((action, spec),) = entry.items()
            if action == "Put":
                targets.append(put(spec["TableName"], spec["Item"]))
            else:
                targets.append(WriteTarget(action, spec["TableName"], dict(spec["Key"])))
        return targets
    return []


# --- one call ----------------------------------------------------------------------


def _query_capacity(params: Mapping[str, Any], response: Mapping[str, Any]) -> Capacity:
    items = response.get("Items", [])
    hidden = params.get("Select") == "COUNT" or response.get("ScannedCount", 0) > len(items)
    size = sum(item_size(i) for i in items)
    return Capacity(read=read_units(size, consistent=bool(params.get("ConsistentRead"))), exact=not hidden)


def _batch_get_capacity(params: Mapping[str, Any], response: Mapping[str, Any]) -> Capacity:
    total = 0.0
    for table, request in params["RequestItems"].items():
        consistent = bool(request.get("ConsistentRead"))
        found = response.get("Responses", {}).get(table, [])
        unprocessed = len(response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []))
        missing = max(0, len(request["Keys"]) - len(found) - unprocessed)
        total += sum(read_units(item_size(i), consistent=consistent) for i in found)
        total += missing * read_units(0, consistent=consistent)
    return Capacity(read=total)


def _transact_get_capacity(params: Mapping[str, Any], response: Mapping[str, Any]) -> Capacity:
    found = response.get("Responses") or [{} for _ in params["TransactItems"]]
    return Capacity(read=sum(read_units(item_size(r.get("Item")), consistent=True, transactional=True) for r in found))


def estimate(
    operation: str,
    params: Mapping[str, Any],
    response: Mapping[str, Any] | None,
    images: Sequence[WriteImage] = (),
) -> Capacity:
    """Capacity of one call. ``response`` is the parsed answer (an error's body for a
    failed call: a failed condition still consumes capacity); ``images`` holds one
    WriteImage per ``write_targets`` entry, in the same order."""
    response = response or {}
    if operation == "GetItem":
        return Capacity(read=read_units(item_size(response.get("Item")), consistent=bool(params.get("ConsistentRead"))))
    if operation == "BatchGetItem":
        return _batch_get_capacity(params, response)
    if operation in ("Query", "Scan"):
        return _query_capacity(params, response)
    if operation == "TransactGetItems":
        return _transact_get_capacity(params, response)
    if operation in WRITE_OPERATIONS:
        transactional = operation == "TransactWriteItems"
        if not images:  # no images supplied: a Put's item is all we know
            targets = write_targets(operation, params, lambda _table: ())
            images = [WriteImage(None, t.item) for t in targets]
            exact = all(t.action == "Put" for t in targets)
        else:
            exact = True
        # A ConditionCheck is charged like a write of the checked item (an assumption:
        # the app does not use one today).
        return Capacity(write=sum(write_units(i.size, transactional=transactional) for i in images), exact=exact)
    return Capacity()  # control-plane calls (DescribeTable, ...) consume no capacity units
