"""The largest messages: what sending, editing and reading them costs.

A message is at most 40,000 characters. Of four-byte characters that is 160 KB of text;
of ``a@b.cd`` lines it renders to 360 KB of HTML (mailto links), which did not fit in a
DynamoDB item next to its text: the HTML is stored zlib-compressed above 1 KB
(chalicelib/store/models.py). A history page of such messages stops under 5 MB of JSON
(chalicelib/api/v1/budget.py) rather than at ``limit``. The notes compare storing the
HTML compressed with rendering it on every read.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from bench import capacity

if TYPE_CHECKING:
    from bench.endpoints import Measurement, Runner

EMOJI_TEXT = "😀" * 40_000  # 160,000 bytes of text
MAILTO_TEXT = ("a@b.cd\n" * 5715)[:40_000]  # 360 KB of HTML
HISTORY_MESSAGES = 12  # of EMOJI_TEXT: about 11.5 MB of JSON for one page of 50 before the budget
SEND = "POST /v1/channels/{id}/messages"


def scenario(s: Runner, jwt: str, workspace_id: str) -> list[str]:
    """Rows for the worst send, edit and history page, in a channel of their own;
    returns notes on item sizes and on storing vs rendering the HTML."""
    from bench import seed
    from bench.endpoints import Budget, calls_and_writes
    from chalicelib.store import channels as channel_store

    _, made = s.request(
        "POST /v1/workspaces/{id}/channels",
        "setup",
        path=f"/v1/workspaces/{workspace_id}/channels",
        token=jwt,
        body={"name": "bench-large"},
        expect=201,
        keep=False,
    )
    channel_id = str(made["data"]["id"])
    messages = f"/v1/channels/{channel_id}/messages"
    from chalicelib.services import moderation

    moderation.check(workspace_id, "")  # a warm function: the engine's rules cached (docs/moderation.md)
    _, emoji = s.measure(
        SEND,
        "40,000 emoji (160 KB of text)",
        path=messages,
        token=jwt,
        body={"content": EMOJI_TEXT},
        expect=201,
        budget=calls_and_writes(2, 160),
    )
    _, mailto = s.measure(
        SEND,
        "40,000 chars of email lines (360 KB HTML, compressed)",
        path=messages,
        token=jwt,
        body={"content": MAILTO_TEXT},
        expect=201,
        budget=calls_and_writes(2, 45),
    )
    _, short = s.request(SEND, "setup", path=messages, token=jwt, body={"content": "x" * 1024}, expect=201, keep=False)
    s.measure(
        "PATCH /v1/messages/{id}",
        "1 KB -> 40,000 chars of email lines",
        path=f"/v1/messages/{short['data']['id']}",
        token=jwt,
        body={"content": MAILTO_TEXT},
        budget=calls_and_writes(3, 45),
    )

    channel = channel_store.get(channel_id)
    assert channel is not None
    seed.messages(channel, HISTORY_MESSAGES, author_id=channel.created_by, content=EMOJI_TEXT)
    page_budget = Budget("calls <= 2, RCU <= 130", lambda m: m.total_calls <= 2 and m.capacity.read <= 130)
    page, answer = s.request(
        "GET /v1/channels/{id}/messages",
        f"{HISTORY_MESSAGES} of 40,000 emoji, limit=50 (5 MB cap)",
        path=f"{messages}?limit=50",
        token=jwt,
        budget=page_budget,
    )
    return [
        "Largest messages (bench/large_messages.py):",
        _item_note("40,000 emoji", channel_id, str(emoji.get("id"))),
        _item_note("40,000 chars of email lines", channel_id, str(mailto.get("id"))),
        _page_note(page, answer),
        _storing_vs_rendering(),
    ]


def _raw_item(channel_id: str, message_id: str) -> dict[str, Any]:
    from chalicelib.store import db, keys
    from chalicelib.store.models import Entity

    key = {"PK": {"S": keys.channel(channel_id)}, "SK": {"S": keys.message(message_id)}}
    client = db.connection().client  # outside recording(): not counted
    return client.get_item(TableName=Entity.Meta.table_name, Key=key, ConsistentRead=True)["Item"]


def _item_note(label: str, channel_id: str, message_id: str) -> str:
    from chalicelib.store.models import Message

    item = _raw_item(channel_id, message_id)
    size = capacity.item_size(item)
    html = Message.from_raw_data(item).content_html
    stored = {k: v for k, v in item.items() if k not in ("content_html", "content_html_z")}
    as_text = capacity.item_size({**stored, "content_html": {"S": html}})
    from chalicelib.store.messages import ITEM_LIMIT

    verdict = f"{capacity.write_units(as_text)} WCU"
    if as_text > 400 * 1024:
        verdict += ", over DynamoDB's 400 KB: refused"
    elif as_text > ITEM_LIMIT:
        verdict += f", over the {ITEM_LIMIT:,}-byte item budget before any reaction"
    return (
        f"  {label}: item {size:,} bytes ({capacity.write_units(size)} WCU); "
        f"with its {len(html.encode()):,}-byte HTML as a string it would be {as_text:,} bytes ({verdict})"
    )


def _page_note(page: Measurement, answer: dict[str, Any]) -> str:
    shown = len(answer.get("data") or [])
    body = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
    carried = len(json.dumps(body))
    more = (answer.get("pagination") or {}).get("hasMore")
    return (
        f"  History page: {shown} of {HISTORY_MESSAGES} messages (hasMore {str(more).lower()}), "
        f"{carried:,} bytes as Lambda returns it (6 MB max; all {HISTORY_MESSAGES} would be "
        f"~{carried * HISTORY_MESSAGES // max(1, shown) / 1e6:.1f} MB); {page.total_calls} calls, "
        f"{page.capacity.read:g} RCU"
    )


def _storing_vs_rendering(runs: int = 3) -> str:
    """Per message read: decompress the stored HTML vs render the text again."""
    import zlib

    from chalicelib.render.markdown import render
    from chalicelib.store.models import pack_html

    html = render(MAILTO_TEXT).html
    _, packed = pack_html(html)
    assert packed is not None
    started = time.perf_counter()
    for _ in range(runs):
        zlib.decompress(packed)
    unpacking = (time.perf_counter() - started) / runs
    started = time.perf_counter()
    render(MAILTO_TEXT)
    rendering = time.perf_counter() - started
    return (
        f"  Its HTML per read: stored compressed ({len(packed):,} bytes) {unpacking * 1000:.2f} ms to decompress; "
        f"rendered on read {rendering * 1000:,.0f} ms of CPU (x{rendering / max(unpacking, 1e-9):,.0f}): "
        "compressed storage it is"
    )
