"""A mention over real HTTP against the local runtime: the message travels stream ->
router -> notifications queue -> worker, and shows up in GET /v1/notifications."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.e2e.harness import Devserver, wait_for_verification_link

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
WAIT_SECONDS = 20.0


def _signed_up(server: Devserver, name: str, display_name: str) -> dict[str, str]:
    api, email = server.base_url, f"{name}@example.com"
    registered = requests.post(
        f"{api}/v1/auth/register",
        json={"email": email, "password": PASSWORD, "username": name, "displayName": display_name},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    assert requests.get(wait_for_verification_link(server.outbox, email), timeout=10).status_code == 200
    login = requests.post(f"{api}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}


def _notifications(server: Devserver, headers: dict[str, str]) -> list[dict]:
    answer = requests.get(f"{server.base_url}/v1/notifications", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_a_mention_shows_up_in_the_notifications(server: Devserver) -> None:
    api, suffix = server.base_url, uuid.uuid4().hex[:8]
    jane = _signed_up(server, f"jane{suffix}", "Jane")
    bob = _signed_up(server, f"bob{suffix}", "Bob")
    ws = requests.post(f"{api}/v1/workspaces", json={"name": f"Team {suffix}"}, headers=jane, timeout=10).json()["data"]
    link = requests.post(f"{api}/v1/workspaces/{ws['id']}/invites", json={}, headers=jane, timeout=10).json()["data"]
    assert requests.post(f"{link['url']}/accept", headers=bob, timeout=10).status_code == 200

    sent = requests.post(
        f"{api}/v1/channels/{ws['generalChannelId']}/messages",
        json={"content": f"**Ship** it, @bob{suffix}"},
        headers=jane,
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    deadline = time.monotonic() + WAIT_SECONDS
    while not (found := _notifications(server, bob)):
        assert time.monotonic() < deadline, f"no notification after {WAIT_SECONDS} s\n{server.log_tail()}"
        time.sleep(0.2)
    (note,) = found
    assert (note["type"], note["messageId"], note["read"]) == ("mention", sent.json()["data"]["id"], False)
    assert note["preview"] == f"Ship it, @bob{suffix}"
    assert note["actor"]["username"] == f"jane{suffix}"
    assert _notifications(server, jane) == []
    count = requests.get(f"{api}/v1/notifications/count", headers=bob, timeout=10).json()["data"]
    assert count == {"unread": 1}
    marked = requests.post(f"{api}/v1/notifications/mark-read", json={"all": True}, headers=bob, timeout=10)
    assert marked.status_code == 200 and marked.json()["data"] == {"unread": 0}
