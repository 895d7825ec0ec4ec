"""Key-range pages for Disqus lists sorted by a UUIDv7 id (creation order).

The cursor's ``<epoch us>`` is the millisecond of the last item read and its ``<offset>``
how many items of that millisecond were given (store/time_pages.py): the next page is a key
range, valid while items are added. These lists page forward only (``prev`` is null), as
threads/list does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.protocol import Cursor
from chalicelib.api.routing import Call, Reply
from chalicelib.errors import ValidationError


@dataclass(frozen=True)
class KeyPosition:
    text: str | None  # the cursor given, if any
    newest_first: bool
    from_ms: int | None
    skip: int
    limit: int


def uuid7_ms(item_id: str) -> int:
    return int(item_id[:8] + item_id[9:13], 16)


def key_position(call: Call, *, default_order: str = "desc") -> KeyPosition:
    """``cursor`` (forward only), else ``since``; ``order`` asc or desc; ``limit`` 1 to 100."""
    args = call.query
    limit = protocol.integer(args, "limit", default=25, low=1, high=100)
    order = protocol.one(args, "order") or default_order
    if order not in ("asc", "desc"):
        raise ValidationError("is asc or desc.", field="order")
    text, since = protocol.one(args, "cursor"), protocol.one(args, "since")
    cursor = Cursor.decode(text) if text else None
    if cursor is not None and cursor.prev:
        raise ValidationError("this list pages forward only: use next.", field="cursor")
    from_ms = cursor.at_us // 1000 if cursor else None
    if from_ms is None and since:
        from_ms = int(protocol.parse_timestamp(since, "since").timestamp() * 1000)
    return KeyPosition(text, order == "desc", from_ms, cursor.offset if cursor else 0, limit)


def key_page(position: KeyPosition, read_ids: list[str], views: list[Any], more: bool) -> Reply:
    """The page's views with the cursor of the next page, from the ids of the items read
    (before any filter in memory: the key range moves past what was read)."""
    if read_ids:
        last_ms = uuid7_ms(read_ids[-1])
        same = sum(1 for i in read_ids if uuid7_ms(i) == last_ms)
        following = Cursor(last_ms * 1000, same + (position.skip if position.from_ms == last_ms else 0))
    else:
        at = position.from_ms * 1000 if position.from_ms is not None else time.time_ns() // 1000
        following = Cursor(at, position.skip)
    cursor = {
        "prev": None,
        "hasNext": more,
        "next": following.encode(),
        "hasPrev": False,
        "total": None,
        "id": position.text or Cursor(following.at_us, 0).encode(),
        "more": more,
    }
    return Reply(views, pagination=cursor)


def one_page(views: list[Any]) -> Reply:
    """A list answered whole (the items named): no next page; ``next`` is "now"."""
    return key_page(KeyPosition(None, True, None, 0, len(views)), [], views, False)
