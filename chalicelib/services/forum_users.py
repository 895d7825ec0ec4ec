"""Users of the Disqus-compatible API (users/details, users/listForums, listActiveForums).

What a caller may see of a user: themselves always; another user only when they share a
workspace (forum) — for a token confined to one workspace (API token, OAuth grant, public
key) that is the token's workspace. Anyone else gets NotFound: a user you may not see does
not exist (the Disqus layer maps NotFound to code 8, "object not found"). The e-mail address is
for the user themselves through a login session (all scopes) only.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import NotFound, ValidationError
from chalicelib.services import authz
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import User, Workspace

_MEMBERSHIP_PAGE = 100


@dataclass(frozen=True)
class Seen:
    user: User
    with_email: bool


def _not_found(ref: str) -> NotFound:
    return NotFound(f"Unable to find user '{ref[:100]}'.", field="user")


def resolve(principal: Principal, user_id: str | None, username: str | None) -> str:
    """The user id named (by id or username), or the caller's own with no argument."""
    if username:
        found = user_store.user_ids_for_usernames([username.lower()]).get(username.lower())
        if found is None:
            raise _not_found(username)
        return found
    if user_id:
        return user_id
    if not principal.user_id or principal.kind == "api_token":
        raise ValidationError("Name the user: user=<id> or user:username=<name>.", field="user")
    return principal.user_id


def workspace_ids_of(user_id: str, *, upto: int | None = None) -> list[str]:
    """The user's workspaces in membership order: one Query per 100 memberships, stopping
    once ``upto`` are read (a page's worth)."""
    found: list[str] = []
    position = None
    while upto is None or len(found) < upto:
        page = workspace_store.memberships_of_user(user_id, limit=_MEMBERSHIP_PAGE, position=position)
        found += [m.workspace_id for m in page.items]
        position = page.position
        if position is None:
            break
    return found if upto is None else found[:upto]


def _shared(principal: Principal, target_id: str, workspace_ids: list[str]) -> list[str]:
    """Those of the target's workspaces the caller is in (or its token's, if confined)."""
    if principal.user_id == target_id and principal.workspace_id is None:
        return workspace_ids
    if principal.workspace_id is not None:
        return [w for w in workspace_ids if w == principal.workspace_id]
    mine = set(workspace_ids_of(principal.user_id))
    return [w for w in workspace_ids if w in mine]


def details(principal: Principal, user_id: str | None, username: str | None) -> Seen:
    authz.require_scope(principal, scopes.COMMENTS_READ)
    target_id = resolve(principal, user_id, username)
    is_self = principal.user_id == target_id and principal.workspace_id is None
    if not is_self:
        if principal.workspace_id is not None:
            visible = workspace_store.get_membership(principal.workspace_id, target_id) is not None
        else:
            visible = bool(_shared(principal, target_id, workspace_ids_of(target_id)))
        if not visible:
            raise _not_found(username or target_id)
    user = user_store.get_user(target_id)
    if user is None:
        raise _not_found(username or target_id)
    return Seen(user, with_email=is_self and principal.kind == "session" and principal.scopes is None)


def forums_of(
    principal: Principal, user_id: str | None, username: str | None, *, offset: int, limit: int
) -> tuple[list[Workspace], bool]:
    """The user's workspaces the caller shares, a page at ``offset``; (page, more after it).
    Reads the caller's own memberships up to offset + limit + 1 (another's all, to filter)
    and one BatchGetItem of the page's workspaces."""
    authz.require_scope(principal, scopes.COMMENTS_READ)
    target_id = resolve(principal, user_id, username)
    if principal.user_id != target_id or principal.workspace_id is not None:
        details(principal, target_id, None)  # the same visibility rule (NotFound otherwise)
    own = principal.user_id == target_id and principal.workspace_id is None
    # Own list: read only up to the page's end; another's is filtered, so read it all.
    upto = offset + limit + 1 if own else None
    shared = _shared(principal, target_id, workspace_ids_of(target_id, upto=upto))
    page_ids = shared[offset : offset + limit]
    workspaces = workspace_store.get_many(page_ids)
    return [workspaces[w] for w in page_ids if w in workspaces], len(shared) > offset + limit
