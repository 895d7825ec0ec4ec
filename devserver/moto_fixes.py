"""Corrections that make moto's DynamoDB behave like DynamoDB where we rely on it, and
let a long-running moto (the local runtime) serve for hours in constant memory.

1. Atomic, isolated operations. DynamoDB applies each write (and each transaction)
   atomically; moto checks the condition and writes without a lock, so concurrent
   requests can both pass a condition only one should, and a reader iterating a
   table while another thread writes can fail ("dictionary changed size"). We
   serialize moto's item reads and writes, and the stream's GetRecords: no reader
   sees a transaction half done, nor the stream records of one that is cancelled.
2. Cancelled transactions leave nothing behind, without copying the table. moto
   backs a TransactWriteItems up by deep-copying the table (once per action) and
   rolls a cancelled one back by swapping the copy in. The copy costs time and
   memory in proportion to the whole table on every transaction (with (3), each
   copy was also kept for good: 10-30 MB per transaction on a table of a few
   thousand items), and the swapped-in table has a new stream shard, so records of
   the cancelled writes stayed in the old shard and readers holding an iterator
   never saw anything written afterwards. Instead we note the items the transaction
   names (the only ones it can change) before it runs, and on cancellation put them
   back and drop the stream records it appended, in the same table and shard.
   moto's own backup is the table itself (``copy.deepcopy`` of a Table, in moto's
   DynamoDB models module only), so its swap changes nothing.
3. No registry of every model instance. moto's ``BaseModel.__new__`` appends each
   instance it creates to a class-level list, for its /moto-api dashboard, until a
   reset: every version of every item ever written, every item a query returned
   (moto copies them), every stream record, shard iterator and SQS message. We do
   not keep that list (the dashboard's data.json lists nothing; S3 keys close
   their buffers when collected, as they do when moto resets).
4. Queries read what they need. moto's Table.query starts from every item of the
   table, sorted (all_items()), and then keeps one partition, or the items of one
   index key, which it sorts again by a total order (the keys). That is O(n log n)
   Python comparisons on the whole table for every Query: the local runtime slowed
   down as its table grew (a request took 140 ms on an empty table, 250 ms after
   2,000 requests). We give Table.query the partition's items alone for a table
   query, and every item unsorted for an index query: the same results, in the
   same order.
5. Item attributes are serialized as they are. moto 5.2 writes every response
   through a generic serializer that looks each of the ten members of every
   AttributeValue up on the value (with aliases), so a page of 20 messages took
   150 ms to serialize. An AttributeValue that moto holds is already in its wire
   form ({"S": "..."}, {"M": {...}}, ...): we copy those as they are (binary ones
   still go through moto's serializer, which encodes them).
6. Per-request look-ups are done once. For every call, moto's server lists its own
   package directory (a stat of each of ~150 entries) to recognise a service name,
   and moto lists the response class's members (inspect.getmembers) to find the
   action's method. Neither changes once imported: we cache both.
7. Stream records are trimmed once read. DynamoDB keeps a stream's records for 24
   hours; moto keeps them for the life of the process. ``trim_stream`` drops the
   records before a sequence number; the local runtime's stream pump, the stream's
   only reader, calls it for what it has processed (devserver/pump.py). A reader
   with an older iterator would then fail, as one does in AWS past the 24 hours.
8. An update is sized as the item it leaves. moto adds the size of an attribute's
   new value to the item's size *including the old value* it replaces, so an
   UpdateItem that sets a large attribute of a large item (editing a message near
   the 400 KB item limit) fails with "Item size to update has exceeded the maximum
   allowed size" where DynamoDB, which sizes the item after the update, accepts it.

Used by tests/conftest.py and the local runtime; never by the Lambda bundle.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
from typing import Any

_applied = False
_lock = threading.RLock()

# moto's DynamoDBBackend methods that read or write items (batch and transactional
# reads go through get_item; batch writes through put_item and delete_item).
SERIALIZED = ("get_item", "query", "scan", "put_item", "update_item", "delete_item", "batch_write_item")


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto import backends
    from moto.core import responses
    from moto.core.common_models import BaseModel
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend, Table, dynamo_type
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    BaseModel.__new__ = staticmethod(_untracked_new)  # type: ignore[method-assign]
    dynamo_type.LimitedSizeDict.__setitem__ = _sized_after_replacing(dynamo_type.LimitedSizeDict.__setitem__)
    for name in SERIALIZED:
        _serialize(DynamoDBBackend, name)
    _serialize(DynamoDBStreamsBackend, "get_records")
    models.copy = _TablesStay(Table)  # type: ignore[attr-defined]
    Table.query = _query_without_sorting_the_table(Table.query)  # type: ignore[method-assign]
    BaseJSONSerializer._serialize_type_structure = _attribute_values_as_they_are(  # type: ignore[method-assign]
        BaseJSONSerializer._serialize_type_structure
    )
    modules = frozenset(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # its one caller tests membership
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)
    original_transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _lock:
            undo = _Undo(self, transact_items)
            try:
                return original_transact(self, transact_items)
            except Exception:
                undo.roll_back()
                raise

    DynamoDBBackend.transact_write_items = transact_write_items
    _applied = True


def _sized_after_replacing(original: Any) -> Any:
    """Set an attribute with the item sized without the value being replaced."""

    def setitem(self: Any, key: str, value: Any) -> None:
        if key in self:
            old = dict.__getitem__(self, key)
            dict.__delitem__(self, key)  # the old value no longer counts; a failure puts it back
            try:
                return original(self, key, value)
            except Exception:
                dict.__setitem__(self, key, old)
                raise
        return original(self, key, value)

    return setitem


def trim_stream(table: Any, before: int) -> int:
    """Drop ``table``'s stream records with a sequence number below ``before`` (moto's
    Table); returns how many. The sequence numbers of the others do not change."""
    with _lock:
        shard = getattr(table, "stream_shard", None)
        if shard is None:
            return 0
        count = max(0, min(len(shard.items), before - shard.starting_sequence_number))
        if count:
            # moto numbers a new record starting_sequence_number + len(items), and
            # reads records at sequence - starting_sequence_number: move both.
            del shard.items[:count]
            shard.starting_sequence_number += count
        return count


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    """moto's BaseModel.__new__ without adding the instance to ``instances_tracked``."""
    return object.__new__(cls)


