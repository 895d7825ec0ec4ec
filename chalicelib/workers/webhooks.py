"""The webhooks worker (queue "webhooks"): domain events and delivery tasks.

- A domain event (from the router) is fanned out, once per event id (claim
  ``webhooks``), into one delivery task per subscribed webhook, sent to this queue;
  an event nobody subscribes to costs one Query and no claim.
- A delivery task is one HTTP attempt, claimed per (webhook, series, attempt) and
  event id: SQS redelivering the task never POSTs twice. A task early for its
  ``notBefore`` goes round the queue again (SQS delays at most 900 s).
- When the last attempt fails, the claim is left ``dead``: every receive of that task
  fails, and after the queue's maxReceiveCount SQS moves it to the dead-letter queue
  (the failed attempt is in the delivery log already).

The records of a batch run concurrently (threads): one slow endpoint (10 s timeout)
does not hold the others up, and a batch of 10 takes about as long as its slowest.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.observability import logger
from chalicelib.services import webhooks
from chalicelib.store import claims
from chalicelib.store import webhooks as webhook_store
from chalicelib.workers.consumer import EventInFlight, handle_once

CONSUMER = "webhooks"
LEASE_SECONDS = 60  # an attempt takes at most ~10 s; below the queue's visibility timeout (180 s)


class DeliveryExhausted(Exception):
    """Every attempt failed: fail this message until SQS moves it to the DLQ."""


def _attempt_consumer(task: dict[str, Any]) -> str:
    return f"webhook:{task['webhookId']}:{task['series']}:{task['attempt']}"


def handle_task(task: dict[str, Any]) -> None:
    if webhooks.postpone(task):
        return
    consumer, event_id = _attempt_consumer(task), task["event"]["id"]
    state = claims.begin_processing(consumer, event_id, LEASE_SECONDS)
    if state == "done":
        return
    if state == "busy":
        if webhook_store.is_dead(consumer, event_id):
            raise DeliveryExhausted(f"{task['webhookId']} {event_id}")
        raise EventInFlight(event_id)
    try:
        outcome = webhooks.attempt(task)
    except BaseException:
        claims.release_processing(consumer, event_id)
        raise
    if outcome.exhausted:
        webhook_store.mark_dead(consumer, event_id)
        raise DeliveryExhausted(f"{task['webhookId']} {event_id}")
    claims.finish_processing(consumer, event_id)


def handle(message: dict[str, Any]) -> None:
    if message.get("kind") == webhooks.TASK:
        handle_task(message)
        return
    # Most workspaces have no webhook for most events: one Query decides, and only an
    # event someone listens to is claimed (a claim is two writes).
    hooks = webhooks.subscribers(message)
    if hooks:
        handle_once(CONSUMER, message, lambda event: webhooks.fan_out(event, hooks))


def _run(record: dict[str, Any]) -> str | None:
    """The record's message id if it failed."""
    try:
        handle(json.loads(record["body"]))
        return None
    except DeliveryExhausted as dead:
        logger().warning("webhook delivery exhausted", extra={"delivery": str(dead)})
    except EventInFlight:
        pass
    except Exception:
        logger().exception("webhook record failed", extra={"messageId": record.get("messageId")})
    return record["messageId"]


def handle_batch(raw_event: dict[str, Any]) -> dict[str, Any]:
    """A Lambda SQS event -> the partial batch response (ReportBatchItemFailures)."""
    records = raw_event.get("Records", [])
    if not records:
        return {"batchItemFailures": []}
    with ThreadPoolExecutor(max_workers=min(10, len(records))) as pool:
        failed = list(pool.map(_run, records))
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed if m is not None]}
