"""The event router: DynamoDB stream (the outbox) -> SQS queues by event type.

Outbox items (``type = Event``) are forwarded as they are. Retries re-send the same
event id, so consumers deduplicate on it (chalicelib/workers/consumer.py). A record
that cannot be routed raises, and Lambda retries the batch: nothing is dropped.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.config import get_settings

# event type -> the queues that consume it. Add a consumer here and in infra/.
ROUTES: dict[str, tuple[str, ...]] = {
    "user.registered": ("email",),
    "user.verification_requested": ("email",),
    "user.registration_attempted": ("email",),
    "invite.created": ("email",),
}


def _plain(value: dict[str, Any]) -> Any:
    """Stream images are in DynamoDB JSON: {"S": "x"} -> "x"."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in value.items()}


def events_from_record(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The domain events one stream record carries (none for most records)."""
    if record.get("eventName") != "INSERT":
        return []
    image = record.get("dynamodb", {}).get("NewImage") or {}
    if image.get("type", {}).get("S") != "Event":
        return []
    item = _plain(image)
    return [
        {
            "id": item["id"],
            "type": item["event_type"],
            "workspaceId": item.get("workspace_id"),
            "createdAt": item["occurred_at"],
            "data": json.loads(item["data"]),
        }
    ]


def route(records: list[dict[str, Any]]) -> int:
    """Send every event of these records to its queues; returns how many were sent."""
    from chalicelib.aws import client

    sqs = client("sqs")
    sent = 0
    by_queue: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        for event in events_from_record(record):
            for queue in ROUTES.get(event["type"], ()):
                by_queue.setdefault(queue, []).append(event)
    for queue, events in by_queue.items():
        url = get_settings().queue_url(queue)
        for start in range(0, len(events), 10):  # SendMessageBatch takes 10 at most
            chunk = events[start : start + 10]
            result = sqs.send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "MessageBody": json.dumps(e)} for i, e in enumerate(chunk)],
            )
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused {len(result['Failed'])} events for {queue}; the batch will be retried")
            sent += len(chunk)
    return sent
