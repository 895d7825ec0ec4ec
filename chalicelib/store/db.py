"""Binding the models to the configured table, and transactions.

The models are bound lazily to the table named in the settings so that importing
the store does no I/O and tests or the local runtime can point it elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.config import get_settings
from chalicelib.store.errors import AlreadyExists, ConditionFailed, TransactionCancelled
from chalicelib.store.models import Entity

T = TypeVar("T", bound=Entity)


def _all_models() -> list[type[Entity]]:
    found, todo = [], [Entity]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def bind() -> None:
    """Point every model at the configured table (idempotent, no I/O)."""
    settings = get_settings()
    if Entity.Meta.table_name != settings.table_name or Entity.Meta.region != settings.region:
        Entity.Meta.table_name = settings.table_name
        Entity.Meta.region = settings.region
        reset()


def reset() -> None:
    """Drop cached connections (after the settings or the AWS backend changed)."""
    for cls in _all_models():
        cls._connection = None


def connection() -> Connection:
    """The models' own connection, so transactions reuse their botocore client."""
    bind()
    return Entity._get_connection().connection


class Transaction:
    """Collects a TransactWriteItems call. Each operation may carry a ``label`` so a
    cancelled transaction reports which conditions failed by name: pynamodb sends
    operations grouped by kind (condition checks, deletes, puts, updates), not in the
    order they were added, so positions in DynamoDB's cancellation reasons are
    meaningless to the caller."""

    _ORDER = ("check", "delete", "put", "update")

    def __init__(self, write: TransactWrite):
        self._write = write
        self._labels: dict[str, list[str | None]] = {kind: [] for kind in self._ORDER}

    def save(self, item: Entity, condition: Any = None, *, label: str | None = None) -> None:
        self._write.save(item, condition=condition)
        self._labels["put"].append(label)

    def update(self, item: Entity, actions: list[Any], condition: Any = None, *, label: str | None = None) -> None:
        self._write.update(item, actions=actions, condition=condition)
        self._labels["update"].append(label)

    def delete(self, item: Entity, condition: Any = None, *, label: str | None = None) -> None:
        self._write.delete(item, condition=condition)
        self._labels["delete"].append(label)

    def check(
        self, model: type[Entity], hash_key: str, range_key: str, condition: Any, *, label: str | None = None
    ) -> None:
        """A ConditionCheck: the transaction commits only if ``condition`` holds on
        that item (which need not exist), and writes nothing to it."""
        self._write.condition_check(model, hash_key, range_key, condition=condition)
        self._labels["check"].append(label)

    def sent_order(self) -> list[str | None]:
        return [label for kind in self._ORDER for label in self._labels[kind]]


@contextmanager
def transaction(taken: tuple[str, ...] = ()) -> Iterator[Transaction]:
    """A TransactWriteItems call: all the writes, guards and events commit together.

    ``taken`` names the labelled guards whose failure means "already exists", in the
    order they should be reported: AlreadyExists(label) for the first that failed.
    Otherwise raises TransactionCancelled naming the labels whose conditions failed,
    and E_CONFLICT when DynamoDB cancelled it for a concurrent transaction on the same
    items (the client may retry)."""
    bind()
    collected: Transaction | None = None
    try:
        with TransactWrite(connection=connection()) as write:
            collected = Transaction(write)
            yield collected
    except TransactWriteError as error:
        reasons = [getattr(r, "code", None) for r in (error.cancellation_reasons or [])]
        if "TransactionConflict" in reasons:
            from chalicelib.errors import Conflict

            raise Conflict("Someone changed this at the same moment: retry.") from error
        if collected is None or "ConditionalCheckFailed" not in reasons:
            raise
        labels = collected.sent_order()
        failed = {labels[i] or f"#{i}" for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
        for label in taken:
            if label in failed:
                raise AlreadyExists(label) from None
        raise TransactionCancelled(failed) from error


def fetch(model: type[T], hash_key: str, range_key: str, *, consistent: bool = False) -> T | None:
    """The item, or None (the store's get-or-nothing, one GetItem)."""
    try:
        return model.get(hash_key, range_key, consistent_read=consistent)
    except DoesNotExist:
        return None


def is_expired(item: Entity) -> bool:
    """DynamoDB deletes expired items lazily (up to 48 h late): check ``ttl`` ourselves."""
    return item.ttl is not None and item.ttl <= datetime.now(UTC)


def update_existing(item: Entity, actions: list[Any], condition: Any = None) -> None:
    """UpdateItem on an item that must exist (and meet ``condition``): ConditionFailed when it
    does not, which services turn into their 404 or 409."""
    exists = type(item).PK.exists()
    try:
        item.update(actions=actions, condition=exists if condition is None else exists & condition)
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise ConditionFailed() from None
        raise


def set_or_remove(model: type[Entity], changes: dict[str, Any]) -> list[Any]:
    """Update actions from attribute values: SET each, or REMOVE where the value is None."""
    return [getattr(model, n).remove() if v is None else getattr(model, n).set(v) for n, v in changes.items()]
