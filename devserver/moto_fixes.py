"""Two corrections that make moto's DynamoDB behave like DynamoDB where we rely on it.

1. Atomic writes. DynamoDB applies each write (and each transaction) atomically;
   moto checks the condition and writes without a lock, so concurrent requests can
   both pass a condition only one should. We serialize moto's write operations.
2. Cancelled transactions leave no stream records. moto rolls a cancelled
   TransactWriteItems back by swapping in a deep copy of the table, whose stream
   shard is a new object: records of the cancelled writes stay in the old shard,
   and readers holding an iterator never see anything written afterwards. We keep
   the original shard and drop the cancelled records from it.

Used by tests/conftest.py and the local runtime; never by the Lambda bundle.
"""

from __future__ import annotations

import threading
from typing import Any

_applied = False
_lock = threading.RLock()


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in ("put_item", "update_item", "delete_item", "batch_write_item"):
        _serialize(DynamoDBBackend, name)
    original_transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _lock:
            shards = {
                name: (table.stream_shard, len(table.stream_shard.items))
                for name, table in self.tables.items()
                if getattr(table, "stream_shard", None) is not None
            }
            try:
                return original_transact(self, transact_items)
            except Exception:
                for name, (shard, kept) in shards.items():
                    table = self.tables.get(name)
                    if table is not None:
                        del shard.items[kept:]
                        shard.table = table
                        table.stream_shard = shard
                raise

    DynamoDBBackend.transact_write_items = transact_write_items
    _applied = True


def _serialize(cls: type, name: str) -> None:
    original = getattr(cls, name)

    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return original(self, *args, **kwargs)

    setattr(cls, name, locked)
