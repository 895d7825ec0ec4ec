"""Messages Disqua writes itself (type ``system``): someone joined a channel, a
channel was renamed, a message was pinned. Each is written in the same transaction
as the change it reports, so it exists exactly when the change does, and it reaches
consumers as an ordinary ``message.created`` event."""

from __future__ import annotations

from html import escape

from chalicelib.ids import new_id, now_iso
from chalicelib.store import messages as message_store
from chalicelib.store.models import Channel, Message


def _system(channel: Channel, actor_id: str, text: str) -> Message:
    return message_store.new_message(
        new_id(),
        channel,
        parent_id=None,
        author_id=actor_id,
        content=text,
        content_html=f"<p>{escape(text)}</p>",
        kind="system",
        created_at=now_iso(),
    )


def joined(channel: Channel, user_id: str, added_by: str) -> Message:
    text = f"joined #{channel.name}" if added_by == user_id else f"was added to #{channel.name}"
    return _system(channel, user_id, text)


def renamed(channel: Channel, actor_id: str, old_name: str, new_name: str) -> Message:
    return _system(channel, actor_id, f"renamed the channel from #{old_name} to #{new_name}")


def pinned(channel: Channel, actor_id: str, message_id: str) -> Message:
    item = _system(channel, actor_id, "pinned a message to this channel")
    item.attachments = [{"kind": "pin", "messageId": message_id}]
    return item
