"""Authorization checks shared by the services: scope, session-only, workspace access.

A resource the caller may not see is E_NOT_FOUND. An API token used outside its own
workspace is E_AUTHZ_NOT_MEMBER without any read (the answer is the same whether
the workspace exists or not, so it reveals nothing). See docs/permissions.md.
"""

from __future__ import annotations

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal, admits
from chalicelib.errors import (
    ChannelClosed,
    EmailUnverified,
    Forbidden,
    InsufficientScope,
    NotFound,
    NotMember,
    UserBanned,
)
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import Channel, ChannelMember, Membership, Workspace

ROLE_RANK = {"member": 1, "admin": 2, "owner": 3}


def require_scope(principal: Principal, scope: str | None) -> None:
    if scope is not None and not principal.has_scope(scope):
        raise InsufficientScope(f"The token lacks the {scope} scope.")


def require_route(principal: Principal, requirement: str) -> None:
    """What a route declares a token needs (a scope, SESSION or ANY_TOKEN), checked by
    the routing pipeline before the handler runs: no route can forget it. Services
    check again where they decide (defence in depth, and for surfaces without routes)."""
    if requirement == scopes.SESSION:
        require_session(principal)
    elif requirement != scopes.ANY_TOKEN:
        require_scope(principal, requirement)


def require_caller(principal: Principal, callers: tuple[str, ...]) -> None:
    """The route's declared callers (RouteSpec.callers), checked by the routing pipeline
    before the scope: the wrong kind of caller is 403 E_AUTHZ_INSUFFICIENT_SCOPE (a Disqus
    code 12), whatever scopes it holds."""
    if not admits(callers, principal):
        words = {"api_token": "an API token", "oauth": "an app's OAuth token", "public_key": "a public key"}
        raise InsufficientScope(f"This operation does not take {words.get(principal.kind, 'this kind of token')}.")


def acts_as_admin(principal: Principal, membership: Membership) -> bool:
    """Admin powers need the admin role now and, on a token, the admin scope."""
    return ROLE_RANK.get(membership.role, 0) >= ROLE_RANK["admin"] and principal.has_scope(scopes.ADMIN)


def require_session(principal: Principal) -> None:
    """Account-level actions (new workspaces, minting tokens) need a login session:
    an API token must not mint tokens or reach beyond its workspace."""
    if not principal.is_session:
        raise InsufficientScope("This operation needs a user session, not an API token.")


def require_verified(principal: Principal) -> None:
    if not principal.email_verified:
        raise EmailUnverified()


def require_token_workspace(principal: Principal, workspace_id: str) -> None:
    if principal.workspace_id is not None and principal.workspace_id != workspace_id:
        raise NotMember("This token belongs to another workspace.")


def require_object_workspace(principal: Principal, workspace_id: str, what: str) -> None:
    """An object read by its id (a channel, a message, a file) whose workspace is not the
    token's: 404, as if it did not exist. A 403 here would tell another workspace's token
    that the id is real (an unknown id is a 404), so the answer must not differ."""
    if principal.workspace_id is not None and principal.workspace_id != workspace_id:
        raise NotFound(f"{what} not found.")


def refuse_closed(principal: Principal, channel: Channel) -> None:
    """A channel closed by Admin v2 is 410 to its workspace's members and 404 to anyone
    else (one read, for closed channels only): a 410 would tell an outsider the id is real."""
    if channel.closed_at:
        if workspace_store.get_membership(channel.workspace_id, principal.user_id) is None:
            raise NotFound("Channel not found.")
        raise ChannelClosed()


def workspace_access(
    principal: Principal, workspace_id: str, *, scope: str | None = None, role: str = "member"
) -> tuple[Workspace, Membership]:
    """The workspace and the caller's membership, or the right error.

    One BatchGetItem. Non-members get 404: they may not learn the workspace exists.
    """
    require_token_workspace(principal, workspace_id)
    require_scope(principal, scope)
    if ROLE_RANK[role] >= ROLE_RANK["admin"]:
        require_scope(principal, scopes.ADMIN)
    workspace, membership = workspace_store.get_with_membership(workspace_id, principal.user_id)
    return check_access(workspace, membership, role=role)


def check_access(
    workspace: Workspace | None, membership: Membership | None, *, role: str = "member"
) -> tuple[Workspace, Membership]:
    """The verdict on a workspace and the caller's membership, however they were read
    (a list may fetch them in the same batch as its page, to save a call)."""
    if workspace is None or membership is None:
        raise NotFound("Workspace not found.")
    refuse_banned(membership)
    if ROLE_RANK.get(membership.role, 0) < ROLE_RANK[role]:
        raise Forbidden(f"This needs the {role} role.")
    return workspace, membership


def refuse_banned(membership: Membership | ChannelMember | None) -> None:
    """A global ban (Admin v2) on the workspace membership, or its copy on a channel
    membership: E_USER_BANNED, read with what the caller read anyway (0 extra calls)."""
    if membership is not None and membership.banned:
        raise UserBanned()
