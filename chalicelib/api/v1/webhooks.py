"""/v1/workspaces/{id}/webhooks and /v1/webhooks/{id}: webhooks (admins and owners).

The signing secret is in the answers of create and rotate-secret only (and never in
an idempotent replay of them); list and get never show it.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Enum, List, Obj, Str, Text, Url
from chalicelib.services import webhooks
from chalicelib.services.webhook_catalog import SUBSCRIBABLE
from chalicelib.store.models import Webhook, WebhookDelivery

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Webhooks")

EVENTS = List(Enum(SUBSCRIBABLE), min_items=1, max_items=len(SUBSCRIBABLE), unique=True)
WEBHOOK_ID = Str(
    max_len=39,
    pattern=r"wh_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    pattern_hint="must be a webhook id (wh_...)",
)
BY_ID = {"webhookId": WEBHOOK_ID}
SECRET = Str(
    required=False,
    max_len=100,
    description="whsec_ + base64 of 32 to 64 random bytes (Standard Webhooks); generated when absent",
)


def view(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "workspaceId": webhook.workspace_id,
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events or []),
        "status": webhook.status,
        "disabledReason": webhook.disabled_reason,
        "createdAt": webhook.created_at,
        "updatedAt": webhook.updated_at,
    }


def delivery_view(entry: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": entry.id,
        "eventId": entry.event_id,
        "eventType": entry.event_type,
        "attempt": int(entry.attempt),
        "status": entry.status,
        "responseStatus": int(entry.response_status) if entry.response_status is not None else None,
        "responseBody": entry.response_body,
        "latencyMs": int(entry.latency_ms) if entry.latency_ms is not None else None,
        "error": entry.error,
        "createdAt": entry.created_at,
        "nextAttemptAt": entry.next_attempt_at,
    }


@v1.route(
    "/v1/workspaces/{workspaceId}/webhooks",
    "GET",
    summary="List webhooks (admins and owners)",
    scope=scopes.WEBHOOKS_READ,
    query=page_query(),
)
def list_webhooks(call: Call) -> Any:
    items, position = webhooks.list_webhooks(
        call.user, call.params["workspaceId"], limit=call.query["limit"], position=call.position()
    )
    return call.page([view(w) for w in items], position)


@v1.route(
    "/v1/workspaces/{workspaceId}/webhooks",
    "POST",
    summary="Create a webhook; its signing secret is in this response only",
    scope=scopes.WEBHOOKS_WRITE,
    status=201,
    body=Obj({"name": Text(min_len=1, max_len=80), "url": Url(), "events": EVENTS, "secret": SECRET}),
)
def create_webhook(call: Call) -> Any:
    b = call.body
    created = webhooks.create(
        call.user, call.params["workspaceId"], name=b["name"], url=b["url"], events=b["events"], secret=b.get("secret")
    )
    return Reply({**view(created.webhook), "secret": created.secret}, status=201, secrets=("secret",))


@v1.route(
    "/v1/webhooks/{webhookId}",
    "GET",
    params=BY_ID,
    summary="Read a webhook (never its secret)",
    scope=scopes.WEBHOOKS_READ,
)
def get_webhook(call: Call) -> Any:
    return view(webhooks.get(call.user, call.params["webhookId"]))


@v1.route(
    "/v1/webhooks/{webhookId}",
    "PATCH",
    params=BY_ID,
    summary="Update url, events, name, status (active or paused)",
    scope=scopes.WEBHOOKS_WRITE,
    body=Obj(
        {
            "name": Text(required=False, min_len=1, max_len=80),
            "url": Url(required=False),
            "events": List(Enum(SUBSCRIBABLE), required=False, min_items=1, max_items=len(SUBSCRIBABLE), unique=True),
            "status": Enum(("active", "paused"), required=False),
        },
        at_least_one=True,
    ),
)
def update_webhook(call: Call) -> Any:
    return view(webhooks.update(call.user, call.params["webhookId"], call.body))


@v1.route(
    "/v1/webhooks/{webhookId}",
    "DELETE",
    params=BY_ID,
    summary="Delete a webhook",
    scope=scopes.WEBHOOKS_WRITE,
    status=204,
)
def delete_webhook(call: Call) -> Any:
    webhooks.delete(call.user, call.params["webhookId"])
    return Reply(status=204)


@v1.route(
    "/v1/webhooks/{webhookId}/rotate-secret",
    "POST",
    params=BY_ID,
    summary="A new signing secret (in this response only); the old one also signs for 24 h",
    scope=scopes.WEBHOOKS_WRITE,
)
def rotate_secret(call: Call) -> Any:
    rotated = webhooks.rotate_secret(call.user, call.params["webhookId"])
    return Reply({**view(rotated.webhook), "secret": rotated.secret}, secrets=("secret",))


@v1.route(
    "/v1/webhooks/{webhookId}/test",
    "POST",
    params=BY_ID,
    summary="Send a ping now; answers the attempt's result (within 15 s)",
    limit="webhook-test",
    scope=scopes.WEBHOOKS_WRITE,
)
def test_webhook(call: Call) -> Any:
    return delivery_view(webhooks.test(call.user, call.params["webhookId"]))


@v1.route(
    "/v1/webhooks/{webhookId}/deliveries",
    "GET",
    params=BY_ID,
    summary="Delivery attempts, newest first (kept 30 days)",
    scope=scopes.WEBHOOKS_READ,
    query=page_query(),
)
def list_deliveries(call: Call) -> Any:
    items, position = webhooks.list_deliveries(
        call.user, call.params["webhookId"], limit=call.query["limit"], position=call.position()
    )
    return call.page([delivery_view(d) for d in items], position)


@v1.route(
    "/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver",
    "POST",
    params=BY_ID,
    summary="Queue a logged delivery's event again (same event id)",
    limit="webhook-test",
    scope=scopes.WEBHOOKS_WRITE,
    status=202,
)
def redeliver(call: Call) -> Any:
    return Reply(webhooks.redeliver(call.user, call.params["webhookId"], call.params["deliveryId"]), status=202)
