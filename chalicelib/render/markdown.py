"""Message markdown to sanitized HTML (``contentHtml``), plus the mentions it carries.

Parsing is markdown-it-py's "commonmark" preset with the chat extensions: ``~~strike~~``,
bare ``http(s)://`` URLs and emails linkified (linkify-it-py), and a newline is a line
break (``breaks``: chat users press Shift+Enter for a new line, not for a space). Raw
HTML in the input is escaped, never passed through (``html=False``).

Links may only point at absolute ``http:``, ``https:`` or ``mailto:`` URLs. The parser
enforces it first (a ``[x](javascript:...)``, ``[x](/relative)`` or ``<ftp://...>`` stays
literal text rather than becoming a link without a target), and nh3 enforces it again on
the HTML along with an explicit tag and attribute allowlist: no event handlers, no
``style``, no ``class`` except ``language-*`` on code blocks, and every link gets
``rel="nofollow noopener"``. No ``target``: how a link opens is the client's choice.

Decisions:

* Images are never ``<img>``: ``![alt](url)`` renders as a link to the image labeled
  with its alt text, so a message cannot load a tracking pixel (or anything else) in
  every reader's client.
* Headings (``#`` .. ``######``) and ``---`` rules are kept (CommonMark); clients style
  them. Tables are not enabled.
* Fuzzy links are off: ``www.example.com`` or ``notes.md`` stay text (linkify-it would
  link any word ending in a country TLD, which is most file names in a dev chat).
* The HTML is at most MAX_HTML bytes (``HtmlTooLarge`` past that). Markup expands text
  (40,000 characters of ``a@b.cd`` lines make 360 KB of mailto links), and reference
  links repeat their URL at every use: ``[a]: http://x/<20,000 characters>`` used 6,000
  times as ``[a]`` would be 120 MB. Their total is checked on the parsed tokens, before
  anything is rendered.

markdown-it-py and nh3 are imported on the first ``render`` (built once per container):
importing this module stays cheap for the handlers that never render.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chalicelib.render import mentions

TAGS = frozenset(
    {"p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
    | {f"h{level}" for level in range(1, 7)}
)
ATTRIBUTES = {"a": frozenset({"href", "title"}), "ol": frozenset({"start"}), "code": frozenset({"class"})}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
MAX_URL = 2048  # characters of a bare URL that get linkified (see BoundedLinkify)
MAX_HTML = 512 * 1024  # bytes of UTF-8: the worst real markup (mailto lines) is 360 KB

_SAFE_URL = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_CODE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")


@dataclass(frozen=True)
class Rendered:
    html: str  # sanitized HTML
    usernames: tuple[str, ...]  # @username mentions, lowercased, deduplicated, in order of first appearance
    special: tuple[str, ...]  # subset of ("channel", "here"), deduplicated, in order of first appearance


EMPTY = Rendered("", (), ())


class HtmlTooLarge(ValueError):
    """The message would render to more than MAX_HTML bytes."""


def render(markdown: str) -> Rendered:
    """Render a message. The caller bounds the length: parsing is linear, but pure Python
    (a 40,000-character message of ``![`` takes about a second of CPU)."""
    if not markdown.strip():
        return EMPTY
    parser, cleaner = _pipeline()
    env: dict[str, Any] = {}
    tokens = parser.parse(markdown, env)
    if _link_bytes(tokens) > MAX_HTML:
        raise HtmlTooLarge()
    html = cleaner.clean(parser.renderer.render(tokens, parser.options, env)).strip()
    if len(html.encode()) > MAX_HTML:
        raise HtmlTooLarge()
    usernames, special = mentions.extract(tokens)
    return Rendered(html=html, usernames=usernames, special=special)


def _link_bytes(tokens: list[Any]) -> int:
    """A lower bound of the HTML's size from its links alone: every use of a reference
    link carries the whole URL and title (parsing is linear, rendering them is not)."""
    total = 0
    for block in tokens:
        for token in block.children or ():
            if token.type in ("link_open", "image"):
                for name in ("href", "src", "title"):
                    total += len(str(token.attrGet(name) or ""))
    return total


def sanitize(html: str) -> str:
    """The allowlist alone, as ``render`` applies it to the parser's output."""
    return str(_pipeline()[1].clean(html))


def is_safe_url(url: str) -> bool:
    """The parser's link check (markdown-it passes the normalized, percent-encoded URL):
    absolute http(s)/mailto only. Anything else leaves the markdown as literal text."""
    return _SAFE_URL.match(url) is not None


def _code_class(tag: str, attribute: str, value: str) -> str | None:
    """nh3 calls this for every allowed attribute; only ``class`` needs a value check."""
    if attribute != "class":
        return value
    return value if tag == "code" and _CODE_CLASS.fullmatch(value) else None


@lru_cache(maxsize=1)
def _pipeline() -> tuple[Any, Any]:
    """(markdown-it parser, nh3 cleaner), built on first use."""
    import nh3
    from linkify_it import LinkifyIt
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import escapeHtml

    class BoundedLinkify(LinkifyIt):
        """linkify-it matches a URL's tail against everything after it: with thousands
        of URLs in a message (``[a](http://x.y/`` x 3,000) that is seconds of CPU. Its
        validators see at most MAX_URL characters, so a longer URL is linked up to there."""

        def _validate_http(self, text: str, pos: int) -> int:
            return super()._validate_http(text[: pos + MAX_URL], pos)

        def _validate_double_slash(self, text: str, pos: int) -> int:
            return super()._validate_double_slash(text[: pos + MAX_URL], pos)

        def _validate_mailto(self, text: str, pos: int) -> int:
            return super()._validate_mailto(text[: pos + MAX_URL], pos)

    parser = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    parser.linkify = BoundedLinkify(options={"fuzzy_link": False})  # see the module docstring
    parser.enable(["strikethrough", "linkify"])
    parser.validateLink = is_safe_url

    def image_as_link(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        label = escapeHtml(renderer.renderInlineAsText(token.children or [], options, env) or src)
        if not src:
            return label
        title = token.attrGet("title")
        title_attr = f' title="{escapeHtml(str(title))}"' if title else ""
        return f'<a href="{escapeHtml(src)}"{title_attr}>{label}</a>'

    parser.add_render_rule("image", image_as_link)

    cleaner = nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=_code_class,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",
    )
    return parser, cleaner
