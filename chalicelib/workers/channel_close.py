"""The channel close job (queue ``closes``): one batch per message (services/channel_close.py).

No event claims: each step is guarded by the progress record (a stale or duplicate step does
nothing; a crashed one is finished by its redelivery), so a message may run any number of times.
"""

from __future__ import annotations

import json
from typing import Any


def handle_batch(raw_event: dict[str, Any]) -> dict[str, Any]:
    """A Lambda SQS event -> the partial batch response (only failed messages return)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from chalicelib.services import channel_close

    return process_partial_response(
        event=raw_event,
        record_handler=lambda record: channel_close.handle_message(json.loads(record.body)),
        processor=BatchProcessor(event_type=EventType.SQS),
    )
