"""The realtime worker: one event -> the WebSocket connections that may see it (docs/realtime.md).

Fed by the event router (``realtime`` queue, SUBSCRIPTIONS in router.py) and, for typing
indicators, straight by the WebSocket handler. For each event:
1. the payload: the REST object (chalicelib/api/v1/views.py, the same view functions the
   routes answer with), read fresh: the message (with its reactions) for message.* and
   reaction.*, the membership and user for member.joined, the notification for
   notification.created. A hard-deleted message is ``{"id", "channelId", "threadId",
   "deleted": true}``;
2. the audience (services/realtime.py ``audience``): one Query of the channel's subscribers,
   one of the workspace's, and for a private channel one of its members (only they, unbanned,
   receive it); a notification goes to its user's connections only;
3. the posts: Management API PostToConnection, REALTIME_CONCURRENCY at a time, in batches of
   POST_BATCH; 410 GoneException deletes the connection's records; other failures are logged
   and dropped (realtime is best effort: a client fills gaps from GET .../messages?after=).

Stored events are claimed per consumer (workers/consumer.py): a redelivered event already
fanned out is not posted again. Typing is not claimed (ephemeral, never stored).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from chalicelib.aws import REALTIME_CONCURRENCY
from chalicelib.observability import count, logger
from chalicelib.services import realtime
from chalicelib.workers.consumer import handle_once
from chalicelib.workers.router import SUBSCRIPTIONS

CONSUMER = "realtime"
EVENT_TYPES = (*SUBSCRIPTIONS["realtime"], "typing")
POST_BATCH = 250  # connections handed to the pool at a time (bounds the futures in memory)


@dataclass
class Report:
    """What one fan-out did (the bench and the tests read it)."""

    event_type: str = ""
    connections: int = 0
    posted: int = 0
    gone: int = 0
    failed: int = 0
    queries: int = 0
    rcu: float = 0.0
    seconds: float = 0.0
    gone_ids: list[str] = field(default_factory=list)


# --- payloads -----------------------------------------------------------------------------------


def _message_view(message: Any) -> dict[str, Any]:
    from chalicelib.api.v1 import views

    return views.message(message)


def _read_message(channel_id: str, message_id: str, thread_id: str | None) -> Any:
    from chalicelib.store import keys
    from chalicelib.store import messages as message_store

    sort_key = keys.reply(thread_id, message_id) if thread_id else keys.message(message_id)
    return message_store.get(channel_id, sort_key)


def _locate_message(message_id: str) -> Any:
    from chalicelib.store import messages as message_store

    found = message_store.locate(message_id)
    return message_store.get(found[0], found[1]) if found else None


def plan(event: dict[str, Any]) -> tuple[dict[str, Any] | None, realtime.Audience]:
    """The frame to send (None: nothing to send) and who receives it."""
    kind, data = event["type"], event.get("data") or {}
    workspace_id = event.get("workspaceId") or data.get("workspaceId")
    nobody = realtime.Audience()
    if kind == "typing":
        frame = {"type": "typing", "channelId": data["channelId"], "userId": data["userId"]}
        return frame, realtime.audience(
            workspace_id, data["channelId"], data.get("channelType", "public"), exclude_user=data["userId"]
        )
    if kind == "notification.created":
        return _notification(event, data)
    if kind.startswith("message."):
        channel_id, channel_type = data["channelId"], data.get("channelType") or "public"
        if kind == "message.deleted":
            message = _read_message(channel_id, data["id"], data.get("threadId"))
            shown = (
                _message_view(message)
                if message is not None
                else {
                    "id": data["id"],
                    "channelId": channel_id,
                    "workspaceId": workspace_id,
                    "threadId": data.get("threadId"),
                    "deleted": True,
                }
            )
        else:
            message = _read_message(channel_id, data["id"], data.get("threadId"))
            if message is None:  # deleted since: its message.deleted follows
                return None, nobody
            shown = _message_view(message)
    elif kind.startswith("reaction."):
        message = _locate_message(data["messageId"])
        if message is None:
            return None, nobody
        channel_id, channel_type = message.channel_id, message.channel_type or "public"
        shown = {**_message_view(message), "reaction": {"emoji": data["emoji"], "userId": data["userId"]}}
    elif kind.startswith("member."):
        channel_id = data.get("channelId")
        if not channel_id:  # the workspace's own members: not a channel event
            return None, nobody
        member_view = _member(channel_id, data["userId"], joined=kind == "member.joined")
        if member_view is None:
            return None, nobody
        channel_type, shown = member_view
        if kind != "member.joined" and "removedBy" in data:
            shown = {**shown, "removedBy": data["removedBy"]}
    else:
        return None, nobody
    frame = {
        "type": kind,
        "id": event["id"],
        "workspaceId": workspace_id,
        "channelId": channel_id,
        "data": shown,
        "createdAt": event.get("createdAt"),
    }
    return frame, realtime.audience(workspace_id, channel_id, channel_type)


def _member(channel_id: str, user_id: str, *, joined: bool) -> tuple[str, dict[str, Any]] | None:
    from chalicelib.api.v1 import views
    from chalicelib.store import messages as message_store
    from chalicelib.store import users as user_store

    channel, member = message_store.channel_and_member(channel_id, user_id)
    if channel is None:
        return None
    if not joined:
        return channel.channel_type, {"userId": user_id}
    if member is None:  # left again since
        return None
    return channel.channel_type, views.channel_member(member, user_store.get_user(user_id))


def _notification(event: dict[str, Any], data: dict[str, Any]) -> tuple[dict[str, Any] | None, realtime.Audience]:
    from chalicelib.api.v1 import views
    from chalicelib.services.notifications import Shown
    from chalicelib.store import notifications as notification_store

    user_id, workspace_id = data["userId"], data["workspaceId"]
    audience = realtime.user_audience(user_id, workspace_id)
    if not audience.connections:
        return None, audience
    found = notification_store.get_many(user_id, [data["notificationId"]]).get(data["notificationId"])
    if found is None:
        return None, audience
    frame = {
        "type": "notification.created",
        "id": event["id"],
        "workspaceId": workspace_id,
        "channelId": found.channel_id,
        "data": views.notification(Shown(found, read=False)),
        "createdAt": event.get("createdAt"),
    }
    return frame, audience


# --- posting ------------------------------------------------------------------------------------


def post_all(connection_ids: list[str], body: bytes, report: Report) -> None:
    """Post ``body`` to every connection, REALTIME_CONCURRENCY at a time."""

    def post(connection_id: str) -> str:
        try:
            return "posted" if realtime.send(connection_id, body) else "gone"
        except Exception as error:  # throttled, 5xx after the client's retry: dropped, never blocks the rest
            logger().warning("realtime post failed", extra={"error": type(error).__name__})
            return "failed"

    workers = max(1, min(REALTIME_CONCURRENCY, len(connection_ids)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="realtime") as pool:
        for start in range(0, len(connection_ids), POST_BATCH):
            batch = connection_ids[start : start + POST_BATCH]
            for connection_id, outcome in zip(batch, pool.map(post, batch), strict=True):
                setattr(report, outcome, getattr(report, outcome) + 1)
                if outcome == "gone":
                    report.gone_ids.append(connection_id)


def deliver(event: dict[str, Any]) -> Report:
    started = time.perf_counter()
    report = Report(event_type=event["type"])
    frame, audience = plan(event)
    report.queries, report.rcu = audience.queries, audience.rcu
    if frame is not None and audience.connections:
        report.connections = len(audience.connections)
        body = json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode()
        post_all(sorted(audience.connections), body, report)
    report.seconds = time.perf_counter() - started
    count("RealtimePosted", report.posted)
    if report.gone:
        count("RealtimeGone", report.gone)
    return report


def handle(event: dict[str, Any]) -> None:
    if event.get("type") not in EVENT_TYPES:
        return
    if event["type"] == "typing":
        deliver(event)
        return
    handle_once(CONSUMER, event, deliver)


def handle_batch(raw_event: dict[str, Any]) -> dict[str, Any]:
    """The SQS handler's work: a partial batch response (failed items are retried)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    def record_handler(record: Any) -> None:
        handle(json.loads(record.body))

    return process_partial_response(
        event=raw_event, record_handler=record_handler, processor=BatchProcessor(event_type=EventType.SQS)
    )
