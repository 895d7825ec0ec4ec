"""Web Push (RFC 8030 delivery, RFC 8291 aes128gcm encryption, RFC 8292 VAPID).

A browser subscribes with its PushSubscription JSON; the push worker
(chalicelib/workers/push.py) encrypts each ``notification.created`` for every
subscription of its recipient and posts it to the push service named by the
endpoint. Subscriptions belong to a login session's user (docs/permissions.md).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib import links
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, ValidationError
from chalicelib.ids import now_iso
from chalicelib.services import authz
from chalicelib.services.vapid import b64url_decode
from chalicelib.store import push as push_store
from chalicelib.store.models import PushSubscription

MAX_SUBSCRIPTIONS = 10
MAX_ENDPOINT_CHARS = 2048
P256DH_BYTES = 65  # uncompressed point: 0x04 || X || Y
AUTH_BYTES = 16
# RFC 8291: a push message carries at most 4096 bytes, of which the aes128gcm header
# (86 bytes with a 65-byte key id), the padding delimiter and the tag take 103.
MAX_PAYLOAD_BYTES = 3993
MAX_BODY_CHARS = 1000  # previews are <= 140 (the event contract); defensive
TTL_SECONDS = 24 * 3600  # how long the push service keeps it for an offline browser
TITLES = {
    "mention": "{actor} mentioned you",
    "channel_mention": "{actor} notified the channel",
    "thread_reply": "{actor} replied in a thread",
    "invite": "{actor} invited you to a workspace",
    "reaction": "{actor} reacted to your message",
}


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str
    expiration_time: int | None = None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str, field: str = "endpoint") -> str:
    """https with a host and no credentials; loopback http too where the settings allow
    it (the local stage, tests). Where it may point is checked again when pushing."""
    if len(endpoint) > MAX_ENDPOINT_CHARS:
        raise ValidationError(f"{field} must be at most {MAX_ENDPOINT_CHARS} characters.", field=field)
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        raise ValidationError(f"{field} is not a valid URL.", field=field) from None
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise ValidationError(f"{field} must be an https URL with a host (no credentials).", field=field)
    if parts.scheme == "https":
        return endpoint
    if parts.scheme == "http" and get_settings().push_allow_loopback and _is_loopback(host):
        return endpoint
    raise ValidationError(f"{field} must be an https URL.", field=field)


def _decode(value: str, field: str) -> bytes:
    try:
        return b64url_decode(value)
    except ValueError:
        raise ValidationError(f"{field} must be base64url.", field=field) from None


def check_p256dh(value: str, field: str = "keys.p256dh") -> str:
    """An uncompressed P-256 point that is on the curve (RFC 8291 section 3.1)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    raw = _decode(value, field)
    if len(raw) != P256DH_BYTES or raw[0] != 0x04:
        raise ValidationError(f"{field} must be an uncompressed P-256 point (65 bytes starting 0x04).", field=field)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise ValidationError(f"{field} is not a point on the P-256 curve.", field=field) from None
    return value


def check_auth(value: str, field: str = "keys.auth") -> str:
    if len(_decode(value, field)) != AUTH_BYTES:
        raise ValidationError(f"{field} must be {AUTH_BYTES} bytes (base64url).", field=field)
    return value


def parse(body: dict[str, Any]) -> Subscription:
    """The browser's PushSubscription JSON, already shaped by the route's schema."""
    return Subscription(
        endpoint=check_endpoint(body["endpoint"]),
        p256dh=check_p256dh(body["keys"]["p256dh"]),
        auth=check_auth(body["keys"]["auth"]),
        expiration_time=body.get("expirationTime"),
    )


def subscribe(principal: Principal, subscription: Subscription) -> tuple[PushSubscription, bool]:
    """Store it for the caller: (the subscription, True if new). Idempotent per
    endpoint (the same endpoint again updates its keys). At most MAX_SUBSCRIPTIONS;
    an endpoint another user held is taken from them (one browser, one owner)."""
    authz.require_session(principal)
    user_id = principal.user_id
    item = push_store.new_subscription(
        user_id,
        subscription.endpoint,
        p256dh=subscription.p256dh,
        auth=subscription.auth,
        expiration_time=subscription.expiration_time,
        created_at=now_iso(),
    )
    digest = push_store.endpoint_hash(subscription.endpoint)
    for previous_owner in push_store.owners(digest):
        if previous_owner != user_id:
            push_store.remove(previous_owner, digest)
    try:
        created = push_store.add(item, MAX_SUBSCRIPTIONS)
    except push_store.TooMany:
        raise Conflict(
            f"At most {MAX_SUBSCRIPTIONS} push subscriptions per user: unsubscribe one first.", field="endpoint"
        ) from None
    return item, created


def unsubscribe(principal: Principal, endpoint: str) -> bool:
    """Idempotent: False when the caller had no subscription for that endpoint."""
    authz.require_session(principal)
    return push_store.remove(principal.user_id, push_store.endpoint_hash(endpoint))


def subscriptions_of(user_id: str) -> list[PushSubscription]:
    return push_store.list_for_user(user_id)


def forget(subscription: PushSubscription) -> None:
    """The push service said the subscription is gone (404/410)."""
    push_store.remove(subscription.user_id, push_store.endpoint_hash(subscription.endpoint))


# --- what a push carries -------------------------------------------------------------


def notification_url(data: dict[str, Any]) -> str:
    """Where a click on the notification leads (the message, else the workspace)."""
    workspace, channel, message = data.get("workspaceId"), data.get("channelId"), data.get("messageId")
    if channel and message:
        return links.message(channel, message)
    if workspace:
        return links.workspace(workspace)
    return links.notifications()


def payload(data: dict[str, Any]) -> bytes:
    """The JSON a service worker gets: {title, body, url, notificationId}, whose UTF-8
    fits in one push message (the body is shortened, never the rest)."""
    actor = data.get("actor") or {}
    who = actor.get("displayName") or actor.get("username") or "Someone"
    title = TITLES.get(str(data.get("type")), "New notification on Disqua").format(actor=who)[:200]
    body = str(data.get("preview") or "")
    if len(body) > MAX_BODY_CHARS:
        body = body[: MAX_BODY_CHARS - 1] + "…"
    doc = {"title": title, "body": body, "url": notification_url(data), "notificationId": data["notificationId"]}

    def encoded(text: str) -> bytes:
        return json.dumps({**doc, "body": text}, ensure_ascii=False, separators=(",", ":")).encode()

    raw = encoded(body)
    if len(raw) <= MAX_PAYLOAD_BYTES:
        return raw
    # The longest prefix of the body (plus an ellipsis) that fits: a binary search,
    # since a character takes 1 to 6 bytes once JSON-escaped and UTF-8 encoded.
    low, high = 0, len(body)
    while low < high:
        middle = (low + high + 1) // 2
        if len(encoded(body[:middle] + "…")) <= MAX_PAYLOAD_BYTES:
            low = middle
        else:
            high = middle - 1
    raw = encoded(body[:low] + "…")
    return raw


def urgency(notification_type: str) -> str:
    """RFC 8030 section 5.3: mentions may wake a sleeping device, the rest wait."""
    return "high" if notification_type in ("mention", "channel_mention") else "normal"


def topic(notification_id: str) -> str:
    """RFC 8030 section 5.4: a second push of the same notification (a retry after a
    crash) replaces the first one still waiting at the push service. <= 32 chars of
    the base64url alphabet: the id's hex digits."""
    return notification_id.replace("-", "")[:32]
