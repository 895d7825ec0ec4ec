"""Windows of a channel's history for Admin v2's message query (services/admin_messages.py).

A window is one key range of the channel partition, read either way: the top-level messages
(``CH#cid`` / ``MSG#<id>``) or one thread's replies (``CH#cid`` / ``RPL#<parent>#<id>``),
strictly between two message ids (keys.message_range: exclusive bounds are exact because
every id has the same length). Each read is one Query of ``limit`` + 1 items."""

from __future__ import annotations

from typing import Any

from chalicelib.store import keys
from chalicelib.store.models import Message
from chalicelib.store.pages import Page, query_page


def read(
    channel_id: str,
    *,
    parent_id: str | None,
    after_id: str | None,
    before_id: str | None,
    forward: bool,
    limit: int,
    position: dict[str, Any] | None,
) -> Page[Message]:
    prefix = keys.reply(parent_id) if parent_id else keys.MESSAGE_PREFIX
    lower, upper = keys.message_range(after_id=after_id, before_id=before_id, prefix=prefix)
    if lower > upper:
        return Page([], None)
    return query_page(
        Message,
        keys.channel(channel_id),
        Message.SK.between(lower, upper),
        limit=limit,
        position=position,
        newest_first=not forward,
    )


def get_many(channel_id: str, sort_keys: list[str]) -> dict[str, Message]:
    """Messages of one channel by sort key (one BatchGetItem), keyed by sort key."""
    if not sort_keys:
        return {}
    wanted = [(keys.channel(channel_id), sk) for sk in dict.fromkeys(sort_keys)]
    return {m.SK: m for m in Message.batch_get(wanted)}
