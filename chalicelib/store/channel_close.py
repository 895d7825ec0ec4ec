"""Closing a channel (Admin v2): the close itself and the job's batches (docs/admin-v2.md).

The close is one transaction: the channel's ``closed_at``/``closed_by`` (only if not closed
already), the job's progress record (``CH#id`` / ``CLOSE``) and the ``channel.didClose`` event,
which the router queues for the job. A batch is a Query of the channel's partition after the
last deleted key (META and the progress record stay: the channel answers closed forever and
its name stays taken), each message's own partition (reactions, ranks, votes, flags) and
BatchWriteItem deletes, 25 keys a call.
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.store import keys
from chalicelib.store.db import connection, fetch, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import Channel, ChannelCloseProgress, Entity, Event

WRITE_BATCH = 25  # BatchWriteItem's limit
KEPT = (keys.META, keys.CHANNEL_CLOSE)


def close(channel: Channel, by: str, at: str, event: Event) -> None:
    """Mark the channel closed and start the job's record; ConditionFailed if closed already."""
    progress = ChannelCloseProgress(
        keys.channel(channel.id),
        keys.CHANNEL_CLOSE,
        channel_id=channel.id,
        workspace_id=channel.workspace_id,
        started_at=at,
    )
    try:
        with transaction() as tx:
            tx.update(
                channel,
                actions=[Channel.closed_at.set(at), Channel.closed_by.set(by)],
                condition=Channel.PK.exists() & Channel.closed_at.does_not_exist(),
            )
            tx.save(progress, condition=ChannelCloseProgress.PK.does_not_exist())
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def progress(channel_id: str) -> ChannelCloseProgress | None:
    return fetch(ChannelCloseProgress, keys.channel(channel_id), keys.CHANNEL_CLOSE, consistent=True)


def channel_items(channel_id: str, after: str | None, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` items of the channel's partition after ``after`` (the kept ones left out),
    raw: their keys and, for messages (``MSG#``/``RPL#``), the id and attachments."""
    found: list[dict[str, Any]] = []
    start = {"PK": {"S": keys.channel(channel_id)}, "SK": {"S": after}} if after else None
    while len(found) < limit:
        request: dict[str, Any] = {
            "TableName": Entity.Meta.table_name,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.channel(channel_id)}},
            "ProjectionExpression": "PK, SK, #id, #files",
            "ExpressionAttributeNames": {"#id": "id", "#files": "attachments"},
            "Limit": limit - len(found),
            "ConsistentRead": True,
        }
        if start:
            request["ExclusiveStartKey"] = start
        answer = connection().client.query(**request)
        found += [i for i in answer.get("Items", []) if i["SK"]["S"] not in KEPT]
        start = answer.get("LastEvaluatedKey")
        if not start:
            break
    return found


def message_partition(message_id: str) -> list[tuple[str, str]]:
    """Every key under ``MSG#id`` (reactions, their ranks, votes, flags): a keys-only Query."""
    found: list[tuple[str, str]] = []
    start = None
    while True:
        request: dict[str, Any] = {
            "TableName": Entity.Meta.table_name,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.message(message_id)}},
            "ProjectionExpression": "PK, SK",
        }
        if start:
            request["ExclusiveStartKey"] = start
        answer = connection().client.query(**request)
        found += [(i["PK"]["S"], i["SK"]["S"]) for i in answer.get("Items", [])]
        start = answer.get("LastEvaluatedKey")
        if not start:
            return found


def delete_keys(pairs: list[tuple[str, str]]) -> None:
    """BatchWriteItem deletes, 25 a call, unprocessed ones retried with backoff (deleting
    an item that is gone already is a no-op: a redelivered batch repeats them safely)."""
    client = connection().client
    table = Entity.Meta.table_name
    for start in range(0, len(pairs), WRITE_BATCH):
        chunk = pairs[start : start + WRITE_BATCH]
        requests = [{"DeleteRequest": {"Key": {"PK": {"S": pk}, "SK": {"S": sk}}}} for pk, sk in chunk]
        pause = 0.05
        while requests:
            answer = client.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])
            if requests:
                time.sleep(pause)
                pause *= 2


def begin_batch(record: ChannelCloseProgress, last: str, messages: int, items: int, files: int) -> None:
    """Note what this batch will delete before deleting it; ConditionFailed if another
    delivery moved the record on meanwhile."""
    _update(
        record,
        [
            ChannelCloseProgress.pending_last.set(last),
            ChannelCloseProgress.pending_messages.set(messages),
            ChannelCloseProgress.pending_items.set(items),
            ChannelCloseProgress.pending_files.set(files),
        ],
    )


def finish_batch(record: ChannelCloseProgress) -> None:
    """The noted batch is deleted: move the last key on and count it, once."""
    _update(
        record,
        [
            ChannelCloseProgress.last_key.set(record.pending_last),
            ChannelCloseProgress.messages_deleted.add(record.pending_messages or 0),
            ChannelCloseProgress.items_deleted.add(record.pending_items or 0),
            ChannelCloseProgress.files_deleted.add(record.pending_files or 0),
            ChannelCloseProgress.step.add(1),
            ChannelCloseProgress.pending_last.remove(),
            ChannelCloseProgress.pending_messages.remove(),
            ChannelCloseProgress.pending_items.remove(),
            ChannelCloseProgress.pending_files.remove(),
        ],
    )


def finish(record: ChannelCloseProgress, at: str) -> None:
    _update(record, [ChannelCloseProgress.done.set(True), ChannelCloseProgress.finished_at.set(at)])


def _update(record: ChannelCloseProgress, actions: list[Any]) -> None:
    """Conditional on the step read: two deliveries of one step never both count it."""
    from pynamodb.exceptions import UpdateError

    try:
        record.update(actions=actions, condition=ChannelCloseProgress.step == record.step)
    except UpdateError as error:
        if "ConditionalCheckFailed" in str(error):
            raise ConditionFailed() from None
        raise
