"""Notification previews: plain text of a message's markdown, never markup, <= 140 characters."""

import pytest

from chalicelib.render.plaintext import PREVIEW_CHARS, preview


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("**bold** _it_ ~~gone~~ `code`", "bold it gone code"),
        ("[the doc](https://x.io/a) and <https://y.io>", "the doc and https://y.io"),
        ("![a cat](https://x.io/cat.png)", "a cat"),
        ("# Title\n\n- one\n- two\n\n> quoted", "Title one two quoted"),
        ("```python\nprint(1)\n```", "print(1)"),
        ("line one\nline two", "line one line two"),
        ("<script>alert(1)</script> hi", "alert(1) hi"),
        ("a <b>bold</b> claim & 1 < 2", "a bold claim & 1 2"),
        ("&lt;img src=x onerror=alert(1)&gt; after", "after"),
        ("zero\u200bwidth\u202eflip", "zerowidthflip"),
        ("", ""),
        ("   \n\n  ", ""),
    ],
)
def test_markdown_becomes_plain_text(markdown, text):
    assert preview(markdown) == text


def test_long_text_is_cut_with_an_ellipsis():
    cut = preview("word " * 200)
    assert len(cut) == PREVIEW_CHARS and cut.endswith("…")
    assert preview("x" * PREVIEW_CHARS) == "x" * PREVIEW_CHARS


def test_no_markup_survives_hostile_input():
    hostile = "<<script>script>alert(1)<</script>/script> <img src=x onerror=alert(1)> <a href=javascript:x>x</a>"
    assert "<" not in preview(hostile) and ">" not in preview(hostile)


def test_a_huge_message_is_cheap_to_preview():
    assert len(preview("a " * 20_000)) == PREVIEW_CHARS
