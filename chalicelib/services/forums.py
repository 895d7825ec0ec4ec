"""Forums of the Disqus-compatible API: a forum is a workspace, its id the workspace slug.

Who may read a forum: a public key of that workspace (the surface checked its domain), an
API token of it, or a member's token, each holding ``comments:read``. Members are checked by
``authz.workspace_access`` (the one membership rule); a key or token of another workspace, or
a non-member, gets NotFound: a forum you may not read does not exist.
Moderators are the workspace's admins and owners (docs/disqus.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import Forbidden, NotFound, NotMember
from chalicelib.services import authz
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import Entity, Membership, User, Workspace

MODERATOR_ROLES = ("admin", "owner")
_MEMBER_PAGE = 100


@dataclass(frozen=True)
class Moderator:
    membership: Membership
    user: User


def readable(principal: Principal, slug: str) -> Workspace:
    """The forum's workspace if this caller may read its comments: one GetItem for the slug,
    then one GetItem (public key) or one BatchGetItem (workspace and membership)."""
    workspace_id = workspace_store.workspace_id_for_slug(slug) if slug else None
    if workspace_id is None:
        raise NotFound(f"Unable to find forum '{slug[:100]}'.", field="forum")
    authz.require_scope(principal, scopes.COMMENTS_READ)
    try:
        authz.require_token_workspace(principal, workspace_id)
    except NotMember:
        raise NotFound(f"Unable to find forum '{slug[:100]}'.", field="forum") from None
    if principal.kind == "public_key":  # no user: the key itself belongs to the workspace
        workspace = workspace_store.get(workspace_id)
        if workspace is None:
            raise NotFound(f"Unable to find forum '{slug[:100]}'.", field="forum")
        return workspace
    try:
        return authz.workspace_access(principal, workspace_id, scope=scopes.COMMENTS_READ)[0]
    except NotFound:
        raise NotFound(f"Unable to find forum '{slug[:100]}'.", field="forum") from None


def not_found(slug: str) -> NotFound:
    return NotFound(f"Unable to find forum '{slug[:100]}'.", field="forum")


def workspace_id_of(slug: str) -> str:
    """The forum's workspace id (one GetItem on the slug claim), or NotFound naming forum."""
    workspace_id = workspace_store.workspace_id_for_slug(slug) if slug else None
    if workspace_id is None:
        raise not_found(slug)
    return workspace_id


def access(
    principal: Principal, workspace_id: str, scope: str, more: list[tuple[str, str]] = ()
) -> tuple[Workspace, Membership | None, dict[tuple[str, str], Entity]]:
    """The workspace, the caller's membership and ``more``, in one BatchGetItem; a forum the
    caller may not read is NotFound (a public key has no membership: the key is the workspace's)."""
    authz.require_scope(principal, scope)
    try:
        authz.require_token_workspace(principal, workspace_id)
    except NotMember:
        raise NotFound("Unable to find forum.", field="forum") from None
    # A public key has no user: its empty id names no membership (the key is the workspace's).
    workspace, membership, found = workspace_store.get_with_membership_and(workspace_id, principal.user_id, list(more))
    if workspace is None or (membership is None and principal.kind != "public_key"):
        raise NotFound("Unable to find forum.", field="forum")
    authz.refuse_banned(membership)
    return workspace, membership, found


def is_moderator(membership: Membership | None) -> bool:
    return membership is not None and membership.role in MODERATOR_ROLES


def moderated(
    principal: Principal, slug: str, more: list[tuple[str, str]] = ()
) -> tuple[Workspace, Membership, dict[tuple[str, str], Entity]]:
    """The forum for one of its moderators: its slug (GetItem), then ``moderated_in``."""
    return moderated_in(principal, workspace_id_of(slug), more)


def moderated_in(
    principal: Principal, workspace_id: str, more: list[tuple[str, str]] = ()
) -> tuple[Workspace, Membership, dict[tuple[str, str], Entity]]:
    """The forum for one of its moderators (an admin or owner; a token with
    ``comments:moderate``): workspace, membership and ``more`` in one BatchGetItem. A
    non-member gets NotFound, a plain member Forbidden (Disqus code 22)."""
    workspace, membership, found = access(principal, workspace_id, scopes.COMMENTS_MODERATE, more)
    if membership is None or not is_moderator(membership):
        raise Forbidden("Only the forum's moderators may do this.")
    return workspace, membership, found


def moderators(principal: Principal, slug: str) -> tuple[Workspace, list[Moderator]]:
    """Admins and owners, in member order. Memberships are one partition with no role index,
    so this reads every membership (one Query per 100 members) and one BatchGetItem of the
    moderators' profiles (per 100): proportional to the workspace's members."""
    workspace = readable(principal, slug)
    found: list[Membership] = []
    position = None
    while True:
        page = workspace_store.list_members(workspace.id, limit=_MEMBER_PAGE, position=position)
        found += [m for m in page.items if m.role in MODERATOR_ROLES]
        position = page.position
        if position is None:
            break
    users = user_store.get_many([m.user_id for m in found])
    return workspace, [Moderator(m, users[m.user_id]) for m in found if m.user_id in users]


def members(principal: Principal, slug: str, *, offset: int, limit: int) -> tuple[Workspace, list[User], bool]:
    """A page of the forum's members (forums/listUsers) at ``offset``, in membership order:
    the memberships up to the page's end (one Query per 100) and one BatchGetItem of the
    page's profiles. (workspace, users, more after the page)."""
    workspace = readable(principal, slug)
    found: list[Membership] = []
    position = None
    while len(found) <= offset + limit:
        page = workspace_store.list_members(workspace.id, limit=_MEMBER_PAGE, position=position)
        found += page.items
        position = page.position
        if position is None:
            break
    shown = found[offset : offset + limit]
    users = user_store.get_many([m.user_id for m in shown])
    return workspace, [users[m.user_id] for m in shown if m.user_id in users], len(found) > offset + limit
