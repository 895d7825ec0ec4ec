"""In-app notifications, the per-user read watermark, and who was notified about a message.

Layout (docs/access-patterns.md, "Notifications"):
- a notification ``USER#uid`` / ``NOTIF#<id>``: a user's list is one Query, newest
  first; GSI1 ``NOTIFS#<uid>#<wid>`` / ``<id>`` is the same list for one workspace;
- ``USER#uid`` / ``NOTIFSTATE``: the read watermark. A notification is read when its
  ``read`` flag is set or its id is at most the watermark, so "mark all read" is one
  write whatever the number of notifications;
- ``NOTIFSRC#<messageId>`` / ``<eventId>#<step>``: the recipients one worker step
  notified about a message (what deletion and edits need, ~37 bytes per recipient).

Ids are UUIDv7-shaped and deterministic: the time part is the event's (milliseconds),
the rest a hash of the source and the recipient (``derived_id``). A redelivered worker
step writes the very same items. BatchWriteItem cannot carry conditions, so a step
that may have run before (``careful``) first reads which of its items exist and writes
only the missing ones: a notification the user already read is never written again.

Unread count: one strongly consistent Query with ``Select=COUNT`` over the ids above the
watermark, filtered on the flag (exact right after a mark-read; it reads the items
above the watermark: ~8 per read unit, and "mark all read" empties that range).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.store import keys
from chalicelib.store.db import connection, fetch
from chalicelib.store.models import (
    ChannelMember,
    Entity,
    Membership,
    Notification,
    NotificationSource,
    NotificationState,
    User,
)
from chalicelib.store.pages import Page, query_page

RETENTION = timedelta(days=90)
WRITE_BATCH = 25  # BatchWriteItem's limit
READ_BATCH = 100  # BatchGetItem's limit
_RETRY_PAUSE = 0.05  # seconds, doubled for every round of unprocessed items


def _conditional(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


# --- ids ---------------------------------------------------------------------------


def derived_id(epoch_ms: int, seed: str, recipient: str) -> str:
    """A UUIDv7-shaped id: 48 bits of time, the version and variant bits, 74 bits of
    sha256(seed, recipient). The same inputs always give the same id."""
    digest = int.from_bytes(hashlib.sha256(f"{seed}\x00{recipient}".encode()).digest()[:10], "big")
    rand_a, rand_b = (digest >> 62) & 0xFFF, digest & ((1 << 62) - 1)
    value = (epoch_ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    hexed = f"{value:032x}"
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


def watermark_at(epoch_ms: int) -> str:
    """The greatest id of that millisecond: every notification made up to then is below."""
    digits = f"{epoch_ms & ((1 << 48) - 1):012x}"
    return f"{digits[:8]}-{digits[8:]}-ffff-ffff-ffffffffffff"


# --- writing (the worker) ----------------------------------------------------------------


def new_notification(notification_id: str, user_id: str, workspace_id: str, **attributes: Any) -> Notification:
    return Notification(
        keys.user(user_id),
        keys.notification(notification_id),
        GSI1PK=keys.notifications_in(user_id, workspace_id),
        GSI1SK=notification_id,
        id=notification_id,
        user_id=user_id,
        workspace_id=workspace_id,
        read=False,
        ttl=RETENTION,
        **attributes,
    )


def _existing(client: Any, table: str, wanted: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The keys among ``wanted`` that exist (strongly consistent BatchGetItem, keys only)."""
    found: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), READ_BATCH):
        request: dict[str, Any] = {
            table: {
                "Keys": wanted[start : start + READ_BATCH],
                "ProjectionExpression": "PK, SK",
                "ConsistentRead": True,
            }
        }
        pause = _RETRY_PAUSE
        while request:
            answer = client.batch_get_item(RequestItems=request)
            found |= {(i["PK"]["S"], i["SK"]["S"]) for i in answer.get("Responses", {}).get(table, [])}
            request = answer.get("UnprocessedKeys") or {}
            if request:
                time.sleep(pause)
                pause *= 2
    return found


def write_all(items: list[Entity], *, careful: bool) -> int:
    """Put the items with BatchWriteItem (25 a call, unprocessed ones retried with
    backoff); returns how many were written. ``careful``: skip the items that exist
    already (a step that may have run before must not reset what users did since)."""
    client = connection().client
    table = Entity.Meta.table_name
    if careful and items:
        present = _existing(client, table, [{"PK": {"S": i.PK}, "SK": {"S": i.SK}} for i in items])
        items = [i for i in items if (i.PK, i.SK) not in present]
    for start in range(0, len(items), WRITE_BATCH):
        requests = [{"PutRequest": {"Item": i.serialize()}} for i in items[start : start + WRITE_BATCH]]
        pause = _RETRY_PAUSE
        while requests:
            answer = client.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])
            if requests:
                time.sleep(pause)
                pause *= 2
    return len(items)


def new_source(message_id: str, event_id: str, step: int, id_ms: int, seed: str, recipients: list[str]) -> Entity:
    return NotificationSource(
        keys.notification_source(message_id),
        f"{event_id}#{step}",
        message_id=message_id,
        id_ms=id_ms,
        seed=seed,
        recipients=recipients,
        ttl=RETENTION,
    )


