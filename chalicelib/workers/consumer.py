"""Running an SQS consumer: partial batch failures and exactly-once effects.

Powertools' BatchProcessor reports only the failed messages back to SQS (the
template sets ReportBatchItemFailures), so one bad message does not redeliver its
neighbours. Each event is claimed per consumer before its work runs (store.claims):
a redelivered event whose work is done is acknowledged without doing it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.store import claims

LEASE_SECONDS = 120  # below the queues' visibility timeout (infra/resources.yaml)


class EventInFlight(Exception):
    """Another delivery of this event holds the claim: retry later."""


def handle_once(consumer: str, event: dict[str, Any], work: Callable[[dict[str, Any]], None]) -> bool:
    """Run ``work`` for this event unless done already; True if it ran."""
    state = claims.begin_processing(consumer, event["id"], LEASE_SECONDS)
    if state == "done":
        return False
    if state == "busy":
        raise EventInFlight(event["id"])
    try:
        work(event)
    except BaseException:
        claims.release_processing(consumer, event["id"])
        raise
    claims.finish_processing(consumer, event["id"])
    return True


def process_sqs_batch(
    raw_event: dict[str, Any], consumer: str, work: Callable[[dict[str, Any]], None], *, claimed: bool = True
) -> dict[str, Any]:
    """Handle a Lambda SQS event; returns the partial-batch response. ``claimed=False`` for a
    consumer whose work is idempotent by itself (the activity worker's writes only move forward):
    it skips the claim's two writes per event, and a redelivery simply does the work again."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def record_handler(record: Any) -> None:
        event = json.loads(record.body)
        if claimed:
            handle_once(consumer, event, work)
        else:
            work(event)

    return process_partial_response(
        event=raw_event, record_handler=record_handler, processor=BatchProcessor(event_type=EventType.SQS)
    )
