"""Fixed-window counters for throttling (failed logins, registrations, resends, mail).

One item per subject and window, expiring with the window. Reading all the counters
a request needs is one BatchGetItem.

Counting and checking are one atomic step: ``take`` increments every counter of a
request in one conditional write (``ADD count :1`` only where ``count < :max``), and
the write whose condition fails is the refusal, so concurrent requests cannot all
pass a check they read before anyone counted. ``guard`` puts the same condition, as
a ConditionCheck, into another transaction (a successful login's session write), so
a request that counts nothing is still refused once the limit is reached.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.store import keys
from chalicelib.store.db import Transaction, connection
from chalicelib.store.errors import StoreError, TransactionCancelled
from chalicelib.store.models import Entity, Throttle

# Counters outlive their window a little (TTL deletion is lazy anyway).
_TTL_MARGIN_SECONDS = int(timedelta(minutes=5).total_seconds())
# A transaction on a counter another transaction is writing is cancelled with
# TransactionConflict (real DynamoDB; moto serializes): retried this many times.
_CONFLICT_RETRIES = 3
_UNDER_LIMIT = "attribute_not_exists(#c) OR #c < :max"


@dataclass(frozen=True)
class Counter:
    bucket: str  # e.g. "login-account"
    subject: str  # e.g. the email address (hashed into the key)
    window_seconds: int

    def window(self, at: float | None = None) -> int:
        return int((at or time.time()) // self.window_seconds)

    def key(self, at: float | None = None) -> tuple[str, str]:
        return keys.throttle(self.bucket, self.subject), keys.window(self.window(at))

    def resets_at(self, at: float | None = None) -> int:
        """When this window ends (epoch seconds)."""
        return (self.window(at) + 1) * self.window_seconds

    def retry_after(self, at: float | None = None) -> int:
        at = at or time.time()
        return int(self.resets_at(at) - at) + 1


@dataclass(frozen=True)
class Limit:
    """At most ``max`` counts per window of ``counter``."""

    counter: Counter
    max: int

    @property
    def label(self) -> str:
        return f"throttle:{self.counter.bucket}"


class Exceeded(StoreError):
    """``limit`` was reached: nothing was counted."""

    def __init__(self, limit: Limit, retry_after: int | None = None):
        super().__init__(limit.counter.bucket)
        self.limit = limit
        self.retry_after = retry_after if retry_after is not None else limit.counter.retry_after()


def counts(items: list[Entity], counters: list[Counter]) -> list[int]:
    """Pick each counter's value out of a batch read (0 when absent)."""
    found = {(i.PK, i.SK): i for i in items if isinstance(i, Throttle)}
    return [int(found[c.key()].count) if c.key() in found else 0 for c in counters]


def _increment(counter: Counter, limit: int | None) -> dict[str, Any]:
    pk, sk = counter.key()
    expires = int(time.time()) + counter.window_seconds + _TTL_MARGIN_SECONDS
    update: dict[str, Any] = {
        "TableName": Throttle.Meta.table_name,
        "Key": {"PK": {"S": pk}, "SK": {"S": sk}},
        "UpdateExpression": "ADD #c :one SET #t = :type, #ttl = :ttl",
        "ExpressionAttributeNames": {"#c": "count", "#t": "type", "#ttl": "ttl"},
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":type": {"S": "Throttle"}, ":ttl": {"N": str(expires)}},
    }
    if limit is not None:
        update["ConditionExpression"] = _UNDER_LIMIT
        update["ExpressionAttributeValues"][":max"] = {"N": str(limit)}
    return update


def increment(counters: list[Counter]) -> None:
    """Count one more in each counter, unconditionally (one TransactWriteItems)."""
    items = [{"Update": _increment(counter, None)} for counter in counters]
    connection().client.transact_write_items(TransactItems=items, ReturnConsumedCapacity="TOTAL")


def take_one(limit: Limit) -> int:
    """Count one more if under the limit and answer the count now (one UpdateItem, its
    new value returned with it: what a rate-limit header's remaining is made of), else
    raise Exceeded."""
    try:
        answer = connection().client.update_item(
            **_increment(limit.counter, limit.max), ReturnValues="UPDATED_NEW", ReturnConsumedCapacity="TOTAL"
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise Exceeded(limit) from None
        raise
    return int(answer.get("Attributes", {}).get("count", {}).get("N", limit.max))


def take(limits: Sequence[Limit]) -> None:
    """Count one more in every counter if each is under its limit, else in none and
    raise Exceeded for the (first) full one. One UpdateItem for one limit, one
    TransactWriteItems for several."""
    client = connection().client
    if len(limits) == 1:
        take_one(limits[0])
        return
    items = [{"Update": _increment(limit.counter, limit.max)} for limit in limits]
    for attempt in range(_CONFLICT_RETRIES + 1):
        try:
            client.transact_write_items(TransactItems=items, ReturnConsumedCapacity="TOTAL")
            return
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            for limit, reason in zip(limits, reasons, strict=False):
                if reason == "ConditionalCheckFailed":
                    raise Exceeded(limit) from None
            if "TransactionConflict" not in reasons:
                raise
            if attempt == _CONFLICT_RETRIES:
                # Still contended: refuse rather than let the attempt go uncounted.
                raise Exceeded(limits[0], retry_after=1) from None
            time.sleep(0.02 * (attempt + 1))


def guard(tx: Transaction, limits: Sequence[Limit]) -> None:
    """Make ``tx`` commit only while every counter is under its limit."""
    for limit in limits:
        pk, sk = limit.counter.key()
        condition = Throttle.count.does_not_exist() | (Throttle.count < limit.max)
        tx.check(Throttle, pk, sk, condition, label=limit.label)


def count_in(tx: Transaction, limit: Limit) -> None:
    """Count one more in ``tx``, which then commits only while the counter is under its
    limit (the cancellation: ``exceeded``). A quota by rate, in the write it bounds."""
    from datetime import UTC, datetime

    pk, sk = limit.counter.key()
    expires = datetime.fromtimestamp(time.time() + limit.counter.window_seconds + _TTL_MARGIN_SECONDS, UTC)
    actions = [Throttle.count.add(1), Throttle.type.set(Throttle), Throttle.ttl.set(expires)]
    condition = Throttle.count.does_not_exist() | (Throttle.count < limit.max)
    tx.update(Throttle(pk, sk), actions=actions, condition=condition, label=limit.label)


def exceeded(cancelled: TransactionCancelled, limits: Sequence[Limit]) -> Exceeded | None:
    """The Exceeded a guarded transaction's cancellation stands for, if any."""
    for limit in limits:
        if limit.label in cancelled.failed:
            return Exceeded(limit)
    return None


def reset(counter: Counter) -> None:
    pk, sk = counter.key()
    Throttle(pk, sk).delete()
