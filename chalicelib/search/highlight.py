"""Wrap search matches in ``<mark>`` inside the text nodes of already-sanitized HTML.

The HTML is re-emitted through html.parser: tags and attributes come back as they were (escaped
again), only text nodes change, and every piece of text is escaped, so a query such as
``<script>`` or ``mark`` can add nothing but ``<mark>`` around words the text already had.
Matching folds case and accents like the engine (``unicode61 remove_diacritics 2``), and a plain
word marks every word with the same stem, as the engine matches them (searching "invoice" marks
"invoices"); phrases and prefixes match unstemmed, as in the engine. The stems come from SQLite's
own porter tokenizer, so the marks agree with the engine's matches by construction.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
import unicodedata
from html.parser import HTMLParser

from chalicelib.search.port import Term

_WORD = re.compile(r"[^\W_]+")  # letters and digits: the engine's tokens


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


class _Stemmer:
    """Porter stems of folded words, as the engine's ``porter unicode61`` tokenizer makes them: words
    are run through a one-row FTS5 table in memory and read back from its vocabulary (cached)."""

    MAX_CACHED = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, str] = {}
        self._conn: sqlite3.Connection | None = None
        self.available = True  # False where this Python's SQLite has no FTS5 (with the OpenSearch engine)

    def stems(self, words: set[str]) -> dict[str, str]:
        with self._lock:
            missing = sorted(w for w in words if w not in self._cache)
            if missing and self.available:
                try:
                    stemmed = self._stem(missing)
                except sqlite3.OperationalError:
                    # No FTS5 here: highlight exact (folded) words rather than fail the search.
                    self.available, self._conn = False, None
                    return {w: self._cache.get(w, w) for w in words}
                if len(self._cache) + len(missing) > self.MAX_CACHED:
                    self._cache.clear()
                self._cache.update(stemmed)
            return {w: self._cache.get(w, w) for w in words}

    def _stem(self, words: list[str]) -> dict[str, str]:
        if self._conn is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            conn.execute("CREATE VIRTUAL TABLE stem USING fts5(w, tokenize = 'porter unicode61 remove_diacritics 2')")
            conn.execute("CREATE VIRTUAL TABLE stem_vocab USING fts5vocab(stem, 'instance')")
            self._conn = conn
        self._conn.execute("BEGIN")
        try:
            self._conn.executemany("INSERT INTO stem (rowid, w) VALUES (?, ?)", enumerate(words, 1))
            tokens: dict[int, list[str]] = {}
            for doc, term in self._conn.execute("SELECT doc, term FROM stem_vocab ORDER BY doc, offset"):
                tokens.setdefault(doc, []).append(term)
            self._conn.execute("DELETE FROM stem")
        finally:
            self._conn.execute("COMMIT")
        return {word: " ".join(tokens.get(n, [word])) for n, word in enumerate(words, 1)}


_stemmer = _Stemmer()


def stems(words: set[str]) -> dict[str, str]:
    """{folded word: its porter stem as the engine indexes it}."""
    return _stemmer.stems(words)


def _spans(text: str, terms: tuple[Term, ...]) -> list[tuple[int, int]]:
    words = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    plain = {fold(w[0]) for t in terms if t.kind == "word" and len(w := _WORD.findall(t.text)) == 1}
    stem = stems({w[2] for w in words} | plain) if plain else {}
    for term in terms:
        needle = [fold(w) for w in _WORD.findall(term.text)]
        if not needle:
            continue
        size = len(needle)
        if term.kind == "word" and size == 1:  # stemmed in the engine: same stem, same word
            spans += [(w[0], w[1]) for w in words if stem[w[2]] == stem[needle[0]]]
            continue
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
