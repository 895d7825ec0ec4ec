"""Webhooks over real HTTP against the local runtime: a message travels stream ->
router -> webhooks queue -> fan-out task -> signed POST to a receiver on loopback;
a receiver that fails once gets the second attempt within 15 s (the local stage's
compressed schedule)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest
import requests
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.e2e.accounts import sign_up
from tests.e2e.harness import Devserver
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.e2e


def _signed_up(server: Devserver, name: str) -> dict[str, str]:
    return sign_up(server, name, name.title()).headers


def test_a_message_reaches_a_receiver_signed_and_a_failure_is_retried_within_15_s(server: Devserver) -> None:
    api, suffix = server.base_url, uuid.uuid4().hex[:8]
    owner = _signed_up(server, f"hooks{suffix}")
    ws = requests.post(f"{api}/v1/workspaces", json={"name": f"Hooks {suffix}"}, headers=owner, timeout=10).json()
    ws = ws["data"]
    steady, flaky = Receiver().start(), Receiver(statuses=[503, 200]).start()
    try:
        hooks = {}
        for name, receiver in (("steady", steady), ("flaky", flaky)):
            created = requests.post(
                f"{api}/v1/workspaces/{ws['id']}/webhooks",
                json={"name": name, "url": receiver.url, "events": ["message.created"]},
                headers=owner,
                timeout=10,
            )
            assert created.status_code == 201, created.text
            hooks[name] = created.json()["data"]
        sent = requests.post(
            f"{api}/v1/channels/{ws['generalChannelId']}/messages",
            json={"content": f"shipped {suffix}"},
            headers=owner,
            timeout=10,
        )
        assert sent.status_code == 201, sent.text
        started = time.monotonic()

        (got,) = steady.wait_for(1, timeout=15)
        envelope = json.loads(got.body)
        assert envelope["type"] == "message.created" and envelope["data"]["content"] == f"shipped {suffix}"
        assert got.headers["X-Disqua-Delivery"] == envelope["id"] and envelope["id"].startswith("evt_")
        timestamp = got.headers["X-Disqua-Timestamp"]
        secret = hooks["steady"]["secret"]
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + got.body, hashlib.sha256).hexdigest()
        assert got.headers["X-Disqua-Signature-256"] == f"sha256={expected}"
        assert StandardWebhook(secret).verify(got.body, got.headers)["id"] == envelope["id"]

        first, second = flaky.wait_for(2, timeout=15)
        assert second.at - started < 15
        assert first.headers["X-Disqua-Delivery"] == second.headers["X-Disqua-Delivery"] == envelope["id"]
        log = requests.get(f"{api}/v1/webhooks/{hooks['flaky']['id']}/deliveries", headers=owner, timeout=10)
        assert [(e["attempt"], e["status"]) for e in log.json()["data"]] == [(2, "succeeded"), (1, "pending")]
    finally:
        steady.stop()
        flaky.stop()
