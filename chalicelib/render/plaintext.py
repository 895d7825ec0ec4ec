"""A message's markdown as one line of plain text (notification previews, push bodies).

The text readers see, never markup: markdown-it's tokens are walked and only their text
is kept (emphasis, links, headings and lists lose their syntax, a link keeps its label,
code keeps its content), whitespace collapses to single spaces, and anything still
shaped like an HTML tag (``<b>`` typed as text) is dropped, so a client that wrongly
renders the preview as HTML still gets no markup. Cut to ``limit`` characters with an
ellipsis. The parser is built on first use (markdown-it imports in ~20 ms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

PREVIEW_CHARS = 140
_TAG = re.compile(r"</?[A-Za-z!/?][^<>]*>|[<>]")
_SPACE = re.compile(r"\s+")
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


@lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def _inline_text(children: Sequence[Any]) -> Iterable[str]:
    for child in children:
        if child.type in ("text", "code_inline"):
            yield child.content
        elif child.type in ("softbreak", "hardbreak"):
            yield " "
        elif child.type == "image":
            yield from _inline_text(child.children or ())


def _text(markdown: str) -> str:
    parts: list[str] = []
    for token in _parser().parse(markdown):
        if token.type == "inline":
            parts.extend(_inline_text(token.children or ()))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        if token.block and token.nesting <= 0:
            parts.append(" ")  # paragraphs, items and headings end with a space
    return "".join(parts)


def truncate(text: str, limit: int = PREVIEW_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def preview(markdown: str, limit: int = PREVIEW_CHARS) -> str:
    """Plain text of at most ``limit`` characters (an ellipsis marks a cut)."""
    text = _text(markdown[: limit * 20])  # what follows could never reach the preview
    text = _INVISIBLE.sub("", _TAG.sub("", text))
    return truncate(_SPACE.sub(" ", text).strip(), limit)
