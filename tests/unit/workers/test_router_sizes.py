"""The router never hands SQS more than it takes: 256 KiB per message and per batch.
A batch over the limit would fail on every retry and block its stream shard."""

from __future__ import annotations

import json

from chalicelib.workers import router


def _event(content: str) -> dict:
    return {
        "id": "evt_1",
        "type": "message.created",
        "workspaceId": "w",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "data": {"id": "m", "channelId": "c", "content": content, "contentHtml": f"<p>{content}</p>"},
    }


def test_a_small_event_is_sent_whole_as_utf8():
    body = router.encode(_event("héllo 👍"))
    assert json.loads(body)["data"]["content"] == "héllo 👍"
    assert "\\u" not in body  # UTF-8, not escapes: four bytes per emoji, not twelve


def test_the_largest_message_fits_in_one_sqs_message():
    body = router.encode(_event("👍" * 20_000))  # 80 KB of text and as much HTML
    assert len(body.encode()) <= router.MAX_EVENT_BYTES
    assert "content" in json.loads(body)["data"]


def test_an_event_over_the_limit_goes_without_its_text():
    body = router.encode(_event("👍" * 40_000))
    data = json.loads(body)["data"]
    assert len(body.encode()) <= router.MAX_EVENT_BYTES
    assert data["contentOmitted"] is True and "content" not in data and "contentHtml" not in data
    assert data["id"] == "m" and data["channelId"] == "c"


def test_batches_respect_count_and_bytes():
    bodies = [router.encode(_event("x" * 60_000)) for _ in range(7)] + [router.encode(_event("y"))] * 25
    chunks = router.batches(bodies)
    assert [b for chunk in chunks for b in chunk] == bodies  # order kept, nothing lost
    for chunk in chunks:
        assert 0 < len(chunk) <= 10
        assert sum(len(b.encode()) for b in chunk) <= router.MAX_BATCH_BYTES
