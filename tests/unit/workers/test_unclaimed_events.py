"""Events nobody can act on are acknowledged without a claim (a claim is two writes):
most messages mention no one, start no thread, and most workspaces have no webhook."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.services import webhooks as webhook_service
from chalicelib.workers import notifications as notifications_worker
from chalicelib.workers import webhooks as webhooks_worker


def _message(event_type: str = "message.created", **data: Any) -> dict[str, Any]:
    base = {"id": "m1", "type": "message", "authorId": "u1", "channelId": "c1", "mentions": [], "specialMentions": []}
    return {
        "id": "evt_1",
        "type": event_type,
        "workspaceId": "w1",
        "createdAt": "2026-01-01T00:00:00Z",
        "data": {**base, **data},
    }


@pytest.fixture
def claimed(monkeypatch) -> list[str]:
    seen: list[str] = []

    def handle_once(consumer: str, event: dict[str, Any], work: Any) -> bool:
        seen.append(f"{consumer}:{event['id']}")
        return True

    monkeypatch.setattr(notifications_worker, "handle_once", handle_once)
    monkeypatch.setattr(webhooks_worker, "handle_once", handle_once)
    return seen


@pytest.mark.parametrize(
    ("event", "claims"),
    [
        (_message(), False),
        (_message(type="system", mentions=["u2"]), False),
        (_message("message.updated", mentions=["u2"], editedAt=None), False),
        (_message(mentions=["u2"]), True),
        (_message(specialMentions=["channel"]), True),
        (_message(threadId="m0"), True),
        (_message("message.updated", mentions=["u2"], editedAt="2026-01-01T00:00:01Z"), True),
        (_message("message.deleted"), True),
    ],
)
def test_the_notifications_worker_claims_only_events_that_may_notify(event, claims, claimed):
    notifications_worker.handle(event)
    assert claimed == (["notifications:evt_1#0"] if claims else [])


def test_the_webhooks_worker_claims_only_events_someone_subscribes_to(monkeypatch, claimed):
    listeners: list[Any] = []
    monkeypatch.setattr(webhook_service, "subscribers", lambda event: listeners)
    webhooks_worker.handle(_message())
    assert claimed == []
    listeners.append(object())
    webhooks_worker.handle(_message())
    assert claimed == ["webhooks:evt_1"]
