"""OWASP API4:2023 Unrestricted Resource Consumption, oversized pages:
no page of messages is too large for Lambda (6 MB responses; a page stays under
5 MB, counted as Lambda carries it: the body JSON-escaped once more, non-ASCII as
``\\uXXXX``). Fifteen messages of 40,000 emoji made one history page of 15 MB that way.

History, thread replies, pins and the threads list of such messages come in short
pages with ``hasMore`` and a cursor, and following the cursors yields every item once,
in order, with nothing skipped."""

from __future__ import annotations

import json

import pytest

from chalicelib.ids import now_iso
from chalicelib.store import keys
from chalicelib.store import messages as message_store
from tests.helpers import create_workspace, register

LAMBDA_RESPONSE = 6 * 1024 * 1024
PAGE_BYTES = 5_000_000
FAT = "😀" * 40_000  # about 960 KB of each message's JSON on the wire
SLIM = "a small message"


@pytest.fixture
def room(api):
    owner = register(api, "jane")
    return create_workspace(api, owner), owner


def _send(api, account, channel_id, content, thread_id=None):
    body = {"content": content, **({"threadId": thread_id} if thread_id else {})}
    raw = json.dumps(body, ensure_ascii=False).encode()  # 40,000 emoji fit the body cap as UTF-8
    answer = api.post(f"/v1/channels/{channel_id}/messages", raw=raw, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data["id"]


def _pages(api, account, path, items_of=lambda data: data):
    """Every page of a list, following nextCursor; checks each page's size."""
    pages, cursor = [], None
    while True:
        separator = "&" if "?" in path else "?"
        url = path + (f"{separator}cursor={cursor}" if cursor else "")
        response = api.client.http.get(url, headers={"Authorization": f"Bearer {account.access_token}"})
        assert response.status_code == 200, response.body
        text = response.body.decode()
        assert len(json.dumps(text)) < PAGE_BYTES + 10_000 < LAMBDA_RESPONSE  # + the envelope
        body = json.loads(text)
        pages.append(items_of(body["data"]))
        if not body["pagination"]["hasMore"]:
            assert body["pagination"]["nextCursor"] is None
            return pages
        cursor = body["pagination"]["nextCursor"]


def _ids(page):
    return [m["id"] for m in page]


def test_history_pages_stay_under_5_mb_and_continue_exactly(api, room):
    ws, owner = room
    general = ws["generalChannelId"]
    sent = [_send(api, owner, general, FAT if n % 4 != 3 else SLIM) for n in range(15)]
    pages = _pages(api, owner, f"/v1/channels/{general}/messages?limit=50")
    assert len(pages) >= 3 and all(0 < len(p) < 15 for p in pages)
    assert [i for p in pages for i in _ids(p)] == sent[::-1]  # newest first, each once
    # The short pages are full: one more message would have passed the budget.
    assert all(5 <= len(p) <= 7 for p in pages[:-1])


def test_a_cursor_of_a_short_page_continues_after_its_last_item_when_others_arrive(api, room):
    ws, owner = room
    general = ws["generalChannelId"]
    old = [_send(api, owner, general, FAT) for _ in range(7)]
    first = api.get(f"/v1/channels/{general}/messages?limit=50", token=owner.access_token)
    assert first.body["pagination"]["hasMore"] is True
    shown = _ids(first.data)
    newer = _send(api, owner, general, FAT)  # arrives between the pages: not in the older pages
    cursor = first.body["pagination"]["nextCursor"]
    rest = api.get(f"/v1/channels/{general}/messages?limit=50&cursor={cursor}", token=owner.access_token)
    assert shown + _ids(rest.data) == old[::-1] and newer not in _ids(rest.data)


def test_thread_pages_count_the_parent_and_continue_exactly(api, room):
    ws, owner = room
    general = ws["generalChannelId"]
    parent = _send(api, owner, general, FAT)
    replies = [_send(api, owner, general, FAT if n % 3 else SLIM, thread_id=parent) for n in range(10)]
    pages = _pages(api, owner, f"/v1/messages/{parent}/thread", items_of=lambda data: data["replies"])
    assert len(pages) >= 2
    assert [i for p in pages for i in _ids(p)] == replies  # oldest first, each once


def test_pins_pages_stay_under_5_mb_and_continue_exactly(api, room):
    ws, owner = room
    general = ws["generalChannelId"]
    sent = [_send(api, owner, general, FAT if n % 4 else SLIM) for n in range(10)]
    for message_id in sent:
        pinned = api.post(f"/v1/channels/{general}/pins", {"messageId": message_id}, token=owner.access_token)
        assert pinned.status == 201, pinned.body
    pages = _pages(api, owner, f"/v1/channels/{general}/pins")
    assert len(pages) >= 2
    assert [pin["message"]["id"] for p in pages for pin in p] == sent[::-1]  # newest pin first


def test_the_threads_list_stays_under_5_mb_and_continues_exactly(api, room):
    ws, owner = room
    general = ws["generalChannelId"]
    parents = [_send(api, owner, general, FAT if n % 4 else SLIM) for n in range(10)]
    for message_id in parents:  # what the threads worker writes for a reply
        message_store.follow(owner.user_id, message_store.get(general, keys.message(message_id)), now_iso())
    pages = _pages(api, owner, f"/v1/workspaces/{ws['id']}/threads")
    assert len(pages) >= 2
    assert [i for p in pages for i in _ids(p)] == parents[::-1]  # latest activity first
