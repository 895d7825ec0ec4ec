"""A message item stays under ITEM_LIMIT (350,000 bytes; DynamoDB refuses 400 KB):
the budget of chalicelib/store/messages.py, checked on the worst item the caps allow,
built in memory and sized with DynamoDB's rules (bench/capacity.py). HTML is packed
(compressed over 1 KB) and reads back the same, from the table or a stream image."""

from __future__ import annotations

import base64
import os

from bench import capacity
from chalicelib.render.markdown import render
from chalicelib.services.files import MAX_BYTES
from chalicelib.store import messages as message_store
from chalicelib.store.models import HTML_INLINE_BYTES, Channel, Message, pack_html

TIME = "2026-12-31T23:59:59.999Z"  # now_iso()'s format: 24 characters


def _id(n: int) -> str:
    return f"{n:08x}-0000-7000-8000-000000000000"  # 36 characters, like ids.new_id()


def _worst_message() -> Message:
    """Every attribute at its cap, with the longest values it may hold."""
    channel = Channel("CH#" + _id(1), "META", id=_id(1), workspace_id=_id(2), channel_type="private")
    content = "😀" * 40_000  # MAX_CONTENT characters of 4 bytes
    message = message_store.new_message(
        _id(3),
        channel,
        parent_id=_id(4),  # a reply's sort key is the longer one
        author_id=_id(5),
        content=content,
        mentions=[_id(100 + n) for n in range(message_store.MENTIONS_CAP)],
        special_mentions=["channel", "here"],
        kind="message",
        attachments=[
            {
                "id": _id(200 + n),
                "filename": "文" * 85,  # 255 bytes: safe_filename's cap
                "contentType": "a/" + "b" * 125,  # 127 characters: the schema's cap
                "size": MAX_BYTES["pro"],
                "kind": "document",
                "status": "processing",
                "hasThumbnails": True,
            }
            for n in range(10)  # the send schema's max_items
        ],
        created_at=TIME,
    )
    # The rest of the body budget as HTML that does not compress at all.
    message.html_text = None
    message.html_zlib = os.urandom(message_store.BODY_LIMIT - len(content.encode()))
    message.reply_count = 10**9
    message.last_reply_at = TIME
    message.edited_at = TIME
    message.participants = {_id(300 + n) for n in range(message_store.PARTICIPANTS_CAP + 1)}
    emoji = [f":{n:02d}{'x' * 48}:" for n in range(message_store.REACTIONS_CAP)]
    assert {len(e.encode()) for e in emoji} == {message_store.EMOJI_MAX_BYTES}
    message.reaction_counts = {e: 10**9 for e in emoji}
    message.reaction_users = {
        f"{e}|{_id(400 + n)}": TIME for e in emoji for n in range(message_store.REACTION_USERS_CAP)
    }
    return message


def test_the_worst_item_the_caps_allow_is_under_the_item_limit():
    message = _worst_message()
    item = message.serialize()
    size = capacity.item_size(item)
    assert size <= message_store.ITEM_LIMIT, size
    # The module docstring's table, to the kilobyte.
    parts = {
        "body": capacity.item_size({k: item[k] for k in ("content", "content_html_z")}),
        "reactions": capacity.item_size({k: item[k] for k in ("reaction_counts", "reaction_users")}),
        "attachments": capacity.item_size({"attachments": item["attachments"]}),
        "mentions": capacity.item_size({k: item[k] for k in ("mentions", "special_mentions")}),
        "participants": capacity.item_size({"participants": item["participants"]}),
    }
    assert parts["body"] <= message_store.BODY_LIMIT + 30
    assert parts["reactions"] <= 115_300
    assert parts["attachments"] <= 5_400
    assert parts["mentions"] <= 3_800
    assert parts["participants"] <= 3_700
    assert size - sum(parts.values()) <= 1_000
    assert size > 330_000  # the caps are what fills it: nothing else is large


def test_html_is_a_string_up_to_1_kb_and_compressed_above():
    short = "<p>" + "x" * (HTML_INLINE_BYTES - 7) + "</p>"
    assert pack_html(short) == (short, None)
    mailto = render(("a@b.cd\n" * 5715)[:40_000]).html
    text, packed = pack_html(mailto)
    assert text is None and packed is not None
    assert len(mailto.encode()) > 350_000 and len(packed) < 2_000


def test_packed_html_reads_back_from_an_item_and_from_a_stream_image():
    channel = Channel("CH#" + _id(1), "META", id=_id(1), workspace_id=_id(2), channel_type="public")
    html = render("**" + "<b>" * 1000 + "**").html
    message = message_store.new_message(
        _id(3), channel, parent_id=None, author_id=_id(5), content="x", content_html=html, created_at=TIME
    )
    assert message.html_text is None and message.content_html == html
    item = message.serialize()
    assert set(item) >= {"content_html_z"} and "content_html" not in item
    assert Message.from_raw_data(item).content_html == html
    # Lambda's stream events carry binary attributes as base64 text.
    image = {**item, "content_html_z": {"B": base64.b64encode(item["content_html_z"]["B"]).decode()}}
    assert Message.from_raw_data(image).content_html == html
    message.content_html = "<p>short</p>"
    assert (message.html_text, message.html_zlib, message.content_html) == ("<p>short</p>", None, "<p>short</p>")
