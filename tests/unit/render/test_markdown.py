import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.render.markdown import MAX_URL, Rendered, render

ROOT = Path(__file__).resolve().parents[3]
REL = 'rel="nofollow noopener"'


def visible_text(html: str) -> str:
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html))


# -- spec examples -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("Hello **world**!", "<p>Hello <strong>world</strong>!</p>"),
        ("Hello from the Disqua API!", "<p>Hello from the Disqua API!</p>"),
    ],
)
def test_spec_examples(markdown, html):
    assert render(markdown) == Rendered(html=html, usernames=(), special=())


# -- formatting ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("*em* and _em_", "<p><em>em</em> and <em>em</em></p>"),
        ("~~gone~~ here", "<p><s>gone</s> here</p>"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("3. c\n4. d", '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>'),
        ("1. a\n   - b", "<ol>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n</ol>"),
        ("> quoted\n> **too**", "<blockquote>\n<p>quoted<br>\n<strong>too</strong></p>\n</blockquote>"),
        ("# Title\n\n###### small", "<h1>Title</h1>\n<h6>small</h6>"),
        ("a\n\n---\n\nb", "<p>a</p>\n<hr>\n<p>b</p>"),
        ("one\ntwo", "<p>one<br>\ntwo</p>"),  # a newline is a line break (chat, not prose)
        ("one\n\ntwo", "<p>one</p>\n<p>two</p>"),
        ("a\x00b", "<p>a\ufffdb</p>"),  # NUL is replaced, as CommonMark says
    ],
)
def test_formatting(markdown, html):
    assert render(markdown).html == html


def test_inline_code_is_escaped_and_not_parsed():
    assert render("`<b>` and `**x**`").html == "<p><code>&lt;b&gt;</code> and <code>**x**</code></p>"


def test_fenced_code_block_is_escaped_and_keeps_its_language():
    html = render("```python\nif a < b and c & d:\n    print('<b>')\n```").html
    assert html == (
        "<pre><code class=\"language-python\">if a &lt; b and c &amp; d:\n    print('&lt;b&gt;')\n</code></pre>"
    )


def test_indented_code_block_is_escaped():
    assert render("    <i>x</i>").html == "<pre><code>&lt;i&gt;x&lt;/i&gt;\n</code></pre>"


def test_an_odd_fence_info_string_loses_the_class_not_the_code():
    assert render('```"><x\nbody\n```').html == "<pre><code>body\n</code></pre>"


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("<b>bold?</b>", "<p>&lt;b&gt;bold?&lt;/b&gt;</p>"),
        ('<div onclick="x()">\nblock\n</div>', '<p>&lt;div onclick="x()"&gt;<br>\nblock<br>\n&lt;/div&gt;</p>'),
        ("<!-- note -->", "<p>&lt;!-- note --&gt;</p>"),
        ("a<br>b", "<p>a&lt;br&gt;b</p>"),
    ],
)
def test_raw_html_is_escaped_not_rendered(markdown, html):
    assert render(markdown).html == html


# -- links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        (
            "see https://example.com/a?b=1&c=2.",
            f'<p>see <a href="https://example.com/a?b=1&amp;c=2" {REL}>https://example.com/a?b=1&amp;c=2</a>.</p>',
        ),
        ("<https://x.io>", f'<p><a href="https://x.io" {REL}>https://x.io</a></p>'),
        ("[docs](https://x.io/d)", f'<p><a href="https://x.io/d" {REL}>docs</a></p>'),
        ('[docs](https://x.io "The docs")', f'<p><a href="https://x.io" title="The docs" {REL}>docs</a></p>'),
        ("[mail](mailto:jane@example.com)", f'<p><a href="mailto:jane@example.com" {REL}>mail</a></p>'),
        ("jane@example.com", f'<p><a href="mailto:jane@example.com" {REL}>jane@example.com</a></p>'),
        ("HTTP://X.IO", f'<p><a href="HTTP://X.IO" {REL}>HTTP://X.IO</a></p>'),
        ("[x][1]\n\n[1]: https://x.io", f'<p><a href="https://x.io" {REL}>x</a></p>'),
    ],
)
def test_links_get_rel(markdown, html):
    assert render(markdown).html == html


