"""The Web Push worker: ``notification.created`` -> one encrypted push per browser
subscription of the recipient (pywebpush: aes128gcm, VAPID, TTL, Urgency, Topic).

Exactly once per event and subscription, as far as a push service can tell:
- the event is claimed (chalicelib/workers/consumer.py): a redelivered event whose
  pushes are done is acknowledged without pushing again;
- 429 and 5xx (and timeouts) fail the message with a delay: its visibility is set to
  the later of Retry-After and an exponential backoff, and the subscriptions already
  reached are recorded (store.push.record_pushed) so the retry skips them. After the
  queue's maxReceiveCount (infra/resources.yaml) SQS moves it to the DLQ;
- a crash between a push and that record can repeat a push: every push of a
  notification carries the same Topic header, so the push service replaces an
  undelivered copy instead of showing two.

404/410 mean the browser unsubscribed: the subscription is deleted. Other answers
(400, 401/403 for a key the subscription was not made with, 413) cannot be fixed by
retrying: logged and dropped.

Endpoints are URLs a browser gave us: outside the local stage the connection is
refused unless the address actually connected to is a public one (checked on the
socket, after DNS, so a rebinding name gains nothing), and redirects are not
followed.
"""

from __future__ import annotations

import ipaddress
import json
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any

from chalicelib.config import get_settings
from chalicelib.observability import count, logger
from chalicelib.services import push, vapid
from chalicelib.store import push as push_store
from chalicelib.workers.consumer import handle_once

CONSUMER = "push"
EVENT_TYPES = ("notification.created",)
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 10
# requests' timeouts are per socket operation: an endpoint sending its answer a byte
# at a time would outlast them. Past this, the connection is shut down.
ATTEMPT_SECONDS = 10
# Stop starting pushes this long into an invocation (the function's timeout is 30 s,
# .chalice/config.json): what is left is retried, never cut off by the timeout.
TIME_BUDGET_SECONDS = 15
RETRY_BASE_SECONDS = 30
# SQS caps a message's visibility timeout at 12 h.
RETRY_MAX_SECONDS = 12 * 3600 - 300


class RetryLater(Exception):
    """Some subscriptions must be pushed again after ``delay`` seconds."""

    def __init__(self, delay: int):
        super().__init__(f"retry in {delay} s")
        self.delay = delay


class RefusedAddress(Exception):
    """The endpoint's address is not a public one (SSRF guard)."""


# --- the SSRF guard -------------------------------------------------------------------


def address_allowed(address: str, allow_loopback: bool) -> bool:
    """Public unicast only; loopback too where allowed (the local stage, tests).
    IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_private)


def guarded_session(allow_loopback: bool) -> Any:
    """A requests session that checks the peer address of every connection it opens,
    bounds each request as a whole (ATTEMPT_SECONDS), and never follows a redirect or
    a proxy from the environment."""
    import contextlib
    import socket
    import threading

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def checked(sock: Any) -> Any:
        peer = sock.getpeername()[0]
        if not address_allowed(peer, allow_loopback):
            sock.close()
            raise RefusedAddress(f"push endpoint resolves to {peer}, which is not a public address")
        return sock

    in_use = threading.local()  # the connections the current request has used

    def noted(connection: Any) -> None:
        used = getattr(in_use, "connections", None)
        if used is not None:
            used.append(connection)

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> Any:
            return checked(super()._new_conn())

        def request(self, *args: Any, **kwargs: Any) -> Any:
            noted(self)
            return super().request(*args, **kwargs)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> Any:
            return checked(super()._new_conn())

        def request(self, *args: Any, **kwargs: Any) -> Any:
            noted(self)
            return super().request(*args, **kwargs)

    def cut(connections: list[Any], fired: threading.Event) -> None:
        """Out of time: shut the sockets down, so the blocked read returns."""
        fired.set()
        for connection in connections:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}

    class NoRedirectSession(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs["allow_redirects"] = False
            used: list[Any] = []
            fired = threading.Event()
            in_use.connections = used
            watchdog = threading.Timer(ATTEMPT_SECONDS, cut, args=(used, fired))
            watchdog.daemon = True
            watchdog.start()
            try:
                response = super().request(*args, **kwargs)
            finally:
                watchdog.cancel()
                in_use.connections = None
            if fired.is_set():  # a cut answer can parse as complete (status line, no headers)
                response.close()
                raise requests.Timeout(f"no complete answer within {ATTEMPT_SECONDS} s")
            return response

    session = NoRedirectSession()
    session.trust_env = False  # no proxy or netrc from the environment
    adapter = GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --- one push ---------------------------------------------------------------------------


def retry_after_seconds(value: str | None) -> int | None:
    """Retry-After as delta-seconds or an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        return max(0, int(parsedate_to_datetime(value).timestamp() - time.time()))
    except (TypeError, ValueError):
        return None


