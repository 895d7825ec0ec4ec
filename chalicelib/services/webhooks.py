"""Webhooks: registration (admins and owners), signed delivery with retries, the log.

A domain event reaches the webhooks queue (workers/router.py); the worker fans it out
into one delivery task per subscribed, active webhook of its workspace, sent back to
the same queue. Each task is one attempt. A failed attempt schedules the next as a new
task (SQS DelaySeconds, at most 900 s: longer waits hop through the queue until their
``notBefore``). A task is claimed per (event, webhook, series, attempt), so SQS
redelivering it never makes a second HTTP attempt. After the last attempt fails the
task goes to the dead-letter queue (workers/webhooks.py). A 410 answer disables the
webhook. A paused (or disabled, or deleted) webhook drops its tasks: resuming starts
with new events, no backlog.
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, NotFound, NotMember, PlanLimit
from chalicelib.ids import iso, new_id, now_iso
from chalicelib.observability import count, logger
from chalicelib.services import authz, webhook_delivery, webhook_secrets
from chalicelib.store import webhooks as webhook_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import Webhook, WebhookDelivery, Workspace

ID_PREFIX = "wh_"  # the spec's webhook ids: wh_<UUIDv7>
PLAN_LIMITS: dict[str, int | None] = {"free": 10}  # other plans: unlimited
ROTATION_OVERLAP_SECONDS = 24 * 3600
TASK = "webhook.delivery"  # the "kind" of a delivery task message
AUTO = "auto"  # the series of the automatic attempts (a redelivery starts its own)
MAX_STORED_PAYLOAD = 64 * 1024  # compressed envelope kept on a log entry for redelivery


# --- access ----------------------------------------------------------------------------


def _workspace_admin(principal: Principal, workspace_id: str, scope: str) -> Workspace:
    """Admins and owners; a token needs the webhooks scope (not ``admin``) and its user
    must be an admin or owner now. Members 403, non-members 404."""
    authz.require_token_workspace(principal, workspace_id)
    authz.require_scope(principal, scope)
    workspace, membership = workspace_store.get_with_membership(workspace_id, principal.user_id)
    workspace, _ = authz.check_access(workspace, membership, role="admin")
    return workspace


def _webhook(principal: Principal, webhook_id: str, scope: str) -> Webhook:
    authz.require_scope(principal, scope)
    webhook = webhook_store.get(webhook_id)
    if webhook is None:
        raise NotFound("Webhook not found.")
    try:
        _workspace_admin(principal, webhook.workspace_id, scope)
    except (NotFound, NotMember):  # another workspace's webhook: it does not exist for you
        raise NotFound("Webhook not found.") from None
    return webhook


# --- registration ------------------------------------------------------------------------


@dataclass(frozen=True)
class WithSecret:
    webhook: Webhook
    secret: str


def create(
    principal: Principal, workspace_id: str, *, name: str, url: str, events: list[str], secret: str | None
) -> WithSecret:
    workspace = _workspace_admin(principal, workspace_id, scopes.WEBHOOKS_WRITE)
    webhook_delivery.check_url(url)
    secret = webhook_secrets.check(secret) if secret is not None else webhook_secrets.generate()
    webhook_id = f"{ID_PREFIX}{new_id()}"
    sealed, kid = webhook_secrets.encrypt(secret, webhook_id)
    webhook = webhook_store.new_webhook(
        webhook_id,
        workspace_id,
        name=name,
        url=url,
        events=events,
        status="active",
        secret_enc=sealed,
        secret_kid=kid,
        created_by=principal.user_id,
        created_at=now_iso(),
    )
    limit = PLAN_LIMITS.get(workspace.plan)
    try:
        webhook_store.create(webhook, limit)
    except webhook_store.LimitReached:
        raise PlanLimit(f"The {workspace.plan} plan allows {limit} webhooks per workspace.") from None
    return WithSecret(webhook, secret)


def list_webhooks(
    principal: Principal, workspace_id: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[Webhook], dict[str, Any] | None]:
    _workspace_admin(principal, workspace_id, scopes.WEBHOOKS_READ)
    page = webhook_store.list_for_workspace(workspace_id, limit=limit, position=position)
    return page.items, page.position


def get(principal: Principal, webhook_id: str) -> Webhook:
    return _webhook(principal, webhook_id, scopes.WEBHOOKS_READ)


def update(principal: Principal, webhook_id: str, changes: dict[str, Any]) -> Webhook:
    """name, url, events, status (active | paused; active also re-enables a webhook
    that a 410 disabled)."""
    webhook = _webhook(principal, webhook_id, scopes.WEBHOOKS_WRITE)
    fields: dict[str, Any] = {}
    for name in ("name", "events"):
        if name in changes:
            fields[name] = changes[name]
    if "url" in changes:
        fields["url"] = webhook_delivery.check_url(changes["url"])
    if "status" in changes:
        fields["status"] = changes["status"]
        fields["disabled_reason"] = None
    fields["updated_at"] = now_iso()
    try:
        webhook_store.update(webhook, fields)
    except ConditionFailed:
        raise NotFound("Webhook not found.") from None
    for name, value in fields.items():
        setattr(webhook, name, value)
    return webhook


def delete(principal: Principal, webhook_id: str) -> None:
    webhook = _webhook(principal, webhook_id, scopes.WEBHOOKS_WRITE)
    try:
        webhook_store.delete(webhook)
    except ConditionFailed:
        raise NotFound("Webhook not found.") from None


def rotate_secret(principal: Principal, webhook_id: str) -> WithSecret:
    """A new secret (shown once); the current one keeps signing too for 24 h."""
    webhook = _webhook(principal, webhook_id, scopes.WEBHOOKS_WRITE)
    secret = webhook_secrets.generate()
    sealed, kid = webhook_secrets.encrypt(secret, webhook.id)
    old = webhook_secrets.decrypt(webhook.secret_enc, webhook.secret_kid, webhook.id)
    old_sealed, old_kid = webhook_secrets.encrypt(old, webhook.id)  # under today's key
    fields = {
        "secret_enc": sealed,
        "secret_kid": kid,
        "previous_secret_enc": old_sealed,
        "previous_secret_kid": old_kid,
        "previous_until": int(time.time()) + ROTATION_OVERLAP_SECONDS,
        "updated_at": now_iso(),
    }
    try:
        webhook_store.update(webhook, fields)
    except ConditionFailed:
        raise NotFound("Webhook not found.") from None
    for name, value in fields.items():
        setattr(webhook, name, value)
    return WithSecret(webhook, secret)


def signing_secrets(webhook: Webhook, now: float | None = None) -> list[str]:
    """The current secret, then the previous one while its overlap lasts."""
    found = [webhook_secrets.decrypt(webhook.secret_enc, webhook.secret_kid, webhook.id)]
    until = webhook.previous_until or 0
    if webhook.previous_secret_enc and webhook.previous_secret_kid and until > (now or time.time()):
        found.append(webhook_secrets.decrypt(webhook.previous_secret_enc, webhook.previous_secret_kid, webhook.id))
    return found


# --- the delivery log --------------------------------------------------------------------


def list_deliveries(
    principal: Principal, webhook_id: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[WebhookDelivery], dict[str, Any] | None]:
    _webhook(principal, webhook_id, scopes.WEBHOOKS_READ)
    page = webhook_store.list_deliveries(webhook_id, limit=limit, position=position)
    return page.items, page.position


def redeliver(principal: Principal, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """Queue the event of a logged attempt again (its own series of attempts, the same
    event id: receivers deduplicate on it)."""
    webhook = _webhook(principal, webhook_id, scopes.WEBHOOKS_WRITE)
    entry = webhook_store.get_delivery(webhook_id, delivery_id)
    if entry is None:
        raise NotFound("Delivery not found.")
    if entry.payload_z is None:
        raise Conflict("This delivery's payload was too large to keep: it cannot be redelivered.")
    envelope = json.loads(zlib.decompress(entry.payload_z))
    series = f"redelivery-{new_id()}"
    _send_tasks([_task(webhook, envelope, series=series, attempt=1, not_before=time.time())])
    return {"eventId": envelope["id"], "queued": True}


# --- delivering --------------------------------------------------------------------------


def envelope_body(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(webhook: Webhook, envelope: dict[str, Any], body: bytes, timestamp: int) -> dict[str, str]:
    secrets = signing_secrets(webhook, timestamp)
    return {
        "Content-Type": "application/json",
        "User-Agent": webhook_delivery.USER_AGENT,
        "X-Disqua-Event": envelope["type"],
        "X-Disqua-Delivery": envelope["id"],
        "X-Disqua-Timestamp": str(timestamp),
        "X-Disqua-Signature-256": webhook_secrets.disqua_signature(secrets, timestamp, body),
        "webhook-id": envelope["id"],
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_secrets.standard_signature(secrets, envelope["id"], timestamp, body),
    }


def subscribers(event: dict[str, Any]) -> list[Webhook]:
    """The workspace's active webhooks that take this event's type."""
    if not event.get("workspaceId"):
        return []
    return [
        w
        for w in webhook_store.all_for_workspace(event["workspaceId"])
        if w.status == "active" and event["type"] in (w.events or [])
    ]


def _task(
    webhook: Webhook, envelope: dict[str, Any], *, series: str, attempt: int, not_before: float
) -> dict[str, Any]:
    return {
        "kind": TASK,
        "webhookId": webhook.id,
        "series": series,
        "attempt": attempt,
        "notBefore": round(not_before, 3),
        "event": envelope,
    }


def _send_tasks(tasks: list[dict[str, Any]]) -> None:
    """Each task delayed until its notBefore (at most 900 s at a time: SQS's maximum)."""
    from chalicelib.aws import client
    from chalicelib.workers.router import batches

    if not tasks:
        return
    url = get_settings().queue_url("webhooks")
    now = time.time()
    bodies = {json.dumps(t, ensure_ascii=False, separators=(",", ":")): t for t in tasks}
    for chunk in batches(list(bodies)):
        entries = [
            {
                "Id": str(i),
                "MessageBody": body,
                "DelaySeconds": max(0, min(900, int(bodies[body]["notBefore"] - now + 0.999))),
            }
            for i, body in enumerate(chunk)
        ]
        result = client("sqs").send_message_batch(QueueUrl=url, Entries=entries)
        if result.get("Failed"):
            raise RuntimeError(f"SQS refused {len(result['Failed'])} webhook tasks; the message will be retried")


def from_private_channel(event: dict[str, Any]) -> bool:
    """Whether the event is about a private channel (or what happens in one). Those are
    never delivered: a webhook is workspace-wide, a private channel is visible to its
    members only (not even to admins outside it)."""
    data = event.get("data") or {}
    if "channelType" in data:  # message events
        return data["channelType"] == "private"
    if event["type"] == "channel.created":
        return data.get("type") == "private"
    if not data.get("channelId"):
        return False
    from chalicelib.store import channels as channel_store

    channel = channel_store.get(data["channelId"])
    return channel is None or channel.channel_type == "private"


def fan_out(event: dict[str, Any], hooks: list[Webhook] | None = None) -> int:
    """One delivery task per subscribed webhook (``hooks``: already looked up); returns how many."""
    hooks = subscribers(event) if hooks is None else hooks
    if not hooks or from_private_channel(event):  # the channel is read only if someone listens
        return 0
    now = time.time()
    tasks = [_task(w, event, series=AUTO, attempt=1, not_before=now) for w in hooks]
    _send_tasks(tasks)
    return len(tasks)


def postpone(task: dict[str, Any]) -> bool:
    """A task that arrived before its time goes round the queue again; True if so."""
    if task["notBefore"] <= time.time() + 1:
        return False
    _send_tasks([task])
    return True


@dataclass(frozen=True)
class Outcome:
    entry: WebhookDelivery | None  # None: dropped (webhook paused, disabled or gone)
    exhausted: bool = False  # the last attempt failed: the task belongs in the DLQ


def attempt(task: dict[str, Any]) -> Outcome:
    """One attempt of a delivery task: POST, log, then schedule the next or stop."""
    webhook = webhook_store.get(task["webhookId"])
    envelope = task["event"]
    if webhook is None or webhook.status != "active":
        return Outcome(None)
    # Automatic deliveries follow the subscription as it is now; a redelivery was asked
    # for by an admin (a ping, or an event the webhook no longer takes, included).
    if task["series"] == AUTO and envelope["type"] not in (webhook.events or []):
        return Outcome(None)
    entry = _attempt_once(webhook, envelope, series=task["series"], attempt=task["attempt"], retries=True)
    if entry.status == "pending":
        next_at = datetime.fromisoformat(entry.next_attempt_at.replace("Z", "+00:00")).timestamp()
        _send_tasks([{**task, "attempt": task["attempt"] + 1, "notBefore": next_at}])
    webhook_store.log_delivery(entry)
    exhausted = entry.status == "failed" and entry.response_status != 410
    return Outcome(entry, exhausted=exhausted)


def _reseal(webhook: Webhook) -> None:
    """Secrets sealed under a signing key that is no longer the active one are sealed
    again under the active one when next used: once the old key is retired (after its
    verification window), nothing depends on it."""
    from chalicelib.config import get_signing_keys

    active = get_signing_keys().active
    if webhook.secret_kid == active and webhook.previous_secret_kid in (None, active):
        return
    fields: dict[str, Any] = {}
    fields["secret_enc"], fields["secret_kid"] = webhook_secrets.encrypt(
        webhook_secrets.decrypt(webhook.secret_enc, webhook.secret_kid, webhook.id), webhook.id
    )
    if webhook.previous_secret_enc and webhook.previous_secret_kid:
        previous = webhook_secrets.decrypt(webhook.previous_secret_enc, webhook.previous_secret_kid, webhook.id)
        fields["previous_secret_enc"], fields["previous_secret_kid"] = webhook_secrets.encrypt(previous, webhook.id)
    try:
        webhook_store.update(webhook, fields)
    except ConditionFailed:
        return
    for name, value in fields.items():
        setattr(webhook, name, value)


def _attempt_once(
    webhook: Webhook, envelope: dict[str, Any], *, series: str, attempt: int, retries: bool
) -> WebhookDelivery:
    """POST the envelope once; the log entry to write (not yet written)."""
    _reseal(webhook)
    body = envelope_body(envelope)
    timestamp = int(time.time())
    result = webhook_delivery.post(webhook.url, body, signed_headers(webhook, envelope, body, timestamp))
    status, next_at = "succeeded", None
    if not result.succeeded:
        delay = webhook_delivery.retry_delay(attempt) if retries and result.status_code != 410 else None
        status = "failed" if delay is None else "pending"
        next_at = iso(datetime.fromtimestamp(time.time() + delay, UTC)) if delay is not None else None
    if result.status_code == 410:
        _disable(webhook, "The endpoint answered 410 Gone.")
    packed = zlib.compress(body)
    count("WebhookDelivered" if result.succeeded else "WebhookAttemptFailed")
    logger().info(
        "webhook attempt",
        extra={
            "webhookId": webhook.id,
            "eventId": envelope["id"],
            "attempt": attempt,
            "status": status,
            "responseStatus": result.status_code,
            "latencyMs": result.latency_ms,
        },
    )
    return webhook_store.new_delivery(
        new_id(),
        webhook.id,
        event_id=envelope["id"],
        event_type=envelope["type"],
        series=series,
        attempt=attempt,
        status=status,
        response_status=result.status_code,
        response_body=result.body,
        latency_ms=result.latency_ms,
        error=result.error or (None if result.succeeded else f"HTTP {result.status_code}"),
        created_at=now_iso(),
        next_attempt_at=next_at,
        payload_z=packed if len(packed) <= MAX_STORED_PAYLOAD else None,
    )


def _disable(webhook: Webhook, reason: str) -> None:
    try:
        webhook_store.update(
            webhook, {"status": "disabled", "disabled_reason": reason, "updated_at": now_iso()}, only_if_status="active"
        )
    except ConditionFailed:
        return  # paused, disabled or deleted meanwhile


def ping_event(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": f"evt_{new_id()}",
        "type": "ping",
        "workspaceId": webhook.workspace_id,
        "createdAt": now_iso(),
        "data": {"webhookId": webhook.id, "message": "Hello from Disqua: this endpoint receives this webhook."},
    }


def test(principal: Principal, webhook_id: str) -> WebhookDelivery:
    """Send a ping now (whatever the webhook's status) and answer with the attempt."""
    webhook = _webhook(principal, webhook_id, scopes.WEBHOOKS_WRITE)
    entry = _attempt_once(webhook, ping_event(webhook), series="test", attempt=1, retries=False)
    webhook_store.log_delivery(entry)
    return entry
