"""One page of a Query: the cost depends on the page size, never on the table.

Reads ``limit + 1`` items so ``has_more`` is exact (no empty last page), and resumes
strictly after the last item returned, so inserts between pages cause neither
duplicates nor gaps.

A page may also end early: ``admit`` (the caller's response budget: a Lambda response
is at most 6 MB) refuses an item, and the page stops before it, with a position right
after the last item kept. It always keeps the first item. Items are read as they are
admitted, so a page of large items stops reading where it stops (DynamoDB returns at
most 1 MB per call: a page of 350 KB messages takes a few calls).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pynamodb.expressions.condition import Condition

from chalicelib.errors import ValidationError
from chalicelib.store.models import Entity

T = TypeVar("T", bound=Entity)
V = TypeVar("V")

# Whether an item still fits in the page being built (it counts the item if so).
Admit = Callable[[V], bool]

_KEY_ATTRIBUTES = ("PK", "SK")
_GSI1_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK")


@dataclass
class Page(Generic[T]):
    items: list[T]
    position: dict[str, Any] | None = None  # where the next page starts; None at the end
    extra: dict[str, Any] = field(default_factory=dict)
    key_attributes: tuple[str, ...] = _KEY_ATTRIBUTES

    @property
    def has_more(self) -> bool:
        return self.position is not None

    def after(self, item: T) -> dict[str, Any]:
        """The position right after ``item`` (one of this page's): where a page cut
        short after it continues."""
        return _position(item, self.key_attributes)


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
    admit: Admit[T] | None = None,
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
    items: list[T] = []
    for item in results:
        if len(items) == limit:
            return Page(items, _position(items[-1], attributes), key_attributes=attributes)
        if admit is not None and not admit(item) and items:  # the first is kept anyway
            return Page(items, _position(items[-1], attributes), key_attributes=attributes)
        items.append(item)
    return Page(items, None, key_attributes=attributes)
