"""The search query language, parsed into data.

``deploy notes`` (words ANDed), ``"exact phrase"``, ``depl*`` (prefix), ``-excluded``,
``from:@username``, ``in:#channel``, ``before:2026-03-18``, ``after:2026-03-18``, ``has:file``,
``has:link``. Operators that are not ours (``foo:bar``) are plain words. Anything malformed raises
``ValidationError(field="q")`` and nothing else, so the API answers 400, never 500.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from chalicelib.errors import ValidationError
from chalicelib.search.port import Term, TextQuery

MAX_QUERY_CHARS = 500
MAX_TERMS = 16  # included + excluded text terms
MAX_FILTERS = 16
MAX_TERM_CHARS = 100

_USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_CHANNEL = re.compile(r"[A-Za-z0-9._-]{1,80}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OPERATORS = ("from", "in", "before", "after", "has")


@dataclass(frozen=True)
class ParsedQuery:
    text: TextQuery
    from_usernames: tuple[str, ...] = ()
    in_channels: tuple[str, ...] = ()
    before: date | None = None  # strictly before this day (UTC)
    after: date | None = None  # strictly after this day (UTC)
    has_file: bool = False
    has_link: bool = False

    def created_bounds(self) -> tuple[int | None, int | None]:
        """(created_before exclusive, created_since inclusive) in epoch ms, as SearchQuery takes them."""
        before = _day_start_ms(self.before) if self.before else None
        since = _day_start_ms(self.after + timedelta(days=1)) if self.after else None
        return before, since


def _day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, field="q")


def _searchable(text: str) -> bool:
    # The engine's tokenizer keeps letters and digits only; a term without any matches nothing.
    return any(ch.isalnum() for ch in text)


def _tokens(q: str) -> list[tuple[bool, str, bool]]:
    """Split into (negated, text, quoted) tokens; quotes group a phrase and must be closed."""
    tokens: list[tuple[bool, str, bool]] = []
    i, n = 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        negated = q[i] == "-" and i + 1 < n and not q[i + 1].isspace()
        start = i + 1 if negated else i
        if start < n and q[start] == '"':
            end = q.find('"', start + 1)
            if end < 0:
                raise _invalid("Unterminated quote in the search query.")
            if end + 1 < n and not q[end + 1].isspace():
                raise _invalid("A closing quote must be followed by a space.")
            tokens.append((negated, q[start + 1 : end], True))
            i = end + 1
            continue
        end = start
        while end < n and not q[end].isspace():
            end += 1
        word = q[start:end]
        if '"' in word:
            raise _invalid("Quotes must surround a whole phrase.")
        tokens.append((negated, word, False))
        i = end
    return tokens


def _term(word: str) -> Term | None:
    if len(word) > MAX_TERM_CHARS:
        raise _invalid(f"Search terms are at most {MAX_TERM_CHARS} characters.")
    stem = word.rstrip("*")
    if "*" in stem:
        raise _invalid("`*` is only allowed at the end of a word (prefix search).")
    if word.endswith("**"):
        raise _invalid("Use a single `*` for a prefix search.")
    if not _searchable(stem):
        if word.endswith("*"):
            raise _invalid("A prefix search needs letters or digits before `*`.")
        return None
    return Term(stem, "prefix" if word.endswith("*") else "word")


def _date(key: str, value: str) -> date:
    if not _DATE.fullmatch(value):
        raise _invalid(f"{key}: takes a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _invalid(f"{key}: {value} is not a valid date.") from None


def parse_query(q: str | None) -> ParsedQuery:
    if q is None or not q.strip():
        raise _invalid("Enter something to search for.")
    if len(q) > MAX_QUERY_CHARS:
        raise _invalid(f"The search query is at most {MAX_QUERY_CHARS} characters.")
    if any(ord(ch) < 32 and not ch.isspace() for ch in q):
        raise _invalid("The search query contains control characters.")

    included: list[Term] = []
    excluded: list[Term] = []
    authors: list[str] = []
    channels: list[str] = []
    before: date | None = None
    after: date | None = None
    has: set[str] = set()
    filters = 0

    for negated, text, quoted in _tokens(q):
        target = excluded if negated else included
        if quoted:
            if len(text) > MAX_TERM_CHARS:
                raise _invalid(f"Phrases are at most {MAX_TERM_CHARS} characters.")
            if _searchable(text):
                target.append(Term(" ".join(text.split()), "phrase"))
            continue
        key, sep, value = text.partition(":")
        if sep and key.lower() in _OPERATORS:
            key = key.lower()
            if negated:
                raise _invalid(f"{key}: filters cannot be negated.")
            if not value:
                raise _invalid(f"{key}: needs a value.")
            filters += 1
            if filters > MAX_FILTERS:
                raise _invalid(f"At most {MAX_FILTERS} filters per query.")
            if key == "from":
                name = value.removeprefix("@")
                if not _USERNAME.fullmatch(name):
                    raise _invalid("from: takes a @username.")
                authors.append(name.lower())
            elif key == "in":
                name = value.removeprefix("#")
                if not _CHANNEL.fullmatch(name):
                    raise _invalid("in: takes a #channel name.")
                channels.append(name.lower())
            elif key == "has":
                if value.lower() not in ("file", "link"):
                    raise _invalid("has: takes file or link.")
                has.add(value.lower())
            else:
                day = _date(key, value)
                if key == "before":
                    before = day if before is None else min(before, day)
                else:
                    after = day if after is None else max(after, day)
            continue
        term = _term(text)
        if term is not None:
            target.append(term)

    if len(included) + len(excluded) > MAX_TERMS:
        raise _invalid(f"At most {MAX_TERMS} search terms per query.")
    if not included and not excluded and not filters:
        raise _invalid("The search query has no letters or digits to search for.")
    return ParsedQuery(
        text=TextQuery(tuple(dict.fromkeys(included)), tuple(dict.fromkeys(excluded))),
        from_usernames=tuple(dict.fromkeys(authors)),
        in_channels=tuple(dict.fromkeys(channels)),
        before=before,
        after=after,
        has_file="file" in has,
        has_link="link" in has,
    )