class _TablesStay:
    """Stands for the ``copy`` module in moto.dynamodb.models, where the only Table
    deep-copied is transact_write_items' backup: that one is the table itself."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)


def _query_without_sorting_the_table(original: Any) -> Any:
    signature = inspect.signature(original)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        return original(
            _QueryView(self, bound.arguments["hash_key"], bound.arguments.get("index_name")), *args, **kwargs
        )

    query.__wrapped__ = original  # type: ignore[attr-defined]
    return query


def _attribute_values_as_they_are(original: Any) -> Any:
    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if shape.name == "AttributeValue" and self.operation_model.service_model.service_name in _DYNAMODB:
            wire = _wire_attribute(value)
            if wire is not None:
                self._default_serialize(serialized, wire, shape, key)
                return
        original(self, serialized, value, shape, key)

    serialize_structure.__wrapped__ = original  # type: ignore[attr-defined]
    return serialize_structure


_DYNAMODB = frozenset({"dynamodb", "dynamodbstreams"})


def _wire_attribute(value: Any) -> Any:
    """An AttributeValue already in its JSON form, else None (binary, or anything odd)."""
    if type(value) is not dict or len(value) != 1:
        return None
    ((tag, inner),) = value.items()
    if tag in ("S", "N"):
        ok = type(inner) is str
    elif tag in ("BOOL", "NULL"):
        ok = type(inner) is bool
    elif tag in ("SS", "NS"):
        ok = type(inner) is list and all(type(v) is str for v in inner)
    elif tag == "M" and type(inner) is dict:
        members = {k: _wire_attribute(v) for k, v in inner.items()}
        return None if any(v is None for v in members.values()) else {"M": members}
    elif tag == "L" and type(inner) is list:
        elements = [_wire_attribute(v) for v in inner]
        return None if any(v is None for v in elements) else {"L": elements}
    else:
        ok = False
    return value if ok else None


class _QueryView:
    """A Table, as Table.query sees it, whose all_items() is only what the query may
    return, unsorted: query sorts what it keeps by the range key (a partition) or by
    the index's keys then the table's (an index), a total order either way."""

    def __init__(self, table: Any, hash_key: Any, index_name: str | None) -> None:
        self._table = table
        self._hash_key = hash_key
        self._index_name = index_name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Any]:
        items = self._table.items
        if self._index_name:
            if self._table.range_key_attr is None:
                return list(items.values())
            return [item for partition in items.values() for item in partition.values()]
        partition = items.get(self._hash_key)
        if partition is None:
            return []
        return [partition] if self._table.range_key_attr is None else list(partition.values())


class _Undo:
    """What a transaction may change, noted before it runs: the items it names (a copy
    of each, or None where there is none) and the length of each stream shard."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        self._backend = backend
        self._tables = dict(backend.tables)
        self._shards = [
            (table.stream_shard, len(table.stream_shard.items))
            for table in self._tables.values()
            if getattr(table, "stream_shard", None) is not None
        ]
        self._items: list[tuple[Any, Any, Any, Any]] = []
        for action in transact_items:
            try:
                ((kind, params),) = action.items()
                if kind == "ConditionCheck":
                    continue
                table = self._tables[params["TableName"]]
                hash_key, range_key = backend.get_keys_value(table, params["Item" if kind == "Put" else "Key"])
            except Exception:  # noqa: S112 (malformed: moto rejects it without writing that item)
                continue
            self._items.append((table, hash_key, range_key, copy.deepcopy(_stored(table, hash_key, range_key))))

    def roll_back(self) -> None:
        # moto may have swapped in its backup (the same table unless moto changed).
        for name, table in self._tables.items():
            if name in self._backend.tables:
                self._backend.tables[name] = table
        for table, hash_key, range_key, item in reversed(self._items):
            _restore(table, hash_key, range_key, item)
        for shard, length in self._shards:
            del shard.items[length:]


def _stored(table: Any, hash_key: Any, range_key: Any) -> Any:
    """The stored item or None (moto's get_item would leave an empty partition behind)."""
    if range_key is None:
        return table.items.get(hash_key)
    return table.items.get(hash_key, {}).get(range_key)


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    if item is not None:
        table.items[hash_key][range_key] = item
        return
    partition = table.items.get(hash_key)
    if partition is not None:
        partition.pop(range_key, None)
        if not partition:
            del table.items[hash_key]


def _serialize(cls: type, name: str) -> None:
    original = getattr(cls, name)

    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return original(self, *args, **kwargs)

    setattr(cls, name, locked)
