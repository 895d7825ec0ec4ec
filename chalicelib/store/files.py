"""File records. Processing is made exactly-once by the record's own state change
(``pending`` -> ``processing`` under a condition, with a lease a crashed processor
loses), whatever delivered the work: the S3 notification or a confirm."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.store import keys
from chalicelib.store.db import fetch, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import Entity, Event, File
from chalicelib.store.pages import Page, query_page

# An unconfirmed upload's record goes with its quarantined object (1-day lifecycle).
PENDING_TTL = timedelta(days=2)


def _conditional(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def new_file(file_id: str, workspace_id: str, **attributes: Any) -> File:
    return File(
        keys.file(file_id),
        keys.META,
        GSI1PK=keys.workspace_files(workspace_id),
        GSI1SK=file_id,
        id=file_id,
        workspace_id=workspace_id,
        object_key=keys.quarantine_object(workspace_id, file_id),
        status="pending",
        ttl=PENDING_TTL,
        **attributes,
    )


def put(item: File) -> None:
    item.save(condition=File.PK.does_not_exist())


def get(file_id: str) -> File | None:
    return fetch(File, keys.file(file_id), keys.META, consistent=True)


def get_many(file_ids: list[str]) -> dict[str, File]:
    if not file_ids:
        return {}
    return {f.id: f for f in File.batch_get([(keys.file(i), keys.META) for i in set(file_ids)])}


def claim(item: File, lease_seconds: int) -> bool:
    """pending (or processing under an expired lease) -> processing; False if another
    delivery has it or it is done."""
    now = int(time.time())
    try:
        item.update(
            actions=[File.status.set("processing"), File.lease_until.set(now + lease_seconds)],
            condition=(File.status == "pending") | ((File.status == "processing") & (File.lease_until < now)),
        )
        return True
    except UpdateError as error:
        if _conditional(error):
            return False
        raise


def release(item: File, error: str) -> None:
    """Back to pending after a failure (the queue retries; its DLQ keeps the last)."""
    item.update(
        actions=[
            File.status.set("pending"),
            File.lease_until.set(0),
            File.failures.add(1),
            File.last_error.set(error[:500]),
        ],
        condition=File.status == "processing",
    )


def finish(item: File, changes: dict[str, Any], event: Event | None = None) -> None:
    """Record the outcome (ready or rejected); a finished file is kept (no TTL). With
    an event (file.ready / file.rejected), both commit in one transaction."""
    actions = [getattr(File, name).set(value) for name, value in changes.items()]
    actions += [File.ttl.remove(), File.lease_until.set(0)]
    if event is None:
        item.update(actions=actions, condition=File.status == "processing")
        return
    with transaction() as tx:
        tx.update(item, actions=actions, condition=File.status == "processing")
        tx.save(event)


def share(item: File, channel_id: str, private: bool, message_ref: str) -> None:
    channels = File.private_channel_ids if private else File.public_channel_ids
    item.update(actions=[channels.add({channel_id}), File.message_refs.add({message_ref})], condition=File.PK.exists())


def list_for_workspace(workspace_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[File]:
    return query_page(
        File, keys.workspace_files(workspace_id), index="GSI1", limit=limit, position=position, newest_first=True
    )


def delete(item: File, event: Event) -> None:
    """The record and its file.deleted event, together; ConditionFailed if already gone."""
    try:
        with transaction() as tx:
            tx.delete(item, condition=File.PK.exists())
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def channel_memberships(user_id: str, channel_ids: set[str]) -> set[str]:
    """Which of these channels the user is a member of (one batch)."""
    if not channel_ids:
        return set()
    wanted = [(keys.channel(c), keys.member(user_id)) for c in sorted(channel_ids)]
    return {item.PK.removeprefix("CH#") for item in Entity.batch_get(wanted)}
