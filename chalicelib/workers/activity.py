"""The activity worker: what a change means beyond itself, off the request path (a send
stays within its write budget, and the stream makes this crash-safe):
- a new message: its channel's ``lastMessageAt`` and, for a reply, each participant's threads
  list. Both only move forward, so redelivered or reordered events change nothing;
- a global ban or unban (Admin v2): the copies of the mark on the member's channel memberships
  beyond the request's first page. The Membership decides, so repeats change nothing."""

from __future__ import annotations

from typing import Any

from chalicelib.services import admin_users, channels, threads

CONSUMER = "activity"
# Every effect here is idempotent by itself (moves forward, or matches the Membership), so events
# are not claimed: a redelivery does the work again at the cost of the work, not 2 claim writes.
CLAIMED = False


def handle(event: dict[str, Any]) -> None:
    if event["type"] in ("member.banned", "member.unbanned"):
        if not event["data"].get("channelId"):  # a channel ban has no copies to keep
            admin_users.finish_ban(event["data"]["workspaceId"], event["data"]["userId"])
        return
    if event["type"] != "message.created":
        return
    data = event["data"]
    channels.record_message(data["channelId"], data["createdAt"])
    if data.get("threadId"):
        threads.record_reply(data)
