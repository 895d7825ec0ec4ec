"""The activity worker: what a new message changes beyond itself, off the request
path (a send stays within its write budget, and the stream makes this crash-safe):
its channel's ``lastMessageAt`` and, for a reply, each participant's threads list.
Both only move forward, so redelivered or reordered events change nothing."""

from __future__ import annotations

from typing import Any

from chalicelib.services import channels, threads

CONSUMER = "activity"


def handle(event: dict[str, Any]) -> None:
    if event["type"] != "message.created":
        return
    data = event["data"]
    channels.record_message(data["channelId"], data["createdAt"])
    if data.get("threadId"):
        threads.record_reply(data)
