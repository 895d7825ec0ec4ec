"""Pins: any channel member pins or unpins a message of that channel; anyone who
can read the channel lists them. At most PIN_LIMIT pins per channel (Slack's 100)."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.ids import now_iso
from chalicelib.services import messages, system_messages
from chalicelib.store import messages as message_store
from chalicelib.store.errors import AlreadyExists, ConditionFailed
from chalicelib.store.models import Message, Pin
from chalicelib.store.pages import Admit

PIN_LIMIT = 100


def list_pins(
    principal: Principal,
    channel_id: str,
    *,
    limit: int,
    position: dict[str, Any] | None,
    admit: Admit[tuple[Pin, Message]] | None = None,
) -> tuple[list[tuple[Pin, Message]], dict[str, Any] | None]:
    """``admit``: the response budget (store.pages)."""
    messages.channel_for_reading(principal, channel_id, scopes.MESSAGES_READ)
    return message_store.list_pins(channel_id, limit=limit, position=position, admit=admit)


def pin(principal: Principal, channel_id: str, message_id: str) -> tuple[Pin, Message]:
    channel = messages.channel_for_posting(principal, channel_id)
    found = messages.locate(principal, message_id, scopes.MESSAGES_WRITE)
    if found.message.channel_id != channel.id or found.message.deleted:
        raise ValidationError("messageId must be a message of this channel.", field="messageId")
    item = message_store.new_pin(channel, found.message, principal.user_id, now_iso())
    try:
        message_store.pin(
            channel, item, PIN_LIMIT, also=[system_messages.pinned(channel, principal.user_id, found.message.id)]
        )
    except AlreadyExists:
        raise Conflict("This message is already pinned.") from None
    except ConditionFailed:
        raise Conflict(f"A channel holds at most {PIN_LIMIT} pins: unpin one first.") from None
    return item, found.message


def unpin(principal: Principal, channel_id: str, message_id: str) -> None:
    channel = messages.channel_for_posting(principal, channel_id)
    try:
        message_store.unpin(channel, message_id)
    except ConditionFailed:
        raise NotFound("That message is not pinned in this channel.") from None
