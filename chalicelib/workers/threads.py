"""The threads worker: keeps each participant's threads list in activity order."""

from __future__ import annotations

from typing import Any

from chalicelib.services import threads

CONSUMER = "threads"


def handle(event: dict[str, Any]) -> None:
    if event["type"] == "message.created" and event["data"].get("threadId"):
        threads.record_reply(event["data"])
