"""What Disqus 3.0 looks like on the wire, as pure functions (no Chalice, no store).

Error codes (``/work/shared/spec/disqus-3.0-notes.md``), cursors ``<epoch us>:<offset>:<dir>``,
timestamps (Unix seconds or ISO in, ``2008-06-10T01:45:27`` out), multi-value arguments,
JSONP callbacks and RSS 2.0 documents. docs/disqus.md describes each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree

from chalicelib.errors import (
    CallerRateLimited,
    ChannelArchived,
    Conflict,
    CreationLimit,
    DisquaError,
    EmailUnverified,
    Forbidden,
    IdempotencyInProgress,
    IdempotencyMismatch,
    InsufficientScope,
    InvalidCredentials,
    InvalidToken,
    MethodNotAllowed,
    NotFound,
    NotMember,
    PlanLimit,
    RateLimited,
    TokenExpired,
    Unavailable,
    UnsupportedMediaType,
    ValidationError,
)
from chalicelib.services.public_keys import InvalidPublicKey, PublicKeyDomainRefused

FORMATS = ("json", "jsonp", "rss")
CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,63}$", re.ASCII)

# -- errors ---------------------------------------------------------------------------------

# The notes' HTTP statuses; every other code answers 400 (0 is 200).
CODE_STATUS = {0: 200, 2: 400, 4: 401, 5: 403, 15: 500, 20: 503, 21: 503}
CODE_MEANING = {
    1: "Endpoint not valid",
    2: "Missing or invalid argument",
    3: "Endpoint resource not valid",
    4: "Must provide an authenticated user",
    5: "Invalid API key",
    6: "Invalid API version",
    7: "Cannot access this resource using this request method",
    8: "Requested object not found",
    9: "Cannot access resource with this kind of key",
    10: "Operation not supported",
    11: "API key not valid on this domain",
    12: "Application lacks privileges",
    13: "Rate limit exceeded for this resource",
    14: "Rate limit exceeded for this account",
    15: "Internal server error",
    16: "Request timed out",
    17: "Authenticated user has no access to this feature",
    22: "Wrong permissions for this action",
}


class InvalidApiKey(InvalidToken):
    """An ``api_secret`` that is no valid API token (code 5, as a bad ``api_key``)."""


class WrongKind(DisquaError):
    """A credential this request may not use: a public key on a write endpoint, or
    personal credentials on a JSONP request (code 9)."""

    status = 400
    default_message = "Cannot access resource with this kind of key."


class EndpointNotValid(NotFound):
    """A path under /api/3.0 that is no endpoint (code 1)."""


class UnsupportedFormat(DisquaError):
    """An output type other than json, jsonp, rss (or rss on a non-list endpoint): HTTP 415."""

    status = 415
    default_message = "Unsupported output format: json, jsonp or rss (rss on list endpoints)."


# Most specific first: the first class an error is an instance of gives its code.
_CODES: tuple[tuple[type[DisquaError], int], ...] = (
    (UnsupportedFormat, 1),
    (EndpointNotValid, 1),
    (WrongKind, 9),
    (InvalidPublicKey, 5),
    (InvalidApiKey, 5),
    (PublicKeyDomainRefused, 11),
    (InvalidToken, 4),
    (TokenExpired, 4),
    (InvalidCredentials, 4),
    (MethodNotAllowed, 7),
    (UnsupportedMediaType, 2),
    (ValidationError, 2),
    (IdempotencyInProgress, 2),
    (IdempotencyMismatch, 2),
    (Conflict, 2),
    (NotFound, 8),
    (NotMember, 8),  # another workspace's forum: as if it did not exist
    (InsufficientScope, 12),
    (EmailUnverified, 17),
    (CreationLimit, 24),
    (PlanLimit, 17),
    (Forbidden, 22),
    (CallerRateLimited, 14),
    (RateLimited, 13),
    (ChannelArchived, 10),
    (Unavailable, 10),
)


def code_of(exc: DisquaError) -> int:
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return code
    return 15


def status_of(exc: DisquaError, code: int) -> int:
    if isinstance(exc, UnsupportedFormat):
        return 415
    return CODE_STATUS.get(code, 400)


def error_message(exc: DisquaError, code: int) -> str:
    """The ``response`` of an error: a bad argument is named, an internal error says nothing."""
    if code == 15:
        return "Internal server error"
    if code == 2 and exc.field:
        return f"Invalid argument, '{exc.field}': {exc.message}"
    return exc.message


# -- arguments ------------------------------------------------------------------------------


def arguments(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Every value of each argument, in order: ``a=1&a=2`` and ``a[]=1&a[]=2`` are the same."""
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        found.setdefault(name.removesuffix("[]"), []).append(value)
    return found


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise ValidationError("The form body is not UTF-8.", field="body") from None


def one(args: dict[str, list[str]], name: str, *, required: bool = False) -> str | None:
    """A single-valued argument (given twice: code 2 naming it)."""
    values = args.get(name) or []
    if len(values) > 1:
        raise ValidationError("takes one value.", field=name)
    if not values or values[0] == "":
        if required:
            raise ValidationError("is required.", field=name)
        return None
    return values[0]


def integer(args: dict[str, list[str]], name: str, *, default: int, low: int, high: int) -> int:
    text = one(args, name)
    if text is None:
        return default
    if not re.fullmatch(r"\d{1,9}", text) or not low <= int(text) <= high:
        raise ValidationError(f"must be an integer from {low} to {high}.", field=name)
    return int(text)


def callback_name(text: str | None) -> str | None:
    """A JSONP callback, checked: nothing but a (dotted) JavaScript identifier."""
    if text is None:
        return None
    if not CALLBACK.fullmatch(text):
        raise ValidationError("must match ^[A-Za-z_$][\\w$.]{0,63}$.", field="callback")
    return text


