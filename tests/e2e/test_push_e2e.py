"""Web Push over real HTTP against the local runtime: a browser (this test: its own
P-256 key pair and auth secret) subscribes; a mention travels message -> stream ->
notifications worker -> Notification item -> stream -> push queue -> push worker ->
a push service on 127.0.0.1, which verifies the VAPID JWT with the server's public key
and decrypts the body with the browser's private key; then it answers 410 and the
subscription is gone."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.e2e.harness import Devserver
from tests.e2e.test_invites_e2e import _signed_up
from tests.push_browser import Browser, push_service

pytestmark = pytest.mark.e2e
PUSH_TIMEOUT = 30.0


def _wait_for(predicate, timeout: float = PUSH_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _join(api: str, owner: dict[str, str], member: dict[str, str], workspace_id: str) -> None:
    link = requests.post(f"{api}/v1/workspaces/{workspace_id}/invites", json={}, headers=owner, timeout=10)
    assert link.status_code == 201, link.text
    assert requests.post(f"{link.json()['data']['url']}/accept", headers=member, timeout=10).status_code == 200


def test_a_mention_is_pushed_to_the_browser_then_a_410_unsubscribes(server: Devserver) -> None:
    api = server.base_url
    suffix = uuid.uuid4().hex[:8]
    alice = _signed_up(server, f"alice{suffix}", "Alice")
    bob_name = f"bob{suffix}"
    bob = _signed_up(server, bob_name, "Bob")
    made = requests.post(f"{api}/v1/workspaces", json={"name": f"Push {suffix}"}, headers=alice, timeout=10)
    assert made.status_code == 201, made.text
    workspace = made.json()["data"]
    _join(api, alice, bob, workspace["id"])

    with push_service() as service:
        browser = Browser()
        endpoint = service.endpoint(browser, f"bob-{suffix}")
        key = requests.get(f"{api}/v1/notifications/push/vapid-public-key", headers=bob, timeout=10)
        assert key.status_code == 200, key.text
        public_key = key.json()["data"]["publicKey"]
        subscribed = requests.post(
            f"{api}/v1/notifications/push/subscribe", json=browser.subscription(endpoint), headers=bob, timeout=10
        )
        assert subscribed.status_code == 201, subscribed.text

        general = f"{api}/v1/channels/{workspace['generalChannelId']}/messages"
        sent = requests.post(general, json={"content": f"hi @{bob_name}, lunch?"}, headers=alice, timeout=10)
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["data"]["id"]

        assert _wait_for(lambda: len(service.received) >= 1), (service.errors, server.log_tail())
        assert service.errors == []
        [push] = service.received
        assert push.vapid_key == public_key  # the JWT verified with the key the API publishes
        assert push.claims["aud"] == service.base
        assert push.headers["urgency"] == "high"
        assert push.payload["title"] == "Alice mentioned you"
        assert push.payload["body"] == f"hi @{bob_name}, lunch?"
        assert push.payload["url"].endswith(f"/messages/{message_id}")
        assert push.payload["notificationId"]

        # The browser goes away: the push service answers 410 and the worker forgets it.
        service.answers[f"/push/bob-{suffix}"] = [(410, {})]
        again = requests.post(general, json={"content": f"@{bob_name} still there?"}, headers=alice, timeout=10)
        assert again.status_code == 201, again.text

        def unsubscribed() -> bool:
            # unsubscribing is idempotent: removed is false once the worker deleted it
            probe = requests.post(
                f"{api}/v1/notifications/push/subscribe", json=browser.subscription(endpoint), headers=bob, timeout=10
            )
            if probe.status_code == 201:  # it was gone: subscribing made it anew
                return True
            assert probe.status_code == 200, probe.text
            return False

        assert _wait_for(lambda: service.answers[f"/push/bob-{suffix}"] == []), server.log_tail()
        assert _wait_for(unsubscribed), server.log_tail()
        assert len(service.received) == 1  # the 410 delivered nothing
