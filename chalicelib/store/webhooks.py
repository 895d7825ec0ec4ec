"""Webhooks and their delivery log.

- ``WH#id`` / ``META``: the webhook, listed per workspace through GSI1 (``WS#wid`` /
  ``WH#id``);
- ``WS#wid`` / ``COUNT#WEBHOOKS``: how many the workspace has, moved in the same
  transaction as each create and delete (the Free plan's limit is its condition);
- ``WH#id`` / ``DLV#<id>``: one delivery attempt, newest first, kept 30 days (TTL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.store import keys
from chalicelib.store.claims import PROCESSED_RETENTION
from chalicelib.store.db import fetch, set_or_remove, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import Processed, Webhook, WebhookCounter, WebhookDelivery
from chalicelib.store.pages import Page, query_page

DELIVERY_RETENTION = timedelta(days=30)


class LimitReached(Exception):
    """The workspace already has as many webhooks as its plan allows."""


def new_webhook(webhook_id: str, workspace_id: str, **attributes: Any) -> Webhook:
    return Webhook(
        keys.webhook(webhook_id),
        keys.META,
        GSI1PK=keys.workspace(workspace_id),
        GSI1SK=keys.webhook(webhook_id),
        id=webhook_id,
        workspace_id=workspace_id,
        **attributes,
    )


def _counter(workspace_id: str) -> WebhookCounter:
    return WebhookCounter(keys.workspace(workspace_id), keys.WEBHOOK_COUNT)


def create(webhook: Webhook, limit: int | None) -> None:
    """The webhook and the counter's increment in one transaction; LimitReached when
    the counter is at ``limit`` already (None: unlimited)."""
    counter = _counter(webhook.workspace_id)
    condition = None
    if limit is not None:
        condition = WebhookCounter.count.does_not_exist() | (WebhookCounter.count < limit)
    try:
        with transaction() as tx:
            tx.save(webhook, condition=Webhook.PK.does_not_exist(), label="webhook")
            actions = [WebhookCounter.count.add(1), WebhookCounter.type.set(WebhookCounter)]
            tx.update(counter, actions=actions, condition=condition, label="limit")
    except TransactionCancelled as cancelled:
        if "limit" in cancelled.failed:
            raise LimitReached() from None
        raise


def delete(webhook: Webhook) -> None:
    """ConditionFailed if it was deleted meanwhile (the counter moves only once)."""
    try:
        with transaction() as tx:
            tx.delete(webhook, condition=Webhook.PK.exists())
            tx.update(_counter(webhook.workspace_id), actions=[WebhookCounter.count.add(-1)])
    except TransactionCancelled:
        raise ConditionFailed() from None


def get(webhook_id: str) -> Webhook | None:
    return fetch(Webhook, keys.webhook(webhook_id), keys.META)


def count(workspace_id: str) -> int:
    counter = fetch(WebhookCounter, keys.workspace(workspace_id), keys.WEBHOOK_COUNT)
    return int(counter.count) if counter else 0


def update(webhook: Webhook, changes: dict[str, Any], *, only_if_status: str | None = None) -> None:
    """Set (None: remove) attributes. ConditionFailed if the webhook is gone (or its
    status is no longer ``only_if_status``)."""
    condition = Webhook.PK.exists()
    if only_if_status is not None:
        condition = condition & (Webhook.status == only_if_status)
    try:
        webhook.update(actions=set_or_remove(Webhook, changes), condition=condition)
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise ConditionFailed() from None
        raise


def list_for_workspace(workspace_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[Webhook]:
    return query_page(
        Webhook,
        keys.workspace(workspace_id),
        Webhook.GSI1SK.startswith(keys.WEBHOOK_PREFIX),
        index="GSI1",
        limit=limit,
        position=position,
    )


def all_for_workspace(workspace_id: str) -> list[Webhook]:
    """Every webhook of a workspace (the worker's fan-out): pages of 100, one Query
    per page (a Free workspace has at most 10)."""
    found: list[Webhook] = []
    position = None
    while True:
        page = list_for_workspace(workspace_id, limit=100, position=position)
        found.extend(page.items)
        if page.position is None:
            return found
        position = page.position


# --- delivery log ------------------------------------------------------------------


def new_delivery(delivery_id: str, webhook_id: str, **attributes: Any) -> WebhookDelivery:
    return WebhookDelivery(
        keys.webhook(webhook_id),
        keys.webhook_delivery(delivery_id),
        id=delivery_id,
        webhook_id=webhook_id,
        ttl=DELIVERY_RETENTION,
        **attributes,
    )


def log_delivery(entry: WebhookDelivery) -> None:
    entry.save()


def get_delivery(webhook_id: str, delivery_id: str) -> WebhookDelivery | None:
    return fetch(WebhookDelivery, keys.webhook(webhook_id), keys.webhook_delivery(delivery_id))


def list_deliveries(webhook_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[WebhookDelivery]:
    return query_page(
        WebhookDelivery,
        keys.webhook(webhook_id),
        WebhookDelivery.SK.startswith(keys.WEBHOOK_DELIVERY_PREFIX),
        limit=limit,
        position=position,
        newest_first=True,
    )


# --- dead deliveries -----------------------------------------------------------------


def mark_dead(consumer: str, event_id: str) -> None:
    """Leave a task's claim ``dead`` (claims.begin_processing then answers "busy" for
    ever): every receive of that task fails until SQS moves it to the DLQ."""
    Processed(
        keys.processed(consumer, event_id), keys.GUARD, status="dead", lease_until=0, ttl=PROCESSED_RETENTION
    ).save()


def is_dead(consumer: str, event_id: str) -> bool:
    found = fetch(Processed, keys.processed(consumer, event_id), keys.GUARD, consistent=True)
    return found is not None and found.status == "dead"