@pytest.mark.parametrize(
    "markdown",
    [
        "www.example.com",  # fuzzy links are off
        "see notes.md and setup.py",  # .md and .py are TLDs: fuzzy linking would link them
        "[x](/relative)",  # absolute http(s)/mailto only
        "[x](#fragment)",
        "[x](//example.com)",
        "<ftp://example.com/file>",
        "ftp://example.com/file",
    ],
)
def test_not_links(markdown):
    html = render(markdown).html
    assert "<a" not in html
    assert visible_text(html) == markdown


def test_images_are_links_not_img():
    html = render('![a cat](https://img.example/cat.png "Cat") ![](https://img.example/x.png)').html
    assert html == (
        f'<p><a href="https://img.example/cat.png" title="Cat" {REL}>a cat</a> '
        f'<a href="https://img.example/x.png" {REL}>https://img.example/x.png</a></p>'
    )


def test_a_bare_url_longer_than_max_url_is_linked_up_to_there():
    url = "https://example.com/" + "a" * (MAX_URL + 500)
    html = render(f"{url} end").html
    href = re.search(r'href="([^"]+)"', html).group(1)
    assert url.startswith(href) and len("https:") < len(href) < len(url)
    assert visible_text(html) == f"{url} end"


# -- mentions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "usernames", "special"),
    [
        ("@jane hi", ("jane",), ()),
        ("hi @Jane and @JANE", ("jane",), ()),
        ("@bob, @alice and @bob again", ("bob", "alice"), ()),
        ("thanks @jane.", ("jane",), ()),
        ("ask @jane.doe.", ("jane.doe",), ()),
        ("@jane...", ("jane",), ()),
        ("(@jane) @bob! @carl? @dave's", ("jane", "bob", "carl", "dave"), ()),
        ("@jane_doe @jane-doe @j.d @007", ("jane_doe", "jane-doe", "j.d", "007"), ()),
        ("@jane\n@bob", ("jane", "bob"), ()),
        ("@" + "a" * 30, ("a" * 30,), ()),
        ("@" + "a" * 31, (), ()),
        ("@ab @_jane @-x @.x @", (), ()),
        ("@janeé @jane@host", (), ()),
        ("jane@example.com", (), ()),
        ("mail jane@localhost or a.b@c", (), ()),
        ("https://social.example/@jane", (), ()),
        ("<https://social.example/@jane>", (), ()),
        ("social.example/@jane", (), ()),
        ("`@jane`", (), ()),
        ("```\n@jane\n```", (), ()),
        ("    @jane", (), ()),
        ("[hi @jane](https://x.io)", ("jane",), ()),
        ("![@jane](https://x.io/a.png)", ("jane",), ()),
        ("**@jane** ~~@bob~~ *@carl*", ("jane", "bob", "carl"), ()),
        ("> @jane\n\n- @bob\n\n# @carl", ("jane", "bob", "carl"), ()),
        ("<b>@jane</b>", ("jane",), ()),
        ("@here", (), ("here",)),
        ("@channel @here @channel @HERE.", (), ("channel", "here")),
        ("@here's @Channel, @jane", ("jane",), ("here", "channel")),
        ("@channels @hereby", ("channels", "hereby"), ()),
        ("`@here` and https://x.io/@channel", (), ()),
    ],
)
def test_mentions(markdown, usernames, special):
    rendered = render(markdown)
    assert (rendered.usernames, rendered.special) == (usernames, special)


def test_mentions_stay_plain_text_in_the_html():
    assert render("hi @Jane and @here").html == "<p>hi @Jane and @here</p>"


# -- edge cases ----------------------------------------------------------------------


@pytest.mark.parametrize("markdown", ["", " ", "\n\t \n", "\u00a0"])
def test_empty_or_blank(markdown):
    assert render(markdown) == Rendered(html="", usernames=(), special=())


def test_rendered_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        render("x").html = "<script>"  # type: ignore[misc]


@pytest.mark.parametrize(
    "unit",
    [
        "Hello **world** @jane https://example.com/a ~~x~~ `code` ",
        "[a](http://x.y/",
        "http://x.y/(",
        "![",
        "*a",
        "a\n",
        "> ",
        "- ",
        "<",
        "@a.",
    ],
)
def test_very_long_input_renders(unit):
    markdown = (unit * (40_000 // len(unit) + 1))[:40_000]
    rendered = render(markdown)
    assert rendered.html.startswith("<")


def test_importing_the_module_does_not_import_the_parser():
    code = "import sys, chalicelib.render.markdown; print('markdown_it' in sys.modules, 'nh3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
