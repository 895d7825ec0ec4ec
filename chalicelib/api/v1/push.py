"""/v1/notifications/push: Web Push subscriptions of the caller's browsers.

A browser gets the application server key, subscribes through its PushManager and
posts ``subscription.toJSON()`` here (README, "Web Push"). Subscriptions belong to a
user, not a workspace: login sessions only (docs/permissions.md).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import HTTPS_URL, Int, Obj, Str
from chalicelib.services import push, vapid

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Notifications")

B64URL = r"[A-Za-z0-9_-]+={0,2}"
ENDPOINT = Str(
    min_len=1,
    max_len=push.MAX_ENDPOINT_CHARS,
    doc_pattern=HTTPS_URL,
    description="The push service URL of the subscription",
)


@v1.route(
    "/v1/notifications/push/vapid-public-key",
    "GET",
    summary="The VAPID application server key (base64url uncompressed P-256 point) for PushManager.subscribe",
    scope=scopes.ANY_TOKEN,
)
def vapid_public_key(call: Call) -> Any:
    return {"publicKey": vapid.public_key()}


@v1.route(
    "/v1/notifications/push/subscribe",
    "POST",
    summary="Register a browser's push subscription (PushSubscription.toJSON()); idempotent per endpoint",
    scope=scopes.SESSION,
    status=201,
    body=Obj(
        {
            "endpoint": ENDPOINT,
            "expirationTime": Int(required=False, nullable=True, minimum=0, maximum=2**53),
            "keys": Obj(
                {
                    "p256dh": Str(min_len=1, max_len=100, pattern=B64URL, pattern_hint="must be base64url"),
                    "auth": Str(min_len=1, max_len=40, pattern=B64URL, pattern_hint="must be base64url"),
                }
            ),
        }
    ),
)
def subscribe(call: Call) -> Any:
    item, created = push.subscribe(call.user, push.parse(call.body))
    view = {
        "endpoint": item.endpoint,
        "expirationTime": item.expiration_time,
        "createdAt": item.created_at,
    }
    return Reply(view, status=201 if created else 200)


@v1.route(
    "/v1/notifications/push/unsubscribe",
    "POST",
    summary="Remove a push subscription by endpoint; idempotent (removed: false if there was none)",
    scope=scopes.SESSION,
    body=Obj({"endpoint": ENDPOINT}),
)
def unsubscribe(call: Call) -> Any:
    return {"endpoint": call.body["endpoint"], "removed": push.unsubscribe(call.user, call.body["endpoint"])}
