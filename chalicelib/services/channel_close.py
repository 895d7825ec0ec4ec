"""Closing a channel (Admin v2 ``POST /api/v2/channel/:channelId/close``): irreversible.

The close marks the channel (``closed_at``) in the transaction that starts the job's progress
record and raises ``channel.didClose``; from then on every surface reads the mark where it
reads the channel (0 extra calls) and answers E_CHANNEL_CLOSED (410): membership stops
counting at once, while the job (workers/channel_close.py, queue ``closes``) deletes the
channel's items in batches: messages and replies, their reactions (each message's partition),
pins, members and bans, and the files of those messages (S3 objects, thumbnails, records).

A batch: note what it will delete on the progress record (``pending_*``), delete (files first,
then each message's partition, then the channel's items: whatever is left of a crashed batch
is still found from the channel's items), then move the last key on and count the batch
(conditional on the step read). A redelivery of a crashed batch deletes what remains and
counts the noted figures once. Then the next step is queued; at the end the record says done.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import Forbidden, NotFound, ValidationError
from chalicelib.ids import now_iso
from chalicelib.services import admin_channels
from chalicelib.store import channel_close as close_store
from chalicelib.store import channels as channel_store
from chalicelib.store import files as file_store
from chalicelib.store import keys, objects
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import Channel, ChannelCloseProgress, Event
from chalicelib.store.outbox import new_event

QUEUE = "closes"
BATCH = 100  # channel items per step (each message's reactions come with it)
STEP = "channel.closeStep"  # the body of a continuation message (not an event)
THUMBNAIL_SIZES = ("small", "medium", "large")


def close(principal: Principal, name: str) -> dict[str, Any]:
    """Close the channel (a second close answers the same: idempotent)."""
    workspace_id = admin_channels.require_admin(principal)
    channel_id = channel_store.channel_ids_for_names(workspace_id, [name.lower()]).get(name.lower())
    channel = channel_store.get(channel_id) if channel_id else None
    if channel is None or channel.workspace_id != workspace_id:
        admin_channels.find(principal, name)  # the usual 400/404
        raise NotFound("Channel not found.")
    if not channel.closed_at:
        channel = admin_channels.find(principal, name).channel
        if channel.channel_type == "comments":
            raise ValidationError("A comments thread cannot be closed (Disqus: threads/close).", field="channelId")
        if channel.is_default:
            raise Forbidden("#general cannot be closed.")
        at = now_iso()
        try:
            close_store.close(channel, principal.user_id, at, close_event(channel, principal.user_id, at))
            channel.closed_at, channel.closed_by = at, principal.user_id
        except ConditionFailed:  # closed meanwhile
            channel = channel_store.get(channel.id) or channel
    record = close_store.progress(channel.id)
    return {"channels": [close_view(channel, record)]}


def close_event(channel: Channel, by: str, at: str) -> Event:
    """``channel.didClose`` (webhooks; the job's first batch)."""
    data = {"workspaceId": channel.workspace_id, "channelId": channel.id, "name": channel.name}
    return new_event("channel.didClose", {**data, "closedBy": by, "closedAt": at}, workspace_id=channel.workspace_id)


def close_view(channel: Channel, record: ChannelCloseProgress | None) -> dict[str, Any]:
    view = admin_channels.channel_view(channel)
    view["closedAt"], view["closedBy"] = channel.closed_at, channel.closed_by
    view["close"] = progress_view(record)
    return view


def progress_view(record: ChannelCloseProgress | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "done": bool(record.done),
        "steps": int(record.step),
        "messagesDeleted": int(record.messages_deleted),
        "itemsDeleted": int(record.items_deleted),
        "filesDeleted": int(record.files_deleted),
        "startedAt": record.started_at,
        "finishedAt": record.finished_at,
    }


# --- the job ---------------------------------------------------------------------------------


def handle_message(body: dict[str, Any]) -> None:
    """One SQS message: the ``channel.didClose`` event (step 0) or a continuation."""
    if body.get("type") == "channel.didClose":
        run_step(body["data"]["channelId"], 0)
    elif body.get("type") == STEP:
        run_step(body["channelId"], int(body["step"]))


def run_step(channel_id: str, step: int) -> bool:
    """Delete one batch; True if it queued the next step. A stale step (a duplicate message)
    or a finished job does nothing."""
    record = close_store.progress(channel_id)
    if record is None or record.done or int(record.step) != step:
        return False
    if record.pending_last is None:
        items = close_store.channel_items(channel_id, record.last_key, BATCH)
        if not items:
            close_store.finish(record, now_iso())
            return False
        partitions, file_ids = _dependents(items)
        messages = sum(1 for i in items if _is_message(i))
        close_store.begin_batch(record, items[-1]["SK"]["S"], messages, len(items) + len(partitions), len(file_ids))
        record.pending_last = items[-1]["SK"]["S"]
        record.pending_messages, record.pending_items = messages, len(items) + len(partitions)
        record.pending_files = len(file_ids)
    else:  # a redelivery of a batch that crashed: what is left of it
        items = [
            i
            for i in close_store.channel_items(channel_id, record.last_key, BATCH)
            if i["SK"]["S"] <= record.pending_last
        ]
        partitions, file_ids = _dependents(items)
    _delete_files(file_ids)
    close_store.delete_keys(partitions)
    close_store.delete_keys([(i["PK"]["S"], i["SK"]["S"]) for i in items])
    close_store.finish_batch(record)
    _queue_step(channel_id, step + 1)
    return True


def _is_message(item: dict[str, Any]) -> bool:
    return item["SK"]["S"].startswith((keys.MESSAGE_PREFIX, keys.reply("")[:4]))


def _dependents(items: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], list[str]]:
    """Each message's partition keys and its files' ids."""
    partitions: list[tuple[str, str]] = []
    file_ids: list[str] = []
    for item in items:
        if not _is_message(item) or "id" not in item:
            continue
        partitions += close_store.message_partition(item["id"]["S"])
        for attached in item.get("attachments", {}).get("L", []):
            file_id = attached.get("M", {}).get("id", {}).get("S")
            if file_id:
                file_ids.append(file_id)
    return partitions, file_ids


def _delete_files(file_ids: list[str]) -> None:
    """The objects (upload, promoted copy, thumbnails) then the records."""
    found = file_store.get_many(file_ids)
    doomed: list[str] = []
    for item in found.values():
        doomed += [
            item.object_key,
            keys.quarantine_object(item.workspace_id, item.id),
            keys.promoted_object(item.workspace_id, item.id),
        ]
        doomed += [str(k) for k in (item.thumbnails.as_dict() if item.thumbnails else {}).values()]
        doomed += [keys.thumbnail_object(item.workspace_id, item.id, size) for size in THUMBNAIL_SIZES]
    doomed = sorted(set(doomed))
    for start in range(0, len(doomed), 1000):  # DeleteObjects' limit
        objects.delete(*doomed[start : start + 1000])
    close_store.delete_keys([(keys.file(i), keys.META) for i in sorted(set(file_ids))])


def _queue_step(channel_id: str, step: int) -> None:
    from chalicelib.aws import client

    body = {"type": STEP, "channelId": channel_id, "step": step}
    client("sqs").send_message(QueueUrl=get_settings().queue_url(QUEUE), MessageBody=json.dumps(body))
