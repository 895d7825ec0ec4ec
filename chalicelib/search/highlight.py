"""Wrap search matches in ``<mark>`` inside the text nodes of already-sanitized HTML.

The HTML is re-emitted through html.parser: tags and attributes come back as they were (escaped
again), only text nodes change, and every piece of text is escaped, so a query such as
``<script>`` or ``mark`` can add nothing but ``<mark>`` around words the text already had.
Matching folds case and accents like the engine (``unicode61 remove_diacritics 2``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

from chalicelib.search.port import Term

_WORD = re.compile(r"[^\W_]+")  # letters and digits: the engine's tokens


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _spans(text: str, terms: tuple[Term, ...]) -> list[tuple[int, int]]:
    words = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    for term in terms:
        needle = [fold(w) for w in _WORD.findall(term.text)]
        if not needle:
            continue
        size = len(needle)
        for i in range(len(words) - size + 1):
            window = [w[2] for w in words[i : i + size]]
            if term.kind == "prefix":
                hit = window[:-1] == needle[:-1] and window[-1].startswith(needle[-1])
            else:
                hit = window == needle
            if hit:
                spans.append((words[i][0], words[i + size - 1][1]))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight_text(text: str, terms: tuple[Term, ...]) -> str:
    """Escaped text with matches in ``<mark>`` (filenames, usernames, a text node)."""
    out, position = [], 0
    for start, end in _spans(text, terms):
        out += [html.escape(text[position:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out)


class _Highlighter(HTMLParser):
    def __init__(self, terms: tuple[Term, ...]):
        super().__init__(convert_charrefs=True)
        self.terms = terms
        self.out: list[str] = []

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], close: str) -> str:
        rendered = "".join(
            f" {html.escape(name)}" if value is None else f' {html.escape(name)}="{html.escape(value)}"'
            for name, value in attrs
        )
        return f"<{html.escape(tag)}{rendered}{close}>"

    def handle_starttag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs, ""))

    def handle_startendtag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs, " /"))

    def handle_endtag(self, tag):
        self.out.append(f"</{html.escape(tag)}>")

    def handle_data(self, data):
        self.out.append(highlight_text(data, self.terms))

    # Comments, declarations and processing instructions are dropped (sanitized HTML has none).


def highlight_html(sanitized_html: str, terms: tuple[Term, ...]) -> str:
    parser = _Highlighter(terms)
    parser.feed(sanitized_html)
    parser.close()
    return "".join(parser.out)
