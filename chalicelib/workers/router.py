"""The event router: DynamoDB stream (the outbox) -> SQS queues by event type.

Two kinds of records carry events:
- outbox items (``type = Event``), written in the same transaction as the change
  they describe, forwarded as they are;
- the items of high-volume entities (messages, reactions, pins), whose own stream
  record is the event: sending a message costs no extra write. Their event id is
  derived from the stream record's id, so a retried batch re-sends the same ids.

Consumers deduplicate on the event id (chalicelib/workers/consumer.py). A record
that cannot be routed raises, and Lambda retries the batch: nothing is dropped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib.config import get_settings
from chalicelib.ids import iso
from chalicelib.services.webhook_catalog import SUBSCRIBABLE

# queue -> the event types its consumer takes. Add a consumer here, in
# chalicelib/config.py's QUEUE_NAMES, in app.py and in infra/resources.yaml.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "email": ("user.registered", "user.verification_requested", "user.registration_attempted", "invite.created"),
    "activity": ("message.created", "member.banned", "member.unbanned"),
    "notifications": ("message.created", "message.updated", "message.deleted", "reaction.added", "invite.created"),
    # every type of the webhook catalog (chalicelib/services/webhook_catalog.py)
    "webhooks": SUBSCRIBABLE,
    "push": ("notification.created",),
    # realtime fan-out to WebSocket connections (chalicelib/workers/realtime.py); typing
    # indicators reach its queue straight from the WebSocket handler, not through here
    "realtime": (
        "message.created",
        "message.updated",
        "message.deleted",
        "reaction.added",
        "reaction.removed",
        "member.joined",
        "member.left",
        "member.removed",
        "notification.created",
    ),
    # the channel close job (chalicelib/workers/channel_close.py): its first batch
    "closes": ("channel.didClose",),
    # the search indexer (chalicelib/workers/search.py); member.* of channels are ignored there:
    # channel permissions are read at query time
    "search": (
        "message.created",
        "message.updated",
        "message.deleted",
        "file.ready",
        "file.deleted",
        "user.updated",
        "workspace.created",
        "member.joined",
        "member.left",
        "member.removed",
    ),
}


def _routes() -> dict[str, tuple[str, ...]]:
    routes: dict[str, tuple[str, ...]] = {}
    for queue, event_types in SUBSCRIPTIONS.items():
        for event_type in event_types:
            routes[event_type] = (*routes.get(event_type, ()), queue)
    return routes


# event type -> the queues that consume it
ROUTES: dict[str, tuple[str, ...]] = _routes()


def _plain(value: dict[str, Any]) -> Any:
    """Stream images are in DynamoDB JSON: {"S": "x"} -> "x"."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in value.items()}


