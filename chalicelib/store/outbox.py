"""Domain events as outbox items.

A service adds ``new_event(...)`` to the same transaction as the change it
describes: both commit or neither does. The table's stream carries the item to the
event router (chalicelib/workers/router.py), which fans it out to SQS. Items expire
after a week (the stream keeps 24 h; the item is only the carrier).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.ids import new_id, now_iso
from chalicelib.store import keys
from chalicelib.store.models import Event

RETENTION_SECONDS = 7 * 24 * 3600


def new_event(event_type: str, data: dict[str, Any], *, workspace_id: str | None = None) -> Event:
    event_id = f"evt_{new_id()}"
    return Event(
        keys.event(event_id),
        keys.EVENT,
        id=event_id,
        event_type=event_type,
        workspace_id=workspace_id,
        occurred_at=now_iso(),
        data=data,
        ttl=timedelta(seconds=RETENTION_SECONDS),
    )


def publish(event_type: str, data: dict[str, Any], *, workspace_id: str | None = None) -> None:
    """An event that stands alone (no other write to commit it with)."""
    new_event(event_type, data, workspace_id=workspace_id).save()
