"""Who is calling: the authenticated identity that services authorize against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Principal:
    user_id: str
    kind: Literal["session", "api_token"]
    email_verified: bool = True
    # None means every scope (a login session); an API token lists its own.
    scopes: frozenset[str] | None = None
    # An API token is confined to the workspace it was created in.
    workspace_id: str | None = None
    session_id: str | None = None
    token_id: str | None = None
    # An API token minted as a bot integration: its messages have type "bot".
    is_bot: bool = False

    @property
    def is_session(self) -> bool:
        return self.kind == "session"

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @property
    def subject(self) -> str:
        """A stable key for per-caller state (idempotency keys, rate limits)."""
        return f"user:{self.user_id}" if self.is_session else f"token:{self.token_id}"