def events_from_record(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The domain events one stream record carries (none for most records)."""
    change = record.get("dynamodb", {})
    new, old = change.get("NewImage") or {}, change.get("OldImage") or {}
    entity = (new or old).get("type", {}).get("S")
    if entity == "Event":
        if record.get("eventName") != "INSERT":
            return []
        item = _plain(new)
        return [
            {
                "id": item["id"],
                "type": item["event_type"],
                "workspaceId": item.get("workspace_id"),
                "createdAt": item["occurred_at"],
                "data": json.loads(item["data"]),
            }
        ]
    project = PROJECTIONS.get(entity or "")
    if project is None:
        return []
    from chalicelib.store import records

    found = project(records.entity(new) if new else None, records.entity(old) if old else None)
    if found is None:
        return []
    event_type, workspace_id, data = found
    occurred = change.get("ApproximateCreationDateTime", time.time())
    if not isinstance(occurred, datetime):  # Lambda events carry epoch seconds
        occurred = datetime.fromtimestamp(occurred, UTC)
    return [
        {
            "id": f"evt_{record['eventID']}",
            "type": event_type,
            "workspaceId": workspace_id,
            "createdAt": iso(occurred),
            "data": data,
        }
    ]


Projection = Callable[[Any, Any], "tuple[str, str, dict[str, Any]] | None"]


def _message(new: Any, old: Any) -> tuple[str, str, dict[str, Any]] | None:
    from chalicelib.services.messages import event_payload

    if (new is not None and new.is_post) or (old is not None and old.is_post):
        return _post(new, old)
    if old is None:
        return "message.created", new.workspace_id, event_payload(new)
    if new is None:
        return "message.deleted", old.workspace_id, {**event_payload(old), "content": None}
    if new.deleted and not old.deleted:
        return "message.deleted", new.workspace_id, {**event_payload(new), "content": None}
    if new.edited_at != old.edited_at:
        return "message.updated", new.workspace_id, event_payload(new)
    return None  # reply counts and reaction tallies are not message events


def _post(new: Any, old: Any) -> tuple[str, str, dict[str, Any]] | None:
    """A Disqus post is announced when it becomes visible (posted approved, or approved
    later), removed when it stops being (a moderator's remove or spam, a v1 delete): a held
    post raises nothing until a moderator lets it through."""
    from chalicelib.services.messages import event_payload

    shown_now = new is not None and new.post_state == "approved" and not new.deleted
    shown_before = old is not None and old.post_state == "approved" and not old.deleted
    if shown_now and not shown_before:
        return "message.created", new.workspace_id, event_payload(new)
    if shown_before and not shown_now:
        item = new if new is not None else old
        return "message.deleted", item.workspace_id, {**event_payload(item), "content": None}
    if shown_now and new.edited_at != old.edited_at:
        return "message.updated", new.workspace_id, event_payload(new)
    return None  # votes, reports, highlights: not message events


def _post_vote(new: Any, old: Any) -> tuple[str, str, dict[str, Any]] | None:
    """A Disqus vote set, changed or withdrawn (the vote item's own record: 0 = withdrawn)."""
    item = new if new is not None else old
    if item.workspace_id is None:
        return None
    data = {
        "targetId": item.target_id,
        "target": item.target_kind,
        "channelId": item.channel_id,
        "userId": item.user_id,
        "vote": int(new.vote) if new is not None else 0,
        "previous": int(old.vote) if old is not None else 0,
    }
    return "post.voted", item.workspace_id, data


def _reaction(new: Any, old: Any) -> tuple[str, str, dict[str, Any]] | None:
    item, event_type = (new, "reaction.added") if new is not None else (old, "reaction.removed")
    if new is not None and old is not None:
        return None
    data = {"messageId": item.message_id, "channelId": item.channel_id, "emoji": item.emoji, "userId": item.user_id}
    return event_type, item.workspace_id, data


def _pin(new: Any, old: Any) -> tuple[str, str, dict[str, Any]] | None:
    item, event_type = (new, "message.pinned") if new is not None else (old, "message.unpinned")
    if new is not None and old is not None:
        return None
    data = {"messageId": item.message_id, "channelId": item.channel_id, "pinnedBy": item.pinned_by}
    return event_type, item.workspace_id, data


def _notification(new: Any, old: Any) -> tuple[str, str, dict[str, Any]] | None:
    """A new notification (never its updates: mark-read, preview removal) is
    ``notification.created`` for the push worker (/work/notes/contract.md)."""
    if new is None or old is not None:
        return None
    from chalicelib.services.notifications import event_payload

    return "notification.created", new.workspace_id, event_payload(new)


PROJECTIONS: dict[str, Projection] = {
    "Message": _message,
    "Reaction": _reaction,
    "PostVote": _post_vote,
    "Pin": _pin,
    "Notification": _notification,
}


# SQS takes 256 KiB per message and per batch. A message of 40,000 characters (the
# content cap) still fits as UTF-8; anything larger is sent without its text, which
# consumers read from the message itself (data.contentOmitted).
MAX_BATCH_BYTES = 256 * 1024
MAX_EVENT_BYTES = 240 * 1024
_TEXT_FIELDS = ("content", "contentHtml")


def encode(event: dict[str, Any]) -> str:
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    if len(body.encode()) <= MAX_EVENT_BYTES:
        return body
    data = {k: v for k, v in event["data"].items() if k not in _TEXT_FIELDS}
    return json.dumps({**event, "data": {**data, "contentOmitted": True}}, ensure_ascii=False, separators=(",", ":"))


def batches(bodies: list[str]) -> list[list[str]]:
    """At most 10 messages and MAX_BATCH_BYTES per SendMessageBatch."""
    out: list[list[str]] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if not out or len(out[-1]) == 10 or size + length > MAX_BATCH_BYTES:
            out.append([])
            size = 0
        out[-1].append(body)
        size += length
    return out


def skipped_queues() -> frozenset[str]:
    """Consumers with nothing to do in this deployment: the indexer when there is no search engine
    (``SearchEngine=none``, the stack's default), which would only acknowledge each event (3 SQS
    requests, an invocation and a claim a send, docs/costs.md). Enabling search later indexes from
    then on; ``tools.operator reindex`` fills in the history (docs/search.md)."""
    return frozenset() if get_settings().search_engine != "none" else frozenset({"search"})


def route(records: list[dict[str, Any]]) -> int:
    """Send every event of these records to its queues; returns how many were sent."""
    from chalicelib.aws import client

    sqs = client("sqs")
    sent = 0
    by_queue: dict[str, list[str]] = {}
    skipped = skipped_queues()
    for record in records:
        for event in events_from_record(record):
            for queue in ROUTES.get(event["type"], ()):
                if queue not in skipped:
                    by_queue.setdefault(queue, []).append(encode(event))
    for queue, bodies in by_queue.items():
        url = get_settings().queue_url(queue)
        for chunk in batches(bodies):
            result = sqs.send_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)]
            )
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused {len(result['Failed'])} events for {queue}; the batch will be retried")
            sent += len(chunk)
    return sent
