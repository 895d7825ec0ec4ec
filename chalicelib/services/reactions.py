"""Reactions: one per user per emoji (adding it again changes nothing), removing
only your own. Emoji are Unicode emoji (one, with skin tones and ZWJ sequences) or a
``:shortcode:``. The message keeps exact counts and up to
``store.messages.REACTION_USERS_CAP`` user ids per emoji (past that, ``userIds`` is a
sample and ``count`` the truth).

A message holds at most ``store.messages.REACTIONS_CAP`` (20) distinct emoji, as on
Discord: one more is 409 E_CONFLICT (reacting with an emoji already there still works).
Every reaction grows the message item (its count and listed user ids), and DynamoDB
items are capped at 400 KB; the store's docstring has the arithmetic. An emoji is at
most ``EMOJI_MAX_BYTES`` (52) bytes of UTF-8."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, NotFound, ValidationError
from chalicelib.ids import now_iso
from chalicelib.services import messages
from chalicelib.store import keys
from chalicelib.store import messages as message_store
from chalicelib.store.errors import AlreadyExists, ConditionFailed
from chalicelib.store.models import Message, Reaction

SHORTCODE = re.compile(r":[a-z0-9_+-]{1,50}:")
ATTEMPTS = 8  # concurrent reactors on one message retry on a changed aggregate


def emoji_doc_pattern() -> str:
    """What validate_emoji accepts, for the OpenAPI document: a :shortcode: or a single
    code point that is an emoji (sequences, skin tones and ZWJ families are accepted too,
    but a regex listing them would be huge)."""
    import emoji

    from chalicelib.http.schema import char_class

    singles = [code for code in range(0x20, 0x20000) if emoji.is_emoji(chr(code))]
    return f"{SHORTCODE.pattern}|[{char_class(singles)}]"


def validate_emoji(value: str, field: str = "emoji") -> str:
    value = value.strip()
    if len(value.encode()) > message_store.EMOJI_MAX_BYTES:
        raise ValidationError(f"{field} must be one emoji or a :shortcode:.", field=field)
    if SHORTCODE.fullmatch(value):
        return value
    import emoji  # ~80 ms: only when someone reacts

    if emoji.is_emoji(value):
        return value
    raise ValidationError(f"{field} must be one emoji or a :shortcode:.", field=field)


def _with_retries(action: Callable[[Message], None], principal: Principal, message_id: str) -> Message:
    for attempt in range(ATTEMPTS):
        message = messages.locate(principal, message_id, scopes.MESSAGES_WRITE).message
        if message.deleted:
            raise NotFound("Message not found.")
        try:
            action(message)
            # The message as it is now (one strongly consistent read), for the answer.
            return message_store.get(message.channel_id, message.SK) or message
        except ConditionFailed as failure:
            if str(failure) == "not reacted":
                raise NotFound("You have not reacted with this emoji.") from None
            time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - jitter, not crypto
    raise Conflict("Too many people are reacting to this message at once: retry.")


def add(principal: Principal, message_id: str, emoji: str) -> Message:
    emoji = validate_emoji(emoji)

    def react(message: Message) -> None:
        tally = message.reaction_tally()
        if emoji not in tally and len(tally) >= message_store.REACTIONS_CAP:
            raise Conflict(
                f"A message holds at most {message_store.REACTIONS_CAP} different reactions: "
                "react with one that is already there.",
                field="emoji",
            )
        reaction = Reaction(
            keys.message(message.id),
            keys.reaction(emoji, principal.user_id),
            message_id=message.id,
            channel_id=message.channel_id,
            workspace_id=message.workspace_id,
            emoji=emoji,
            user_id=principal.user_id,
            created_at=now_iso(),
        )
        try:
            message_store.add_reaction(message, reaction)
        except AlreadyExists:
            return  # reacting twice is reacting once

    return _with_retries(react, principal, message_id)


def remove(principal: Principal, message_id: str, emoji: str) -> Message:
    emoji = validate_emoji(emoji)
    return _with_retries(lambda m: message_store.remove_reaction(m, emoji, principal.user_id), principal, message_id)
