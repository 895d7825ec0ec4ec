"""Fixed-window counters for throttling (failed logins per account and per address).

One item per subject and window, expiring with the window. Reading all the counters
a request needs is one BatchGetItem; counting a failure is one TransactWriteItems.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.store import keys
from chalicelib.store.db import connection
from chalicelib.store.models import Entity, Throttle


@dataclass(frozen=True)
class Counter:
    bucket: str  # e.g. "login-account"
    subject: str  # e.g. the email address (hashed into the key)
    window_seconds: int

    def window(self, at: float | None = None) -> int:
        return int((at or time.time()) // self.window_seconds)

    def key(self, at: float | None = None) -> tuple[str, str]:
        return keys.throttle(self.bucket, self.subject), keys.window(self.window(at))

    def retry_after(self, at: float | None = None) -> int:
        at = at or time.time()
        return int((self.window(at) + 1) * self.window_seconds - at) + 1


def counts(items: list[Entity], counters: list[Counter]) -> list[int]:
    """Pick each counter's value out of a batch read (0 when absent)."""
    found = {(i.PK, i.SK): i for i in items if isinstance(i, Throttle)}
    return [int(found[c.key()].count) if c.key() in found else 0 for c in counters]


def increment(counters: list[Counter]) -> None:
    conn = connection()
    table = Throttle.Meta.table_name
    items = []
    for counter in counters:
        pk, sk = counter.key()
        expires = int(time.time()) + counter.window_seconds + int(timedelta(minutes=5).total_seconds())
        items.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": {"PK": {"S": pk}, "SK": {"S": sk}},
                    "UpdateExpression": "ADD #c :one SET #t = :type, #ttl = :ttl",
                    "ExpressionAttributeNames": {"#c": "count", "#t": "type", "#ttl": "ttl"},
                    "ExpressionAttributeValues": {
                        ":one": {"N": "1"},
                        ":type": {"S": "Throttle"},
                        ":ttl": {"N": str(expires)},
                    },
                }
            }
        )
    conn.client.transact_write_items(TransactItems=items, ReturnConsumedCapacity="TOTAL")


def reset(counter: Counter) -> None:
    pk, sk = counter.key()
    Throttle(pk, sk).delete()
