"""Leases that turn at-least-once into effectively-once.

Used by the HTTP ``Idempotency-Key`` (an ``IdempotencyRecord`` holding the first
response) and by the workers (a ``Processed`` marker per consumer and event). A claim
is taken with a conditional put; a claim whose holder crashed expires with its lease
and can be taken again, so a crash between steps loses nothing.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.store import keys
from chalicelib.store.models import IdempotencyRecord, Processed

IDEMPOTENCY_RETENTION = timedelta(hours=24)
PROCESSED_RETENTION = timedelta(days=7)


def _conditional(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


# --- HTTP idempotency --------------------------------------------------------------


def begin_request(scope: str, key: str, request_hash: str, lease_seconds: int) -> IdempotencyRecord | None:
    """Claim ``key`` for this request. Returns None when claimed, else the existing
    record (finished, or still in progress under a live lease)."""
    now = int(time.time())
    record = IdempotencyRecord(
        keys.idempotency(scope, key),
        keys.IDEMPOTENCY,
        status="in_progress",
        request_hash=request_hash,
        lease_until=now + lease_seconds,
        ttl=IDEMPOTENCY_RETENTION,
    )
    try:
        record.save(
            condition=IdempotencyRecord.PK.does_not_exist()
            | ((IdempotencyRecord.status == "in_progress") & (IdempotencyRecord.lease_until < now))
        )
        return None
    except PutError as error:
        if not _conditional(error):
            raise
    try:
        return IdempotencyRecord.get(keys.idempotency(scope, key), keys.IDEMPOTENCY, consistent_read=True)
    except DoesNotExist:  # released between our put and our read: treat as in progress
        return IdempotencyRecord(status="in_progress", request_hash=request_hash, lease_until=now + 1)


def finish_request(scope: str, key: str, request_hash: str, response: dict[str, Any]) -> None:
    IdempotencyRecord(
        keys.idempotency(scope, key),
        keys.IDEMPOTENCY,
        status="done",
        request_hash=request_hash,
        response=response,
        lease_until=0,
        ttl=IDEMPOTENCY_RETENTION,
    ).save()


def release_request(scope: str, key: str) -> None:
    IdempotencyRecord(keys.idempotency(scope, key), keys.IDEMPOTENCY).delete()


# --- workers -----------------------------------------------------------------------


def begin_processing(consumer: str, event_id: str, lease_seconds: int) -> str:
    """ "claimed" (do the work), "done" (already done: acknowledge) or "busy" (another
    delivery holds a live lease: retry later, in case that one fails)."""
    now = int(time.time())
    marker = Processed(
        keys.processed(consumer, event_id),
        keys.GUARD,
        status="in_progress",
        lease_until=now + lease_seconds,
        ttl=PROCESSED_RETENTION,
    )
    try:
        marker.save(
            condition=Processed.PK.does_not_exist()
            | ((Processed.status == "in_progress") & (Processed.lease_until < now))
        )
        return "claimed"
    except PutError as error:
        if not _conditional(error):
            raise
    try:
        current = Processed.get(keys.processed(consumer, event_id), keys.GUARD, consistent_read=True)
    except DoesNotExist:
        return "busy"
    return "done" if current.status == "done" else "busy"


def finish_processing(consumer: str, event_id: str) -> None:
    Processed(
        keys.processed(consumer, event_id), keys.GUARD, status="done", lease_until=0, ttl=PROCESSED_RETENTION
    ).save()


def release_processing(consumer: str, event_id: str) -> None:
    Processed(keys.processed(consumer, event_id), keys.GUARD).delete()
