"""How much of a list fits in one response.

Lambda returns at most 6 MB (6,291,456 bytes), and a message may show up to about
1 MB of JSON on the wire (40,000 emoji in ``content`` and again in ``contentHtml``),
so a page of messages can exceed it long before ``limit``. Lists of messages (history,
thread replies, pins, the threads list) keep the items of a page under PAGE_BYTES
(5 MB): the page ends before the first item that would not fit, with
``hasMore: true`` and a ``nextCursor`` that continues right after the last item shown.
A page always holds at least one item (one message is far below the budget).

Sizes are counted as Lambda carries them: the route's JSON body (compact, UTF-8) is a
string inside the proxy response, JSON-encoded again with non-ASCII escaped (as the
Python 3.11 runtime does), so a quote counts 4 bytes and an emoji 12.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

PAGE_BYTES = 5_000_000

T = TypeVar("T")


def wire_bytes(value: Any) -> int:
    """What ``value`` adds to a Lambda response, as an element of a JSON array."""
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return len(json.dumps(body)) - 2 + 1  # without the string's quotes; with a comma


class Budget(Generic[T]):
    """Renders the items of a page as they are read and admits them while they fit.

    ``admit`` is what the store's pages call for each item (store.pages.Admit);
    ``shown`` then renders the kept items, reusing what ``admit`` rendered."""

    def __init__(self, render: Callable[[T], Any], limit: int = PAGE_BYTES):
        self.render = render
        self.limit = limit
        self.used = 0
        self.admitted = 0
        self._rendered: dict[int, Any] = {}

    def reserve(self, value: Any) -> None:
        """Count something else the response holds (a thread's parent)."""
        self.used += wire_bytes(value)

    def admit(self, item: T) -> bool:
        view = self.render(item)
        size = wire_bytes(view)
        if self.admitted and self.used + size > self.limit:
            return False
        self.used += size
        self.admitted += 1
        self._rendered[id(item)] = view
        return True

    def shown(self, items: list[T]) -> list[Any]:
        return [self._rendered[id(i)] if id(i) in self._rendered else self.render(i) for i in items]
