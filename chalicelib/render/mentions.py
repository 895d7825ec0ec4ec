"""Mentions (``@username``, ``@channel``, ``@here``) found in a parsed message.

They are read from the markdown token stream, not from the raw text: code spans and
code blocks are separate tokens and never searched, and the text of an autolink or a
linkified URL/email is skipped, so ``jane@example.com`` or ``https://x.io/@jane``
mention nobody. The text of an explicit link label (``[hi @jane](https://...)``) or of
an image's alt text is shown to readers, so it is searched like any other text.

A username is 3-30 characters of ``[a-z0-9._-]`` starting with a letter or digit
(the same rule as registration), matched case-insensitively and returned lowercased.
Trailing periods end the sentence, not the name (``@jane.`` is ``jane``). An ``@``
right after a word character, ``.``, ``+``, ``-``, ``/`` or another ``@`` is part of
an address or a path, not a mention; a name running into a word character or an
``@`` (``@jane@host``, ``@janeé``) is not one either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

SPECIAL = ("channel", "here")

# ``*+`` is possessive: the name is the whole run, never a shorter prefix of it.
_MENTION = re.compile(r"(?<![\w@./+\-])@([A-Za-z0-9][A-Za-z0-9._-]*+)(?![\w@])")
_MIN_LEN, _MAX_LEN = 3, 30


def names_in_text(text: str) -> Iterable[str]:
    """Every mentioned name in one run of plain text, lowercased, in order."""
    for match in _MENTION.finditer(text):
        name = match.group(1).rstrip(".")
        if _MIN_LEN <= len(name) <= _MAX_LEN:
            yield name.lower()


def _texts(tokens: Sequence[Any]) -> Iterable[str]:
    """The content of every ``text`` token outside code and autolinks, in order."""
    for token in tokens:
        if token.type == "inline":  # code blocks are "fence"/"code_block" tokens: never searched
            yield from _inline_texts(token.children or ())


def _inline_texts(children: Sequence[Any]) -> Iterable[str]:
    in_autolink = False
    for child in children:
        if child.type == "link_open" and child.info == "auto":  # <...> autolinks and linkify
            in_autolink = True
        elif child.type == "link_close":
            in_autolink = False
        elif in_autolink:
            continue
        elif child.type == "text":  # inline code is "code_inline": never searched
            yield child.content
        elif child.type == "image":
            yield from _inline_texts(child.children or ())


def extract(tokens: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(usernames, special) from markdown-it block tokens, deduplicated in order of
    first appearance. ``channel`` and ``here`` are never usernames."""
    usernames: dict[str, None] = {}
    special: dict[str, None] = {}
    for text in _texts(tokens):
        if "@" not in text:
            continue
        for name in names_in_text(text):
            (special if name in SPECIAL else usernames).setdefault(name, None)
    return tuple(usernames), tuple(special)
