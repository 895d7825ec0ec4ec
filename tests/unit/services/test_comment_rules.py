"""The rules of chalicelib/services/comment_rules.py on entries in memory (no I/O)."""

from __future__ import annotations

import pytest

from chalicelib.services.comment_rules import Verdict, has_word, in_networks, judge
from chalicelib.services.moderation_lists import normalize
from chalicelib.store.models import ModerationEntry


def entry(list_name: str, entry_type: str, value: str) -> ModerationEntry:
    return ModerationEntry(list_name=list_name, entry_type=entry_type, value=normalize(entry_type, value, "value"))


def black(entry_type: str, value: str) -> ModerationEntry:
    return entry("blacklist", entry_type, value)


def white(entry_type: str, value: str) -> ModerationEntry:
    return entry("whitelist", entry_type, value)


def verdict(entries, text="hello", author_id=None, author_email=None, ip_address=None) -> Verdict:
    return judge(entries, text=text, author_id=author_id, author_email=author_email, ip_address=ip_address)


BAD_WORD = Verdict(facts=frozenset({4, 8}), state="unapproved")
SPAM = Verdict(facts=frozenset({8}), state="spam")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("darn", True),
        ("Darn!", True),
        ("oh DARN it", True),
        ("(darn)", True),
        ("darn_it", False),  # underscore is a word character
        ("darned", False),
        ("undarn", False),
        ("dar n", False),
        ("darn2", False),
        ("\u00e9darn", False),  # a letter outside ASCII is a word character too
        ("darn\u00e9", False),
        ("x-darn-y", True),  # hyphens are not word characters
    ],
)
def test_a_word_matches_whole_words_case_insensitively(text, found):
    assert has_word(text, ["darn"]) is found


def test_unicode_words_and_case_folding():
    assert has_word("Die STRASSE ist lang", [normalize("word", "Straße", "value")])
    assert has_word("ÉCOLE fermée", [normalize("word", "école", "value")])
    assert has_word("Привет, МИР!", [normalize("word", "мир", "value")])
    assert not has_word("мирный", [normalize("word", "мир", "value")])


def test_phrases_match_across_any_white_space_and_literals_stay_literal():
    words = [normalize("word", "buy   now", "value")]
    assert has_word("please BUY\n\tnow", words)
    assert not has_word("buynow", words)
    assert has_word("price: $$$ today", ["$$$"])
    assert not has_word("a.b", ["a*b"]) and not has_word("aXb", ["a.b"])  # no regex from an entry
    assert has_word("a.b", ["a.b"])
    assert not has_word("anything", [])


def test_no_entries_no_verdict():
    assert verdict([]) == Verdict()
    assert verdict([black("word", "darn")], text="fine words") == Verdict()


def test_a_bad_word_holds_the_post_for_approval():
    assert verdict([black("word", "darn")], text="Darn it") == BAD_WORD


@pytest.mark.parametrize(
    ("entries", "author"),
    [
        ([black("user", "u1")], {"author_id": "u1"}),
        ([black("email", "Bob@Example.com")], {"author_email": " BOB@example.COM "}),
        ([black("domain", "example.com")], {"author_email": "bob@example.com"}),
        ([black("domain", "example.com")], {"author_email": "bob@mail.Example.com"}),
        ([black("ip", "192.0.2.7")], {"ip_address": "192.0.2.7"}),
        ([black("ip", "10.0.0.0/8")], {"ip_address": "10.200.3.4"}),
        ([black("ip", "10.0.0.0/8")], {"ip_address": "::ffff:10.1.1.1"}),  # IPv4-mapped
        ([black("ip", "2001:db8::/32")], {"ip_address": "2001:db8::1"}),
    ],
)
def test_a_blacklisted_author_is_spam(entries, author):
    assert verdict(entries, **author) == SPAM


@pytest.mark.parametrize(
    ("entries", "author"),
    [
        ([black("user", "u1")], {"author_id": "u2"}),
        ([black("email", "bob@example.com")], {"author_email": "bob@example.org"}),
        ([black("domain", "example.com")], {"author_email": "bob@notexample.com"}),
        ([black("domain", "mail.example.com")], {"author_email": "bob@example.com"}),
        ([black("ip", "10.0.0.0/8")], {"ip_address": "11.0.0.1"}),
        ([black("ip", "10.0.0.0/8")], {"ip_address": "not an address"}),
        ([black("ip", "2001:db8::/32")], {"ip_address": "10.0.0.1"}),
    ],
)
def test_other_authors_pass(entries, author):
    assert verdict(entries, **author) == Verdict()


def test_spam_and_a_bad_word_together():
    both = verdict([black("user", "u1"), black("word", "darn")], text="darn", author_id="u1")
    assert both == Verdict(facts=frozenset({4, 8}), state="spam")


def test_a_whitelisted_author_skips_every_rule():
    entries = [black("word", "darn"), black("user", "u1"), black("ip", "10.0.0.0/8"), white("user", "u1")]
    assert verdict(entries, text="darn", author_id="u1", ip_address="10.0.0.1") == Verdict(whitelisted=True)
    by_email = [black("domain", "example.com"), white("email", "Ann@Example.com")]
    assert verdict(by_email, author_email="ann@example.com") == Verdict(whitelisted=True)
    assert verdict(by_email, author_email="bob@example.com") == SPAM
    assert verdict([white("user", "u1")], author_id="u2") == Verdict()
    assert verdict([white("email", "a@b.co")]) == Verdict()  # an anonymous post without e-mail


def test_in_networks_skips_entries_it_cannot_read():
    assert in_networks("10.0.0.1", ["garbage", "10.0.0.1"])
    assert not in_networks("10.0.0.1", [])
