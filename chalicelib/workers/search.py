"""The search indexer: keeps the index (chalicelib/services/search.py) current from events.

Messages are re-read from the table rather than taken from the event (events may omit the text
of a large message, and carry neither attachments nor HTML, which ``has:file``/``has:link``
need): whatever the order of deliveries, the index gets the item's current state, and its
version (the latest of createdAt/editedAt) keeps a late older edit from winning. A deletion is
final in the index. Exactly-once per event through claims (chalicelib/workers/consumer.py);
every step is idempotent anyway, so a redelivery after a crash changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.services import search
from chalicelib.store import files as file_store
from chalicelib.store import keys
from chalicelib.store import messages as message_store
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store

CONSUMER = "search"


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


_warned_unconfigured = False


def handle(event: dict[str, Any]) -> None:
    if not search.configured():
        _skip(event)
        return
    kind, data = event["type"], event["data"]
    if kind in ("message.created", "message.updated"):
        _message(data)
    elif kind == "message.deleted":
        search.unindex_message(data["workspaceId"], data["id"])
    elif kind == "file.ready":
        _file(data["fileId"], None)
    elif kind == "file.deleted":
        search.index().delete_file(data["workspaceId"], data["fileId"])
    elif kind == "user.updated":
        _profile(data["userId"], _ms(event["createdAt"]))
    elif kind == "member.joined" and "channelId" not in data:  # the workspace's, not a channel's
        _member(data["workspaceId"], data["userId"], _ms(event["createdAt"]))
    elif kind in ("member.left", "member.removed") and "channelId" not in data:
        search.index().delete_user(data["workspaceId"], data["userId"], _ms(event["createdAt"]))
    elif kind == "workspace.created":
        _member(data["workspaceId"], data["ownerId"], _ms(event["createdAt"]))


def _skip(event: dict[str, Any]) -> None:
    """No index on this deployment: acknowledge the event (nothing piles up in the DLQ), log
    once per container and count it, so an operator sees what a reindex will have to cover."""
    global _warned_unconfigured
    from chalicelib.observability import count, logger

    if not _warned_unconfigured:
        _warned_unconfigured = True
        logger().warning(
            "search is not configured: events acknowledged without indexing", extra={"type": event["type"]}
        )
    count("SearchEventsSkipped")


def _message(data: dict[str, Any]) -> None:
    thread_id = data.get("threadId")
    sort_key = keys.reply(thread_id, data["id"]) if thread_id else keys.message(data["id"])
    message = message_store.get(data["channelId"], sort_key)
    if message is None:  # deleted since: its own event removes it (and removing twice is harmless)
        search.unindex_message(data["workspaceId"], data["id"])
        return
    search.index_message(message)
    for attached in message.attachments or []:
        summary = attached.as_dict() if hasattr(attached, "as_dict") else dict(attached)
        if summary.get("id") and summary.get("status") == "ready":
            _file(summary["id"], message.channel_id)


def _file(file_id: str, channel_id: str | None) -> None:
    """A ready file is searchable in a channel it was shared in (uploads not yet attached wait
    for their message). One channel per file for now: the port's FileDoc has one."""
    item = file_store.get(file_id)
    if item is None or item.status != "ready":
        return
    shared = sorted(item.public_channel_ids or ()) + sorted(item.private_channel_ids or ())
    channel = channel_id if channel_id in shared else (shared[0] if shared else None)
    if channel is not None:
        search.index_file(item, channel, _ms(item.processed_at or item.created_at))


def _member(workspace_id: str, user_id: str, version: int) -> None:
    user = user_store.get_user(user_id)
    if user is not None:
        search.index_user(workspace_id, user, version)


def _profile(user_id: str, version: int) -> None:
    """A new display name, in every workspace the person is in (their memberships, a page at a
    time). The event's time is the version: a late join or leave keeps its own order."""
    user = user_store.get_user(user_id)
    if user is None:
        return
    position = None
    while True:
        page = workspace_store.memberships_of_user(user_id, limit=100, position=position)
        for membership in page.items:
            search.index_user(membership.workspace_id, user, version)
        if page.position is None:
            return
        position = page.position


def handle_batch(raw_event: dict[str, Any]) -> dict[str, Any]:
    """A Lambda SQS event -> the partial batch response (only failed messages return)."""
    from chalicelib.workers.consumer import process_sqs_batch

    return process_sqs_batch(raw_event, CONSUMER, handle)
