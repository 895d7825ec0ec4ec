"""Rendered HTML is at most MAX_HTML (512 KB): markup expands text, and reference links
repeat their URL at every use, so 40,000 characters could render to 120 MB. The worst
real markup fits; amplification is refused from the parsed tokens, before rendering."""

from __future__ import annotations

import pytest

from chalicelib.render.markdown import MAX_HTML, HtmlTooLarge, _pipeline, render

EXPANDING = {
    "mailto lines": ("a@b.cd\n" * 5715)[:40_000],  # 9x: the most of any markup we found
    "escaped": "<" * 40_000,
    "ampersands": "&" * 40_000,
    "headings": "#\n" * 20_000,
    "list items": "-\n" * 20_000,
    "links": ("[](http:) " * 4000)[:40_000],
}


@pytest.mark.parametrize("name", EXPANDING)
def test_the_most_expanding_markup_of_40000_characters_fits(name):
    html = render(EXPANDING[name]).html
    assert len(EXPANDING[name]) <= 40_000
    assert 100_000 < len(html.encode()) <= MAX_HTML


@pytest.mark.parametrize(
    "markdown",
    [
        "[a]: http://x.y/" + "a" * 20_000 + "\n\n" + "[a]" * 6_000,  # the URL, 6,000 times
        '[a]: http://x.y "' + "t" * 20_000 + '"\n\n' + "[a]" * 6_000,  # the title
        "[a]: http://x.y/" + "a" * 20_000 + "\n\n" + "![a]" * 4_000,  # images become links
    ],
)
def test_reference_link_amplification_is_refused_before_rendering(markdown, monkeypatch):
    parser, _ = _pipeline()

    def never(*args, **kwargs):
        raise AssertionError("rendered: 120 MB and seconds of CPU")

    monkeypatch.setattr(parser.renderer, "render", never)
    with pytest.raises(HtmlTooLarge):
        render(markdown)


def test_a_reference_link_used_a_few_times_is_fine():
    markdown = "[a]: http://x.y/" + "a" * 2_000 + "\n\n" + "[a] " * 20
    assert render(markdown).html.count('href="http://x.y/') == 20


def test_rendered_html_past_the_limit_is_refused():
    # No links (the token check passes), over the limit once escaped: the service bounds
    # the text to 40,000 characters first, render() itself does not.
    with pytest.raises(HtmlTooLarge):
        render("<" * (MAX_HTML // 4 + 1))
