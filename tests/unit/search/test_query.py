"""The query language: what each construct parses to, and every malformed input is a
ValidationError naming ``q`` (a 400 at the API, never a 500)."""

from datetime import date

import pytest

from chalicelib.errors import ValidationError
from chalicelib.search.port import Term
from chalicelib.search.query import MAX_QUERY_CHARS, MAX_TERM_CHARS, MAX_TERMS, parse_query


def test_every_construct():
    parsed = parse_query(
        'deploy "exact  phrase" depl* -nope -"bad idea" -old* from:@Alice in:#General '
        "before:2026-03-18 after:2026-01-01 has:file HAS:link url:example"
    )
    assert parsed.text.included == (
        Term("deploy"),
        Term("exact phrase", "phrase"),
        Term("depl", "prefix"),
        Term("url:example"),  # not one of our operators: a plain word
    )
    assert parsed.text.excluded == (Term("nope"), Term("bad idea", "phrase"), Term("old", "prefix"))
    assert parsed.from_usernames == ("alice",)
    assert parsed.in_channels == ("general",)
    assert (parsed.before, parsed.after) == (date(2026, 3, 18), date(2026, 1, 1))
    assert parsed.has_file and parsed.has_link


def test_operators_without_sigils_and_duplicates():
    parsed = parse_query("from:bob in:random word word before:2026-03-18 before:2026-02-01")
    assert parsed.from_usernames == ("bob",)
    assert parsed.in_channels == ("random",)
    assert parsed.text.included == (Term("word"),)
    assert parsed.before == date(2026, 2, 1)  # the tighter bound wins


def test_created_bounds_are_whole_utc_days():
    before, since = parse_query("x before:2026-03-18 after:2026-03-16").created_bounds()
    assert before == 1_773_792_000_000  # 2026-03-18T00:00Z, exclusive
    assert since == 1_773_705_600_000  # 2026-03-17T00:00Z: after the 16th means from the 17th
    assert parse_query("x").created_bounds() == (None, None)


def test_punctuation_only_words_are_dropped_markup_is_text():
    parsed = parse_query("hello !!! --- <script>")
    assert parsed.text.included == (Term("hello"), Term("<script>"))
    assert parse_query("- has:file").has_file  # a lone dash is punctuation, not an exclusion


@pytest.mark.parametrize(
    "q",
    [
        None,
        "",
        "   ",
        "!!! ???",
        "-",
        '"unterminated phrase',
        'foo"bar',
        '"phrase"glued',
        "a*b",
        "*",
        "foo**",
        "from:",
        "from:@",
        "from:@bad/name",
        "in:#",
        "in:#bad#name",
        "before:2026-3-18",
        "before:2026-02-30",
        "after:yesterday",
        "has:image",
        "-from:@bob",
        "x\x00y",
        "a" * (MAX_QUERY_CHARS + 1),
        "w" * (MAX_TERM_CHARS + 1),
        '"' + "p " * MAX_TERM_CHARS + '"',
        " ".join(f"t{i}" for i in range(MAX_TERMS + 1)),
        " ".join("has:file" for _ in range(17)),
    ],
)
def test_invalid_syntax_is_a_validation_error_naming_q(q):
    with pytest.raises(ValidationError) as err:
        parse_query(q)
    assert err.value.field == "q"
    assert err.value.status == 400


def test_bounds_are_inclusive_limits():
    assert len(parse_query(" ".join(f"t{i}" for i in range(MAX_TERMS))).text.included) == MAX_TERMS
    assert parse_query("w" * MAX_TERM_CHARS).text.included == (Term("w" * MAX_TERM_CHARS),)


def test_fuzzed_input_raises_only_validation_errors():
    import random

    rng = random.Random(10)
    alphabet = 'ab"*-:@#  éZ0<>/\\()^{}\t'
    for _ in range(2000):
        q = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        try:
            parse_query(q)
        except ValidationError as err:
            assert err.field == "q"
