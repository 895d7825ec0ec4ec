"""Binding the models to the configured table, and transactions.

The models are bound lazily to the table named in the settings so that importing
the store does no I/O and tests or the local runtime can point it elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import get_settings
from chalicelib.store.models import Entity


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


@contextmanager
def transaction() -> Iterator[TransactWrite]:
    """A TransactWriteItems call: all the writes, guards and events commit together."""
    bind()
    with TransactWrite(connection=connection()) as tx:
        yield tx


def is_expired(item: Entity) -> bool:
    """DynamoDB deletes expired items lazily (up to 48 h late): check ``ttl`` ourselves."""
    return item.ttl is not None and item.ttl <= datetime.now(UTC)


def failed_conditions(error: TransactWriteError) -> list[bool]:
    """Which items of a cancelled transaction failed their condition, in order."""
    reasons = error.cancellation_reasons or []
    return [bool(r and r.code == "ConditionalCheckFailed") for r in reasons]


def set_or_remove(model: type[Entity], changes: dict[str, Any]) -> list[Any]:
    """Update actions from attribute values: SET each, or REMOVE where the value is None."""
    return [getattr(model, n).remove() if v is None else getattr(model, n).set(v) for n, v in changes.items()]
