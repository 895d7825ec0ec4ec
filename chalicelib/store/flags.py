"""Flags: a user's report of a message (v1, Disqus posts/report) or of a member.

- ``MSG#<id>`` / ``FLAG#<uid>``: one per flagger, written with the message's ``num_reports``
  (and the flagged facts of a post: 5, and 11 at FLAG_LIMIT) in one transaction, so the
  count stays exact and a second flag by the same user changes nothing;
- ``WS#<wid>`` / ``USERFLAG#<uid>#<flagger>``: one per flagger, written with the user's
  summary ``WS#<wid>`` / ``FLAGGED#<uid>`` (its count): the workspace's flagged users are
  one Query of ``FLAGGED#`` (Admin v2 users query, filter flagged).
"""

from __future__ import annotations

from contextlib import suppress

from pynamodb.exceptions import UpdateError

from chalicelib.store import keys
from chalicelib.store.db import fetch, transaction
from chalicelib.store.models import Flag, FlaggedUser, Message

FLAG_LIMIT = 3  # flags after which a post is "at flag limit" (Disqus filter 11)


def flag_message(message: Message, flagger_id: str, reason: str | None, at: str) -> int:
    """The flag and the message's count; AlreadyExists("flag") if this user flagged it.
    Returns the new count."""
    item = Flag(
        keys.message(message.id),
        keys.flag(flagger_id),
        target_id=message.id,
        workspace_id=message.workspace_id,
        channel_id=message.channel_id,
        flagger_id=flagger_id,
        reason=reason,
        flagged_at=at,
    )
    count = int(message.num_reports or 0) + 1
    with transaction(taken=("flag",)) as tx:
        tx.save(item, condition=Flag.PK.does_not_exist(), label="flag")
        counted = [Message.num_reports.add(1), Message.facts.add({5})]
        tx.update(message, actions=counted, condition=Message.PK.exists())
    if count >= FLAG_LIMIT - 1:  # concurrent flags may have reached the limit: check on the item
        with suppress(UpdateError):
            message.update(actions=[Message.facts.add({11})], condition=Message.num_reports >= FLAG_LIMIT)
    return count


def flagged_by(message_id: str, flagger_id: str) -> bool:
    return fetch(Flag, keys.message(message_id), keys.flag(flagger_id)) is not None


def flag_user(workspace_id: str, user_id: str, flagger_id: str, reason: str | None, at: str) -> None:
    """The flag and the user's summary in the workspace; AlreadyExists("flag") if this
    flagger flagged them already."""
    item = Flag(
        keys.workspace(workspace_id),
        keys.user_flag(user_id, flagger_id),
        target_id=user_id,
        workspace_id=workspace_id,
        flagger_id=flagger_id,
        reason=reason,
        flagged_at=at,
    )
    summary = FlaggedUser(keys.workspace(workspace_id), keys.flagged_user(user_id))
    with transaction(taken=("flag",)) as tx:
        tx.save(item, condition=Flag.PK.does_not_exist(), label="flag")
        tx.update(
            summary,
            actions=[
                FlaggedUser.flag_count.add(1),
                FlaggedUser.user_id.set(user_id),
                FlaggedUser.workspace_id.set(workspace_id),
                FlaggedUser.last_flagged_at.set(at),
                FlaggedUser.type.set(FlaggedUser),  # an upsert: the discriminator too
            ],
        )


def user_flag_count(workspace_id: str, user_id: str) -> int:
    summary = fetch(FlaggedUser, keys.workspace(workspace_id), keys.flagged_user(user_id), consistent=True)
    return int(summary.flag_count) if summary is not None else 0
