"""A forum's comment rules (Disqus blacklists and whitelists) applied to a new post.

``evaluate`` is called once per post (posts/create, and a v1 message in a comments
thread). It reads the forum's entries of both lists and the workspace's Admin v2 records in
one Query (their items share the prefix ``MODLIST#`` in the forum's partition) and caches
nothing across requests, so an entry applies from the next post on. The rules
(docs/disqus.md, "Blacklists and whitelists"; docs/moderation.md):

1. A whitelisted author (user id, or e-mail address, case-insensitive) is trusted:
   ``whitelisted`` (the post skips pre-moderation) and no other rule applies, the
   blacklist included (an explicit trust of one author wins over broader entries).
2. A blacklisted author: user id, e-mail address, the e-mail's domain (or a parent
   domain: ``example.com`` also blocks ``mail.example.com``), or an IP address inside a
   blacklisted address or network -> state ``spam``, fact 8 (Modified_By_Rule).
3. A blacklisted word or phrase in the text, as a whole word (not inside another word),
   case-insensitively with Unicode case folding -> fact 4 (Has_Bad_Word) and fact 8, and
   state ``unapproved`` (``spam`` if rule 2 also matched).
4. The moderation engine (services/moderation.py) on the text, for every author (a
   whitelisted one too: the records are the workspace's, not the forum's): a blacklist
   record -> facts 4 and 8, a link outside the whitelist -> fact 8; state ``unapproved``
   (``spam`` stays ``spam``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.services import moderation
from chalicelib.store import moderation_rules as rule_store
from chalicelib.store.models import ModerationEntry

HAS_BAD_WORD = 4
MODIFIED_BY_RULE = 8


@dataclass(frozen=True)
class Verdict:
    facts: frozenset[int] = frozenset()  # Disqus filter numbers, e.g. 4 Has_Bad_Word, 8 Modified_By_Rule
    state: str | None = None  # None: the forum's default; "unapproved" | "spam"
    whitelisted: bool = False  # skips pre-moderation


def evaluate(
    workspace_id: str,
    *,
    text: str,
    author_id: str | None,
    author_email: str | None,
    ip_address: str | None,
) -> Verdict:
    """The verdict of the forum's lists and the engine's records on a post: one Query."""
    items = rule_store.everything(workspace_id)
    entries = [item for item in items if isinstance(item, ModerationEntry)]
    verdict = judge(entries, text=text, author_id=author_id, author_email=author_email, ip_address=ip_address)
    return merged(verdict, moderation.judge(workspace_id, rule_store.split(items), text))


def merged(verdict: Verdict, engine: moderation.Verdict) -> Verdict:
    """Rule 4: the engine's match holds the post (its facts added; a spam verdict stays)."""
    if not engine.blocked:
        return verdict
    return Verdict(
        facts=verdict.facts | engine.facts, state=verdict.state or "unapproved", whitelisted=verdict.whitelisted
    )


def judge(
    entries: Iterable[ModerationEntry],
    *,
    text: str,
    author_id: str | None,
    author_email: str | None,
    ip_address: str | None,
) -> Verdict:
    """The rules above on entries already read (no I/O)."""
    email = (author_email or "").strip().lower() or None
    blacklist: dict[str, list[str]] = {}
    for entry in entries:
        if entry.list_name == "whitelist":
            if _is_author(entry, author_id, email):
                return Verdict(whitelisted=True)
        else:
            blacklist.setdefault(entry.entry_type, []).append(entry.value)
    spam = _blocked_author(blacklist, author_id, email, ip_address)
    bad_word = bool(blacklist.get("word")) and has_word(text, blacklist["word"])
    if not (spam or bad_word):
        return Verdict()
    facts = {MODIFIED_BY_RULE} | ({HAS_BAD_WORD} if bad_word else set())
    return Verdict(facts=frozenset(facts), state="spam" if spam else "unapproved")


def _is_author(entry: ModerationEntry, author_id: str | None, email: str | None) -> bool:
    if entry.entry_type == "user":
        return author_id is not None and entry.value == author_id
    return entry.entry_type == "email" and email is not None and entry.value == email


def _blocked_author(
    blacklist: dict[str, list[str]], author_id: str | None, email: str | None, ip_address: str | None
) -> bool:
    if author_id is not None and author_id in blacklist.get("user", ()):
        return True
    if email is not None:
        if email in blacklist.get("email", ()):
            return True
        domain = email.rpartition("@")[2]
        if any(domain == d or domain.endswith("." + d) for d in blacklist.get("domain", ())):
            return True
    return ip_address is not None and in_networks(ip_address, blacklist.get("ip", ()))


def in_networks(ip_address: str, networks: Iterable[str]) -> bool:
    """Whether the address is one of, or inside one of, the entries (an unparsable address:
    no). An IPv4-mapped IPv6 address counts as its IPv4 address."""
    try:
        address = ipaddress.ip_address(ip_address.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for text in networks:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        if network.version == address.version and address in network:
            return True
    return False


def has_word(text: str, words: Iterable[str]) -> bool:
    """Whether one of ``words`` (stored case-folded, inner spaces single) occurs in ``text``
    as a whole word: not preceded or followed by a word character (Unicode letters, digits,
    underscore), so "ass" is not found in "class" but is in "ass!" and "(ass)". Inner
    spaces match any run of white space. The pattern is a literal (re.escape): no entry
    can be a regular expression."""
    alternatives = sorted({re.escape(w).replace(r"\ ", r"\s+") for w in words if w}, key=len, reverse=True)
    if not alternatives:
        return False
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
    return pattern.search(text.casefold()) is not None
