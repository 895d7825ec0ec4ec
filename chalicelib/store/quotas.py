"""Quotas: how many of a kind one owner may hold (workspaces a user created, a workspace's
channels and API tokens), so that one caller cannot fill the table.

A counter item per owner and kind (``keys.quota``) moves in the same transaction as the
create (``charge``: +1 only while under the limit) and the delete (``refund``), so concurrent
creates cannot pass the limit together: the charge whose condition fails cancels its
transaction and is reported as Reached. One more item in the create's transaction, no read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from chalicelib.store import keys
from chalicelib.store.db import Transaction, transaction
from chalicelib.store.errors import StoreError, TransactionCancelled
from chalicelib.store.models import QuotaCounter


@dataclass(frozen=True)
class Quota:
    kind: str  # "workspaces", "channels", "tokens"
    owner: str  # the owner's partition key: keys.user(id), keys.workspace(id)
    limit: int

    @property
    def label(self) -> str:
        return f"quota:{self.kind}"


class Reached(StoreError):
    """The owner already holds ``quota.limit`` of its kind: nothing was written."""

    def __init__(self, quota: Quota):
        super().__init__(quota.kind)
        self.quota = quota


def _counter(kind: str, owner: str) -> QuotaCounter:
    return QuotaCounter(owner, keys.quota(kind))


def charge(tx: Transaction, quota: Quota | None) -> None:
    """Count one more in ``tx``, which then commits only while under the limit."""
    if quota is None:
        return
    condition = QuotaCounter.count.does_not_exist() | (QuotaCounter.count < quota.limit)
    actions = [QuotaCounter.count.add(1), QuotaCounter.type.set(QuotaCounter)]
    tx.update(_counter(quota.kind, quota.owner), actions=actions, condition=condition, label=quota.label)


def refund(tx: Transaction, kind: str, owner: str) -> None:
    """Count one less in ``tx`` (a delete). Unconditional: an owner whose items predate the
    counter may go below zero, which only leaves it a little more room."""
    tx.update(_counter(kind, owner), actions=[QuotaCounter.count.add(-1), QuotaCounter.type.set(QuotaCounter)])


def reached(cancelled: TransactionCancelled, quota: Quota | None) -> None:
    """Raise Reached when ``quota``'s charge is what cancelled the transaction."""
    if quota is not None and quota.label in cancelled.failed:
        raise Reached(quota) from None


@contextmanager
def charged_transaction(quota: Quota | None, taken: tuple[str, ...] = ()) -> Iterator[Transaction]:
    """``db.transaction`` with ``quota`` charged in it: Reached when that is what failed."""
    try:
        with transaction(taken=taken) as tx:
            yield tx
            charge(tx, quota)
    except TransactionCancelled as cancelled:
        reached(cancelled, quota)
        raise
