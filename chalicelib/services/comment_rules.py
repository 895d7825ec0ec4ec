"""A forum's comment rules (Disqus blacklists and whitelists) applied to a new post.

``evaluate`` is called once per post (posts/create, and a v1 message in a comments
thread). This first version applies no rules: blacklists and whitelists arrive with their
endpoints (docs/disqus.md), which replace its body without changing its signature.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    return Verdict()
