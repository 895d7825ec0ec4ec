"""Channel tags (Admin v2's ``tags`` filter): one small item per tag of a channel.

``CHTAG#<workspace id>#<tag>`` / ``CH#<channel id>``: a tag's channels are one Query over
that partition, ordered by channel id (UUIDv7: creation order), never a Scan. The items
are written in the channel's creation transaction (``services/channels.create``), so a
channel and its tags appear together. Tags are lower-cased in the key: the filter is
case-insensitive, as channel names are.
"""

from __future__ import annotations

from typing import Any

from chalicelib.store import keys
from chalicelib.store.models import ChannelTag
from chalicelib.store.pages import Page, query_page


def tag_partition(workspace_id: str, tag: str) -> str:
    return f"CHTAG#{workspace_id}#{tag.lower()}"


def tag_items(workspace_id: str, channel_id: str, tags: list[str]) -> list[ChannelTag]:
    """What a new channel with these tags writes besides itself."""
    return [
        ChannelTag(tag_partition(workspace_id, tag), keys.channel(channel_id), channel_id=channel_id)
        for tag in dict.fromkeys(t.lower() for t in tags)
    ]


def channels_with_tag(workspace_id: str, tag: str, *, limit: int, position: dict[str, Any] | None) -> Page[ChannelTag]:
    return query_page(ChannelTag, tag_partition(workspace_id, tag), limit=limit, position=position)
