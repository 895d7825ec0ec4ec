"""Closing a channel over real HTTP in the local runtime: the close answers at once, every
surface answers 410 from then on, and the job drains the channel through the `closes` queue
(pumped like SQS would deliver it), in more than one batch, with its progress on the record."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.e2e.accounts import admin_console
from tests.e2e.harness import Devserver

pytestmark = pytest.mark.e2e

MESSAGES = 130  # more than one batch of 100 items (with the members)


def test_a_closed_channel_answers_410_and_the_job_deletes_it_in_batches(server: Devserver) -> None:
    api, suffix = server.base_url, uuid.uuid4().hex[:8]
    console = admin_console(server, f"cls{suffix}", f"Closing {suffix}")
    owner, admin = console.owner, console.headers
    created = requests.post(f"{api}/api/v2/channel", json={"channelId": "old-news"}, headers=admin, timeout=10)
    assert created.status_code == 200, created.text
    channel_id = created.json()["channels"][0]["v1ChannelId"]
    session = requests.Session()
    session.headers.update(owner.headers)
    sent = []
    for n in range(MESSAGES):
        answer = session.post(f"{api}/v1/channels/{channel_id}/messages", json={"content": f"m{n}"}, timeout=10)
        assert answer.status_code == 201, answer.text
        sent.append(answer.json()["data"]["id"])
    reacted = session.post(f"{api}/v1/messages/{sent[0]}/reactions", json={"emoji": "👍"}, timeout=10)
    assert reacted.status_code in (200, 201), reacted.text

    closed = requests.post(f"{api}/api/v2/channel/old-news/close", headers=admin, timeout=10)
    assert closed.status_code == 200, closed.text
    assert closed.json()["channels"][0]["closedBy"] == owner.user_id
    gone = session.get(f"{api}/v1/channels/{channel_id}/messages", timeout=10)
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "E_CHANNEL_CLOSED")
    refused = session.post(f"{api}/v1/channels/{channel_id}/messages", json={"content": "late"}, timeout=10)
    assert (refused.status_code, refused.json()["error"]["code"]) == (410, "E_CHANNEL_CLOSED")
    listed = requests.post(f"{api}/api/v2/channels", json={}, headers=admin, timeout=10)
    assert "old-news" not in [c["channelId"] for c in listed.json()["channels"]]

    deadline, progress = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        again = requests.post(f"{api}/api/v2/channel/old-news/close", headers=admin, timeout=10)  # idempotent
        assert again.status_code == 200, again.text
        progress = again.json()["channels"][0]["close"]
        if progress and progress["done"]:
            break
        time.sleep(0.3)
    assert progress is not None and progress["done"], progress
    assert progress["messagesDeleted"] == MESSAGES and progress["steps"] >= 2, progress
    assert progress["finishedAt"] >= progress["startedAt"]
    for message_id in (sent[0], sent[-1]):
        answer = session.get(f"{api}/v1/messages/{message_id}", timeout=10)
        assert answer.status_code == 404, answer.text