def sources_of(message_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[NotificationSource]:
    return query_page(NotificationSource, keys.notification_source(message_id), limit=limit, position=position)


def notified_about(message_id: str) -> set[str]:
    """Everyone notified about the message so far (every page of its sources)."""
    return {
        r
        for s in NotificationSource.query(keys.notification_source(message_id), consistent_read=True)
        if isinstance(s, NotificationSource)
        for r in s.recipients or ()
    }


def clear_preview(user_id: str, notification_id: str) -> bool:
    """Empty the preview (the message is gone); False if there is no such notification."""
    try:
        Notification(keys.user(user_id), keys.notification(notification_id)).update(
            actions=[Notification.preview.set("")], condition=Notification.PK.exists()
        )
        return True
    except UpdateError as error:
        if _conditional(error):
            return False
        raise


# --- reading and marking (the API) -------------------------------------------------------


def watermark(user_id: str) -> str | None:
    state = fetch(NotificationState, keys.user(user_id), keys.NOTIFICATION_STATE, consistent=True)
    return state.watermark if state is not None else None


def list_page(
    user_id: str,
    *,
    workspace_id: str | None,
    unread_after: str | None,
    unread_only: bool,
    limit: int,
    position: dict[str, Any] | None,
) -> Page[Notification]:
    """Newest first. ``unread_only``: ids above ``unread_after`` (the watermark) whose
    flag is not set; the range keeps the read cost to what lies above the watermark."""
    floor = unread_after if unread_only else None
    flag = (Notification.read != True) if unread_only else None  # noqa: E712
    if workspace_id is not None:
        hash_key = keys.notifications_in(user_id, workspace_id)
        condition = Notification.GSI1SK.between(f"{floor}!", "~") if floor else None
        return query_page(
            Notification,
            hash_key,
            condition,
            limit=limit,
            position=position,
            newest_first=True,
            index="GSI1",
            filter_condition=flag,
        )
    lower, upper = keys.notification_range(floor)
    return query_page(
        Notification,
        keys.user(user_id),
        Notification.SK.between(lower, upper),
        limit=limit,
        position=position,
        newest_first=True,
        filter_condition=flag,
    )


def count_unread(user_id: str, after: str | None, workspace_id: str | None = None) -> int:
    """Exact (strongly consistent): unflagged notifications above the watermark."""
    lower, upper = keys.notification_range(after)
    condition = Notification.read != True  # noqa: E712
    if workspace_id is not None:
        condition = condition & (Notification.workspace_id == workspace_id)
    return Notification.count(
        keys.user(user_id), Notification.SK.between(lower, upper), filter_condition=condition, consistent_read=True
    )


def get_many(user_id: str, notification_ids: Iterable[str]) -> dict[str, Notification]:
    """The caller's notifications among these ids (strongly consistent BatchGetItem)."""
    wanted = [(keys.user(user_id), keys.notification(i)) for i in notification_ids]
    if not wanted:
        return {}
    found = Notification.batch_get(wanted, consistent_read=True)
    return {n.id: n for n in found if isinstance(n, Notification)}


def mark_read(user_id: str, notification_id: str) -> None:
    """Set the flag (one conditional write); a notification gone meanwhile is skipped."""
    try:
        Notification(keys.user(user_id), keys.notification(notification_id)).update(
            actions=[Notification.read.set(True)], condition=Notification.PK.exists()
        )
    except UpdateError as error:
        if not _conditional(error):
            raise


def raise_watermark(user_id: str, to: str) -> None:
    """Move the watermark forward to ``to`` (never back): one write."""
    # A put, not an update: the item is only the watermark, and a put also writes the
    # discriminator when the item is new.
    try:
        NotificationState(keys.user(user_id), keys.NOTIFICATION_STATE, watermark=to).save(
            condition=NotificationState.watermark.does_not_exist() | (NotificationState.watermark < to)
        )
    except PutError as error:
        if not _conditional(error):
            raise


# --- who may be notified ---------------------------------------------------------------


def members_and_users(
    channel_id: str | None, user_ids: Iterable[str], *, forum_of: str | None = None
) -> tuple[dict[str, ChannelMember], dict[str, User]]:
    """The channel memberships (when ``channel_id``) and profiles of these users:
    BatchGetItem, 100 keys a call. ``forum_of`` (a comments thread's workspace): nobody
    joins a comments thread, so its readers are the workspace's members, each taken as a
    member of the thread with the default notification level."""
    ids = sorted(set(user_ids))
    wanted = [(keys.user(u), keys.PROFILE) for u in ids]
    if forum_of is not None:
        wanted += [(keys.workspace(forum_of), keys.member(u)) for u in ids]
    elif channel_id is not None:
        wanted += [(keys.channel(channel_id), keys.member(u)) for u in ids]
    members: dict[str, ChannelMember] = {}
    users: dict[str, User] = {}
    for item in Entity.batch_get(wanted) if wanted else ():
        if isinstance(item, ChannelMember):
            members[item.user_id] = item
        elif isinstance(item, Membership) and channel_id is not None:
            members[item.user_id] = ChannelMember(
                channel_id=channel_id, workspace_id=item.workspace_id, user_id=item.user_id, joined_at=item.joined_at
            )
        elif isinstance(item, User):
            users[item.id] = item
    return members, users


# --- per-channel setting -----------------------------------------------------------------


def set_channel_level(channel_id: str, user_id: str, level: str) -> bool:
    """The member's notification level in that channel; False if not a member."""
    try:
        ChannelMember(keys.channel(channel_id), keys.member(user_id)).update(
            actions=[ChannelMember.notifications.set(level)], condition=ChannelMember.PK.exists()
        )
        return True
    except UpdateError as error:
        if _conditional(error):
            return False
        raise
