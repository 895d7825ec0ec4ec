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
  images (a delete: the deleted item); transactional writes cost double;
- a write also writes each secondary index the item is (or was) in ("Global
  secondary indexes", "Provisioned throughput considerations"), charged as write
  units on the index, rounded up to 1 KB per index entry: one write when an entry
  appears, disappears or has a projected attribute changed, two (a delete and a put)
  when an index key changes, none when the entry stays the same (a failed condition,
  an update of an attribute the index does not project). An entry holds the table's
  key, the index's key and the projected attributes: all of them for ``ALL``, none
  for ``KEYS_ONLY``, the listed ones for ``INCLUDE``. Assumption: index writes are
  not doubled in a transaction (indexes are updated after the transaction commits).
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
    write: float = 0.0  # the table's and the indexes' write units
    # False when the response hides part of what was read (a FilterExpression or
    # Select=COUNT): the figure is then a lower bound.
    exact: bool = True
    index_write: float = 0.0  # the part of ``write`` that went to secondary indexes

    def __add__(self, other: Capacity) -> Capacity:
        return Capacity(
            self.read + other.read,
            self.write + other.write,
            self.exact and other.exact,
            self.index_write + other.index_write,
        )


# --- secondary indexes -----------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    """A secondary index, as far as its write cost goes."""

    name: str
    key: tuple[str, ...]  # the index's partition (and sort) key attributes
    table_key: tuple[str, ...]  # the table's key attributes: in every entry
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    include: tuple[str, ...] = ()  # INCLUDE's non-key attributes

    def entry(self, item: Item | None) -> Item | None:
        """The item's entry in the index; None when the item is not in it (sparse:
        an item without every index key attribute has no entry)."""
        if not item or any(name not in item for name in self.key):
            return None
        if self.projection == "ALL":
            return dict(item)
        kept = {*self.table_key, *self.key, *(self.include if self.projection == "INCLUDE" else ())}
        return {name: value for name, value in item.items() if name in kept}

    def write_cost(self, before: Item | None, after: Item | None) -> int:
        """What a write that turned ``before`` into ``after`` costs on this index."""
        old, new = self.entry(before), self.entry(after)
        if old is None and new is None:
            return 0
        if old is None or new is None:  # the entry appears or disappears
            return write_units(item_size(old if new is None else new))
        if any(old[name] != new[name] for name in self.key):  # moves: delete + put
            return write_units(item_size(old)) + write_units(item_size(new))
        if old == new:
            return 0
        return write_units(max(item_size(old), item_size(new)))


@dataclass(frozen=True)
class TableSchema:
    key: tuple[str, ...]
    indexes: tuple[Index, ...] = ()

    @classmethod
    def from_description(cls, table: Mapping[str, Any]) -> TableSchema:
        """From DescribeTable's ``Table``: its key, global and local secondary indexes."""
        key = tuple(k["AttributeName"] for k in table["KeySchema"])
        indexes = []
        for described in [*table.get("GlobalSecondaryIndexes", []), *table.get("LocalSecondaryIndexes", [])]:
            projection = described.get("Projection", {})
            indexes.append(
                Index(
                    described["IndexName"],
                    tuple(k["AttributeName"] for k in described["KeySchema"]),
                    key,
                    projection.get("ProjectionType", "ALL"),
                    tuple(projection.get("NonKeyAttributes", ())),
                )
            )
        return cls(key, tuple(indexes))


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
    """One item a write touched, before and after, and its table's indexes."""

    before: Item | None
    after: Item | None
    indexes: tuple[Index, ...] = ()

    @property
    def size(self) -> int:
        return max(item_size(self.before), item_size(self.after))

    def index_units(self) -> int:
        return sum(index.write_cost(self.before, self.after) for index in self.indexes)


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
        if not images:  # no images supplied: a Put's item is all we know (and no index)
            targets = write_targets(operation, params, lambda _table: ())
            images = [WriteImage(None, t.item) for t in targets]
            exact = all(t.action == "Put" for t in targets)
        else:
            exact = True
        # A ConditionCheck is charged like a write of the checked item (an assumption:
        # the app does not use one today); its images are equal, so no index write.
        table = sum(write_units(i.size, transactional=transactional) for i in images)
        index = sum(i.index_units() for i in images)
        return Capacity(write=table + index, exact=exact, index_write=index)
    return Capacity()  # control-plane calls (DescribeTable, ...) consume no capacity units
