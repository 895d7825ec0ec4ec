"""A page of items sorted by a UUIDv7 (creation order), resumed from a millisecond.

The Disqus cursor is ``<epoch us>:<offset>:<dir>``: lists sorted by a UUIDv7 id use it as
"from this millisecond on, after ``offset`` items of that millisecond already given". That
is a key range, so the cursor stays valid while items are added, and a page costs one
Query of ``offset + limit + 1`` items at most (offset counts only one millisecond's items).
"""

from __future__ import annotations

from typing import TypeVar

from chalicelib.store import keys
from chalicelib.store.models import Entity

T = TypeVar("T", bound=Entity)


def uuid7_page(
    model: type[T],
    hash_key: str,
    *,
    index: str | None,
    prefix: str = "",
    newest_first: bool,
    from_ms: int | None,
    skip: int,
    limit: int,
) -> tuple[list[T], bool]:
    """One Query on the table (sort key ``SK``) or GSI1 (``GSI1SK``) whose sort keys are
    ``prefix`` + a UUIDv7: up to ``limit`` items from ``from_ms`` on (inclusive, in the
    listing's direction), after ``skip`` items of that millisecond. (items, more follow)."""
    attribute = model.GSI1SK if index == "GSI1" else model.SK
    condition = attribute.startswith(prefix) if prefix else None
    if from_ms is not None:
        bound = prefix + keys.uuid7_prefix(from_ms)
        low, high = (prefix, bound + "~") if newest_first else (bound, prefix + "~")
        one_sided = attribute <= high if newest_first else attribute >= low
        condition = attribute.between(low, high) if prefix else one_sided
    query = model.gsi1.query if index == "GSI1" else model.query
    found = [
        item
        for item in query(hash_key, condition, scan_index_forward=not newest_first, limit=skip + limit + 1)
        if isinstance(item, model)
    ]
    found = found[skip:] if from_ms is not None else found
    return found[:limit], len(found) > limit
