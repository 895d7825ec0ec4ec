"""Who is calling: the authenticated identity that services authorize against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Principal:
    user_id: str
    # "oauth": an access token issued to an app (a grant). Like an API token it holds
    # only its scopes, is confined to one workspace and may not use SESSION routes.
    # "public_key": a workspace's public key (the Disqus api_key) from a web page. No
    # user (user_id is ""), read-only (scopes {comments:read}), one workspace; token_id
    # is the key's id.
    kind: Literal["session", "api_token", "oauth", "public_key"]
    email_verified: bool = True
    # None means every scope (a login session); an API token lists its own.
    scopes: frozenset[str] | None = None
    # An API token is confined to the workspace it was created in.
    workspace_id: str | None = None
    session_id: str | None = None
    token_id: str | None = None
    # An API token minted as a bot integration: its messages have type "bot".
    is_bot: bool = False
    app_id: str | None = None  # the OAuth app a grant belongs to

    @property
    def is_session(self) -> bool:
        return self.kind == "session"

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @property
    def subject(self) -> str:
        """A stable key for per-caller state (idempotency keys, rate limits)."""
        if self.kind == "oauth":
            return f"oauth:{self.session_id}"
        if self.kind == "public_key":
            return f"pubkey:{self.token_id}"
        return f"user:{self.user_id}" if self.is_session else f"token:{self.token_id}"
