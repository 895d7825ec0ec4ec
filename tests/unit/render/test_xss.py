"""Known XSS payloads (OWASP filter evasion style) through ``render``, and through the
sanitizer alone (``sanitize``: the second line of defense, as if the parser let raw HTML
through). The HTML is checked by parsing it with html.parser, not by looking for strings."""

import re
from html.parser import HTMLParser

import pytest

from chalicelib.render.markdown import render, sanitize

PAYLOADS = [
    # raw tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "- <svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "> <iframe src=//evil.example>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<form action="javascript:alert(1)"><input type="submit" value="go"></form>',
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<x onclick=alert(1)>click me",
    # raw links
    '<a href="javascript:alert(1)">link</a>',
    '<a href="JaVaScRiPt:alert(1)">link</a>',
    '<a href=" javascript:alert(1)">link</a>',
    '<a/href="javascript:alert(1)">link</a>',
    '<a href="jav&#x09;ascript:alert(1)">link</a>',
    '<a href="jav\tascript:alert(1)">link</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">link</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">link</a>',
    '<a href="https://ok.example" onclick="alert(1)">link</a>',
    '<a href="mailto:x@ok.example" onmouseover=alert(1)>mail</a>',
    '<a href="https://ok.example"><b onmouseover=alert(1)>link</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">link</a>',
    '<a href="vbscript:msgbox(1)">link</a>',
    '<a href="//evil.example/">link</a>',
    '<a href="/relative">link</a>',
    # markdown links
    "[link](javascript:alert(1))",
    "[link](JAVASCRIPT:alert(1))",
    "[link](jAvAsCrIpT&#58;alert(1))",
    "[link](javascript&colon;alert(1))",
    "[link](&#106;avascript:alert(1))",
    "[link](jav&#x09;ascript:alert(1))",
    "[link](<javascript:alert(1)>)",
    "[link](%6A%61%76%61script:alert(1))",
    "[link](javascript://%0aalert(1))",
    "[link](\u200bjavascript:alert(1))",
    "[link](java\u0000script:alert(1))",
    "[link](vbscript:msgbox(1))",
    "[link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[link](data:image/png;base64,iVBORw0KGgo=)",
    "[link](//evil.example/)",
    "[link](\\\\evil.example\\share)",
    "[link][1]\n\n[1]: javascript:alert(1)",
    '[link][1]\n\n[1]: https://ok.example "t" onclick="alert(1)"',
    '[link](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "[link](https://ok.example 'a\" onmouseover=\"alert(1)')",
    '[link](https://ok.example/"onmouseover="alert(1))',
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    "[link](https://ok.example)<img src=x onerror=alert(1)>",
    # autolinks and bare URLs
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "https://ok.example/<script>alert(1)</script>",
    'https://ok.example/"onmouseover="alert(1)',
    "javascript:alert(1)",
    # images
    "![pic](javascript:alert(1))",
    "![pic](https://evil.example/pixel.gif)",
    '![pic](https://ok.example/a.png" onerror="alert(1))',
    '![pic" onerror="alert(1)](https://ok.example/a.png)',
    # comments, nesting, unclosed tags
    "<!--<script>alert(1)</script>-->",
    "<!-- --><script>alert(1)</script>",
    "<div><!--</div><img src=x onerror=alert(1)>-->",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1)//<</script>",
    "<b><i><u>unclosed <script>alert(1)",
    # inside markdown constructs
    "**<img src=x onerror=alert(1)>**",
    "~~<script>alert(1)</script>~~",
    "`code` <svg/onload=alert(1)>",
    "```html\n<script>alert(1)</script>\n```",
    '```"><script>alert(1)</script>\nbody\n```',
    "# <script>alert(1)</script>",
    # unicode and whitespace obfuscation
    "<scr\u0131pt>alert(1)</scr\u0131pt>",
    "\u202e<script>alert(1)</script>",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
]

FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "style", "svg", "img", "form", "input", "math", "link", "meta",
    "base", "frame", "frameset", "textarea", "button", "video", "audio", "source", "template", "details", "body",
}  # fmt: skip
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
URL_ATTRIBUTES = {"src", "srcset", "action", "formaction", "data", "background", "poster", "xlink:href", "content"}
SAFE_HREF = re.compile(r"(?:https?|mailto):")  # at the very start: no whitespace, no other scheme


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.elements.append(("<!--", {}))


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def problems(html: str) -> list[str]:
    """Everything unsafe in a piece of HTML (empty when it is safe)."""
    found = []
    for tag, attrs in parse(html).elements:
        if tag in FORBIDDEN_TAGS or tag not in ALLOWED_TAGS:
            found.append(f"tag <{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"handler {name} on <{tag}>")
            if name in ("style", "class") and not (tag == "code" and name == "class"):
                found.append(f"{name} on <{tag}>")
            if name in URL_ATTRIBUTES:
                found.append(f"{name} on <{tag}>")
            if name == "href" and not SAFE_HREF.match(value or ""):
                found.append(f"href {value!r}")
        if tag == "a":
            rel = (attrs.get("rel") or "").split()
            if "nofollow" not in rel or "noopener" not in rel:
                found.append(f"rel {attrs.get('rel')!r}")
            if "target" in attrs and "noopener" not in rel:
                found.append("target without noopener")
    # belt and braces: no tag opener that a browser could read as a dangerous element
    if re.search(r"<\s*/?\s*(script|iframe|object|embed|style|svg|img|form|input|math)\b", html, re.IGNORECASE):
        found.append("raw dangerous tag text")
    return found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rendered_payload_is_safe(payload):
    html = render(payload).html
    assert problems(html) == [], html
    assert "".join(parse(html).text).strip(), "the text of the message is lost"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitizer_alone_makes_payload_safe(payload):
    html = sanitize(payload)
    assert problems(html) == [], html


@pytest.mark.parametrize(
    ("payload", "survives"),
    [
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("Hello <img src=x onerror=alert(1)> world", "Hello <img src=x onerror=alert(1)> world"),
        ("[click me](javascript:alert(1))", "[click me](javascript:alert(1))"),
        ("<javascript:alert(1)>", "<javascript:alert(1)>"),
        ("**bold** <svg onload=alert(1)>", "bold <svg onload=alert(1)>"),
        ("![cat](https://evil.example/pixel.gif)", "cat"),
    ],
)
def test_benign_text_survives_as_text(payload, survives):
    assert "".join(parse(render(payload).html).text) == survives


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<img src="x">',
        '<p onclick="x()">a</p>',
        '<p style="color:red">a</p>',
        '<a href="javascript:alert(1)" rel="nofollow noopener">a</a>',
        '<a href=" https://ok.example" rel="nofollow noopener">a</a>',
        '<a href="/relative" rel="nofollow noopener">a</a>',
        '<a href="https://ok.example">a</a>',
        '<a href="https://ok.example" rel="nofollow">a</a>',
        '<a href="https://ok.example" rel="nofollow noopener" target="_blank" style="x">a</a>',
        "<div>a</div>",
        "&lt;ok&gt; <SCRIPT>",
    ],
)
def test_the_checker_catches_unsafe_html(html):
    assert problems(html)


def test_the_checker_accepts_what_render_produces():
    html = render("**hi** [x](https://ok.example) ~~y~~ `z`\n\n```py\nq\n```\n\n1. a\n\n> b").html
    assert problems(html) == []
    assert {tag for tag, _ in parse(html).elements} >= {"strong", "a", "s", "code", "pre", "ol", "li", "blockquote"}


def test_corpus_size():
    assert len(PAYLOADS) >= 40