# -- timestamps -----------------------------------------------------------------------------


def parse_timestamp(text: str, name: str) -> datetime:
    """Unix seconds (``1213061528``, fractions allowed) or ISO 8601 (``2008-06-10T01:45:27``,
    with or without a zone; none means UTC): an aware UTC datetime."""
    try:
        if re.fullmatch(r"\d{1,11}(\.\d{1,6})?", text):
            return datetime.fromtimestamp(float(text), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except (ValueError, OverflowError, OSError):
        raise ValidationError("must be Unix seconds or an ISO 8601 date-time.", field=name) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def render_timestamp(value: str | datetime | None) -> str | None:
    """Disqus's form: UTC, seconds, no zone (``2008-06-10T01:45:27``)."""
    if value is None:
        return None
    moment = parse_timestamp(value, "timestamp") if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


# -- cursors --------------------------------------------------------------------------------

_CURSOR = re.compile(r"(\d{1,17}):(\d{1,9}):([01])(?::([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))?")


@dataclass(frozen=True)
class Cursor:
    """``<epoch microseconds>:<offset>:<0 next | 1 prev>``: the moment the list was first read
    (what time-ordered lists page from) and how many items lie before the page."""

    at_us: int
    offset: int
    prev: bool = False
    # Posts lists: the item the page continues from (after it, or before it for ``prev``),
    # so a page is a key range whatever arrives meanwhile (api/disqus/posts.py).
    key: str | None = None

    def encode(self) -> str:
        tail = f":{self.key}" if self.key else ""
        return f"{self.at_us}:{self.offset}:{1 if self.prev else 0}{tail}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        match = _CURSOR.fullmatch(text)
        if match is None:
            raise ValidationError("is not a cursor this API gave (<epoch us>:<offset>:<0|1>).", field="cursor")
        return cls(int(match[1]), int(match[2]), match[3] == "1", match[4])


def cursor_object(at_us: int, start: int, end: int, has_next: bool) -> dict[str, Any]:
    """Disqus's cursor: ``next`` is always given (on the last or an empty page too: it is where
    new items would start), ``prev`` only when the page does not start the list."""
    current = Cursor(at_us, start).encode()
    return {
        "prev": Cursor(at_us, start, prev=True).encode() if start > 0 else None,
        "hasNext": has_next,
        "next": Cursor(at_us, end).encode(),
        "hasPrev": start > 0,
        "total": None,
        "id": current,
        "more": has_next,
    }


# -- RSS ------------------------------------------------------------------------------------

_TITLE_KEYS = ("title", "name", "username", "id")
_TEXT_KEYS = ("raw_message", "message", "description", "about")
_LINK_KEYS = ("link", "url", "profileUrl")


def rss_document(title: str, link: str, items: list[Any]) -> str:
    """An RSS 2.0 channel, one ``item`` per list entry (ElementTree escapes every text)."""
    rss = ElementTree.Element("rss", version="2.0")
    channel = ElementTree.SubElement(rss, "channel")
    ElementTree.SubElement(channel, "title").text = title
    ElementTree.SubElement(channel, "link").text = link
    ElementTree.SubElement(channel, "description").text = title
    ElementTree.SubElement(channel, "generator").text = "DisqusAPI/3.0 (Disqua)"
    for entry in items:
        entry = entry if isinstance(entry, dict) else {"title": str(entry)}
        item = ElementTree.SubElement(channel, "item")
        if "raw_message" in entry:  # a post: as Disqus's feeds show one
            _post_item(item, entry)
            continue
        ElementTree.SubElement(item, "title").text = _first(entry, _TITLE_KEYS)
        if link_text := _first(entry, _LINK_KEYS):
            ElementTree.SubElement(item, "link").text = link_text
        ElementTree.SubElement(item, "description").text = _first(entry, _TEXT_KEYS)
        ElementTree.SubElement(item, "guid", isPermaLink="false").text = str(entry.get("id", ""))
        if created := entry.get("createdAt") or entry.get("joinedAt"):
            moment = parse_timestamp(str(created), "createdAt")
            ElementTree.SubElement(item, "pubDate").text = moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(rss, encoding="unicode")


ElementTree.register_namespace("content", CONTENT_NS := "http://purl.org/rss/1.0/modules/content/")
ElementTree.register_namespace("dc", DC_NS := "http://purl.org/dc/elements/1.1/")


def _post_item(item: ElementTree.Element, post: dict[str, Any]) -> None:
    """guid, ``Re: <thread title>``, link, the text, the HTML as content:encoded, pubDate and
    the author's name as dc:creator (Disqus's posts feed)."""
    thread = post.get("thread")
    title = thread.get("title", "") if isinstance(thread, dict) else ""
    ElementTree.SubElement(item, "guid", isPermaLink="false").text = str(post.get("id", ""))
    ElementTree.SubElement(item, "title").text = f"Re: {title}"
    ElementTree.SubElement(item, "link").text = thread.get("link") or "" if isinstance(thread, dict) else ""
    ElementTree.SubElement(item, "description").text = str(post.get("raw_message") or "")
    ElementTree.SubElement(item, f"{{{CONTENT_NS}}}encoded").text = str(post.get("message") or "")
    if created := post.get("createdAt"):
        moment = parse_timestamp(str(created), "createdAt")
        ElementTree.SubElement(item, "pubDate").text = moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
    author = post.get("author") if isinstance(post.get("author"), dict) else {}
    ElementTree.SubElement(item, f"{{{DC_NS}}}creator").text = str(author.get("name") or author.get("username") or "")


def _first(entry: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        if entry.get(key):
            return str(entry[key])
    return ""