def send(subscription: Any, body: bytes, data: dict[str, Any], session: Any) -> tuple[int | None, int | None, str]:
    """Post one push: (status or None when no answer came, Retry-After seconds, the
    error when no answer came: timeout, connection refused...)."""
    import requests
    from pywebpush import WebPushException, webpush

    try:
        response = webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=body,
            vapid_private_key=vapid.signer(),
            vapid_claims=vapid.claims(subscription.endpoint),
            content_encoding="aes128gcm",
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            ttl=push.TTL_SECONDS,
            headers={"Urgency": push.urgency(str(data.get("type"))), "Topic": push.topic(data["notificationId"])},
            requests_session=session,
        )
    except WebPushException as exc:
        answer = exc.response
        if answer is None:
            return None, None, "no response"
        return answer.status_code, retry_after_seconds(answer.headers.get("Retry-After")), ""
    except requests.RequestException as exc:  # timeout, connection refused, TLS...
        return None, None, type(exc).__name__
    return response.status_code, None, ""


def backoff(receive_count: int) -> int:
    """30 s, 60 s, 120 s... with +-20 % jitter so retries of one outage spread out."""
    delay = RETRY_BASE_SECONDS * 2 ** max(0, receive_count - 1)
    return int(min(RETRY_MAX_SECONDS, delay * random.uniform(0.8, 1.2)))  # noqa: S311 (jitter, not a secret)


def deliver(event: dict[str, Any], receive_count: int, session: Any, deadline: float) -> None:
    """Push one notification to each of its recipient's subscriptions."""
    data = event["data"]
    subscriptions = push.subscriptions_of(data["userId"])
    if not subscriptions:
        return
    done = push_store.pushed_already(event["id"]) if receive_count > 1 else set()
    body = push.payload(data)
    pushed: set[str] = set()
    hints: list[int] = []
    retry = deferred = False
    now_ms = time.time() * 1000
    for subscription in subscriptions:
        digest = push_store.endpoint_hash(subscription.endpoint)
        if digest in done:
            continue
        if subscription.expiration_time is not None and subscription.expiration_time < now_ms:
            push.forget(subscription)
            continue
        if time.monotonic() > deadline:
            deferred = True  # out of time in this invocation: soon, in the next one
            continue
        # Endpoints are capability URLs: logs name a subscription by its hash only.
        where = {"eventId": event["id"], "subscription": digest[:12], "attempt": receive_count}
        try:
            status, hint, error = send(subscription, body, data, session)
        except RefusedAddress as refused:
            logger().warning("push endpoint refused", extra={**where, "reason": str(refused)})
            push.forget(subscription)  # it can never be delivered
            continue
        if status is not None and 200 <= status < 300:
            pushed.add(digest)
            count("PushSent")
        elif status in (404, 410):
            logger().info("push subscription gone", extra={**where, "status": status})
            push.forget(subscription)
            count("PushSubscriptionGone")
        elif status is None or status == 429 or status >= 500:
            logger().warning(
                "push attempt failed: retrying", extra={**where, "status": status, "error": error, "retryAfter": hint}
            )
            retry = True
            if hint is not None:
                hints.append(hint)
            count("PushRetried")
        else:
            logger().warning("push rejected: dropped", extra={**where, "status": status})
            count("PushRejected")
    if retry or deferred:
        push_store.record_pushed(event["id"], pushed)
        delay = max([backoff(receive_count), *hints]) if retry else 1
        raise RetryLater(min(RETRY_MAX_SECONDS, delay))


def _delay(receipt_handle: str, seconds: int) -> None:
    """Make the failed message visible again in ``seconds`` (not the queue's default)."""
    from chalicelib.aws import client

    try:
        client("sqs").change_message_visibility(
            QueueUrl=get_settings().queue_url("push"), ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
    except Exception:  # the message still comes back, after the queue's visibility timeout
        logger().exception("could not delay a push retry")


def handle_batch(raw_event: dict[str, Any]) -> dict[str, Any]:
    """The SQS handler's work: a partial batch response (failed items are retried)."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    session = guarded_session(get_settings().push_allow_loopback)
    deadline = time.monotonic() + TIME_BUDGET_SECONDS

    def record_handler(record: Any) -> None:
        event = json.loads(record.body)
        if event.get("type") not in EVENT_TYPES:
            return
        receive_count = int(record.attributes.approximate_receive_count or 1)
        try:
            handle_once(CONSUMER, event, lambda e: deliver(e, receive_count, session, deadline))
        except RetryLater as later:
            _delay(record.receipt_handle, later.delay)
            raise

    try:
        # A batch whose every item failed is still a partial-batch answer (not an
        # exception): the retries already carry their own delays.
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        return process_partial_response(event=raw_event, record_handler=record_handler, processor=processor)
    finally:
        session.close()
