"""The notifications worker: events -> in-app notifications (chalicelib/services/notifications.py).

Each SQS message is one step of an event's work: the event itself (step 0), or a
continuation this worker sent for a large fan-out (``@channel`` in a big channel):
``{"type": "notifications.step", "event": ..., "step": n, "cursor": ..., "carry": ...}``.
A step notifies at most ``STEP_RECIPIENTS`` people, then sends the next step to the
notifications queue and ends, so no invocation runs near its timeout whatever the
channel's size; and an invocation starts no step past ``INVOCATION_BUDGET_S`` (the rest
of its batch goes back to the queue), whatever the batch holds.

Exactly once per recipient: every step is claimed on its own (``<eventId>#<step>``,
chalicelib/workers/consumer.py), so a redelivered step that finished is acknowledged
without work; ids are derived from the event and the recipient, so a step re-run after
a crash writes the same items; and a redelivered message (ApproximateReceiveCount > 1)
runs ``careful``: items that exist already are not written again (a user may have read
them since). The next step is sent before the claim is finished: a crash in between
sends it twice, and its claim makes the second copy a no-op.
"""

from __future__ import annotations

import json
import time
from typing import Any

from chalicelib.services import notifications
from chalicelib.workers.consumer import handle_once

CONSUMER = "notifications"
CONTINUATION = "notifications.step"
# A batch holds up to 10 messages, maybe 10 large steps of different events: past this
# many seconds into an invocation no step starts, the rest go back to the queue (the
# first always runs). A step takes ~3 s at most (make bench), the timeout is 30 s.
INVOCATION_BUDGET_S = 10.0


def continuation(step: notifications.Step) -> dict[str, Any]:
    return {
        "type": CONTINUATION,
        "event": step.event,
        "step": step.number,
        "cursor": step.cursor,
        "carry": step.carry,
    }


def step_of(body: dict[str, Any]) -> notifications.Step:
    if body.get("type") == CONTINUATION:
        return notifications.Step(body["event"], int(body["step"]), body.get("cursor"), body.get("carry") or {})
    return notifications.Step(body)


def send(step: notifications.Step, *, careful: bool = False) -> None:
    from chalicelib.aws import client
    from chalicelib.config import get_settings

    message = {**continuation(step), **({"careful": True} if careful else {})}
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    client("sqs").send_message(QueueUrl=get_settings().queue_url("notifications"), MessageBody=body)


def handle(body: dict[str, Any], *, redelivered: bool = False) -> bool:
    """One SQS message; True if its step ran (False: done before, or not ours)."""
    step = step_of(body)
    if step.event.get("type") not in notifications.EVENT_TYPES:
        return False
    if step.number == 0 and not notifications.may_notify(step.event):
        return False  # nothing to do: no claim (two writes) for it
    careful = redelivered or bool(body.get("careful"))

    def work(_: dict[str, Any]) -> None:
        result = notifications.run_step(step, careful=careful)
        if result.next is not None:
            send(result.next)

    return handle_once(CONSUMER, {"id": f"{step.event['id']}#{step.number}"}, work)


def defer(body: dict[str, Any], *, redelivered: bool) -> None:
    """Send the message back to the queue as it is: this invocation did its share. It
    stays careful if it was (a new message starts its receive count again)."""
    step = step_of(body)
    if step.event.get("type") in notifications.EVENT_TYPES:
        send(step, careful=redelivered or bool(body.get("careful")))


def handle_batch(raw_event: dict[str, Any]) -> dict[str, Any]:
    """A Lambda SQS event -> the partial batch response (only failed messages return)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    started, ran = time.monotonic(), []

    def record_handler(record: Any) -> None:
        body = json.loads(record.body)
        redelivered = int(record.attributes.approximate_receive_count or 1) > 1
        if ran and time.monotonic() - started > INVOCATION_BUDGET_S:
            defer(body, redelivered=redelivered)
            return
        ran.append(record.message_id)
        handle(body, redelivered=redelivered)

    return process_partial_response(
        event=raw_event, record_handler=record_handler, processor=BatchProcessor(event_type=EventType.SQS)
    )
