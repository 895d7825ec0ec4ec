"""The file processor's entry: S3 ObjectCreated notifications (through SQS) for the
quarantine prefix. S3 keys arrive URL-encoded (``unquote_plus``); S3 and moto also
send an ``s3:TestEvent`` when a notification is configured, which is ignored."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus


def object_keys(body: str) -> list[str]:
    """The object keys an S3 notification (an SQS message body) reports as created."""
    notification = json.loads(body)
    if notification.get("Event") == "s3:TestEvent":
        return []
    return [
        unquote_plus(record["s3"]["object"]["key"])
        for record in notification.get("Records", [])
        if str(record.get("eventName", "")).startswith("ObjectCreated")
    ]


def handle(body: str) -> None:
    from chalicelib.services import files

    for key in object_keys(body):
        files.process_upload(key)
