"""<mark> goes around matches in text nodes only, and a query can never inject markup
(the render XSS corpus used as queries)."""

from html.parser import HTMLParser

import pytest

from chalicelib.errors import ValidationError
from chalicelib.render.markdown import render
from chalicelib.search.highlight import highlight_html, highlight_text
from chalicelib.search.port import Term
from chalicelib.search.query import parse_query
from tests.unit.render.test_xss import PAYLOADS


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(attrs)))

    def handle_data(self, data):
        self.text += data


def _parse(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    return parser


def test_words_prefixes_phrases_with_case_and_accent_folding():
    html = '<p>Le <strong>Café</strong> ouvre; <a href="https://cafe.example/cafe">cafe site</a> deployment</p>'
    out = highlight_html(html, (Term("cafe"), Term("depl", "prefix")))
    assert out == (
        '<p>Le <strong><mark>Café</mark></strong> ouvre; <a href="https://cafe.example/cafe">'
        "<mark>cafe</mark> site</a> <mark>deployment</mark></p>"
    )
    assert highlight_text("the red car, a car red", (Term("red car", "phrase"),)) == (
        "the <mark>red car</mark>, a car red"
    )


def test_text_is_escaped_and_entities_survive():
    assert highlight_html("<p>a &lt;b&gt; &amp; mark</p>", (Term("mark"),)) == (
        "<p>a &lt;b&gt; &amp; <mark>mark</mark></p>"
    )
    assert highlight_text("<script>x</script>.txt", (Term("<script>"),)) == (
        "&lt;<mark>script</mark>&gt;x&lt;/<mark>script</mark>&gt;.txt"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_corpus_as_queries_adds_nothing_but_marks(payload):
    # The payload is both the message (rendered and sanitized as usual) and the query.
    html = render(payload + "\n\nabout script, mark, img, alert(1) and a [link](https://example.com/mark)").html
    try:
        terms = parse_query(payload).text.included
    except ValidationError:
        terms = (Term(payload),)
    terms = (*terms, Term(payload), Term("mark"), Term("<mark>", "phrase"))
    before, after = _parse(html), _parse(highlight_html(html, terms))
    assert after.text == before.text  # the words are untouched
    assert [t for t in after.tags if t[0] != "mark"] == before.tags  # same tags, same attributes
    marks = [attrs for tag, attrs in after.tags if tag == "mark"]
    assert marks and all(attrs == () for attrs in marks)  # the word "mark" was marked, plainly


def test_a_word_marks_its_stemmed_variants_like_the_engine_phrases_and_prefixes_stay_exact():
    text = "Two invoices, one Invoice, invoicing; deploy, deployed, deployments"
    assert highlight_text(text, (Term("invoice"), Term("deploys"))) == (
        "Two <mark>invoices</mark>, one <mark>Invoice</mark>, <mark>invoicing</mark>; "
        "<mark>deploy</mark>, <mark>deployed</mark>, deployments"  # porter: deployment -> "deploy", deploy -> "deploi"
    )
    assert highlight_text("quarterly reports, quarterly report", (Term("quarterly report", "phrase"),)) == (
        "quarterly reports, <mark>quarterly report</mark>"
    )
    assert highlight_text("meetings and meets", (Term("meetin", "prefix"),)) == "<mark>meetings</mark> and meets"


def test_without_fts5_highlighting_falls_back_to_exact_words(monkeypatch):
    """A Lambda image whose SQLite lacks FTS5 (the OpenSearch engine does not need it): marks stay
    on the exact folded words instead of failing the search."""
    import sqlite3

    from chalicelib.search import highlight

    class NoFts5:
        def execute(self, sql, *args):
            raise sqlite3.OperationalError("no such module: fts5")

    stemmer = highlight._Stemmer()
    monkeypatch.setattr(highlight, "_stemmer", stemmer)
    monkeypatch.setattr(highlight.sqlite3, "connect", lambda *a, **kw: NoFts5())
    assert highlight_text("one invoice, two invoices", (Term("invoice"),)) == "one <mark>invoice</mark>, two invoices"
    assert stemmer.available is False
