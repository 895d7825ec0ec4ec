"""Request schemas shared by several v1 routes."""

from __future__ import annotations

from chalicelib.http.schema import Int, Obj, Str

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def page_query(**extra: object) -> Obj:
    """``cursor`` and ``limit`` (1..100, default 50), plus a route's own filters."""
    return Obj(
        {
            "cursor": Str(required=False, max_len=2048, description="Opaque cursor from pagination.nextCursor"),
            "limit": Int(required=False, minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT, from_string=True),
            **extra,  # type: ignore[dict-item]
        }
    )
