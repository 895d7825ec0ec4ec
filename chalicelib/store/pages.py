"""One page of a Query: the cost depends on the page size, never on the table.

Reads ``limit + 1`` items so ``has_more`` is exact (no empty last page), and resumes
strictly after the last item returned, so inserts between pages cause neither
duplicates nor gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pynamodb.expressions.condition import Condition

from chalicelib.errors import ValidationError
from chalicelib.store.models import Entity

T = TypeVar("T", bound=Entity)

_KEY_ATTRIBUTES = ("PK", "SK")
_GSI1_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK")


@dataclass
class Page(Generic[T]):
    items: list[T]
    position: dict[str, Any] | None = None  # where the next page starts; None at the end
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_more(self) -> bool:
        return self.position is not None


def _position(item: Entity, attributes: tuple[str, ...]) -> dict[str, Any]:
    return {name: {"S": getattr(item, name)} for name in attributes}


def _check_position(
    position: dict[str, Any] | None, attributes: tuple[str, ...], hash_name: str, hash_key: str
) -> None:
    """A cursor is signed, but must also point into *this* partition."""
    if position is None:
        return
    if set(position) != set(attributes) or position.get(hash_name) != {"S": hash_key}:
        # The position came from a client's cursor: a signed cursor of another list.
        raise ValidationError("cursor is invalid or belongs to another list.", field="cursor")


def query_page(
    model: type[T],
    hash_key: str,
    range_key_condition: Condition | None = None,
    *,
    limit: int,
    position: dict[str, Any] | None = None,
    newest_first: bool = False,
    index: str | None = None,
    filter_condition: Condition | None = None,
) -> Page[T]:
    attributes = _GSI1_ATTRIBUTES if index == "GSI1" else _KEY_ATTRIBUTES
    _check_position(position, attributes, "GSI1PK" if index == "GSI1" else "PK", hash_key)
    source: Any = model.gsi1 if index == "GSI1" else model
    results = source.query(
        hash_key,
        range_key_condition,
        filter_condition=filter_condition,
        scan_index_forward=not newest_first,
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key=position,
    )
    items = list(results)
    if len(items) > limit:
        items = items[:limit]
        return Page(items, _position(items[-1], attributes))
    return Page(items, None)
