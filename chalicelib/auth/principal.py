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


# Who may call a route: every route declares the kinds it takes (RouteSpec.callers), the
# pipeline refuses any other kind before the handler runs, and docs/permissions.md lists them.
SESSION = "session"  # a login's access token (dqt_ without the app claims)
API_TOKEN = "api_token"  # a workspace API token (dqa_)
OAUTH = "oauth"  # an OAuth app's access token (dqt_ with the ws and app claims)
PUBLIC_KEY = "public_key"  # a workspace's public key (dqp_, the Disqus api_key)
ADMIN_TOKEN = "admin_token"  # an API token holding the admin scope (Admin v2's Admin Access Token)
ANONYMOUS = "anonymous"  # no credential at all
CALLERS: tuple[str, ...] = (SESSION, API_TOKEN, OAUTH, PUBLIC_KEY, ADMIN_TOKEN, ANONYMOUS)


def admits(callers: tuple[str, ...], principal: Principal) -> bool:
    """Whether a route declared for ``callers`` takes this caller."""
    if principal.kind in callers:
        return True
    return ADMIN_TOKEN in callers and principal.kind == API_TOKEN and principal.has_scope("admin")
