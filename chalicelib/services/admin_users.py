"""Admin v2's user routes (docs/admin-v2.md): query the workspace's members, update the
workspace's view of one (displayName, roles, metadata), global ban / unban, clear flags.

Everything acts on the Admin Access Token's workspace, as its creator, who must be an admin
or owner there now (``admin_channels.require_admin``). A user is a member of that workspace;
anyone else is 404. The displayName, metadata and roles set here are the workspace's (stored
on the Membership): an admin of one workspace never edits an account other workspaces share.

**Global ban** (the family's "app" is the workspace): a ``banned`` mark on the Membership,
which ``authz.check_access`` reads on nearly every route already (0 extra calls), copied onto
the member's channel memberships (read instead by channel reads and posts): every surface
answers ``E_USER_BANNED`` (403; Disqus code 22) until unbanned, for the user's sessions and
API tokens alike. The membership stays, so an invite cannot bring them back, and it cannot be
removed while banned (that would lift the ban).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.errors import Forbidden, NotFound, ValidationError
from chalicelib.ids import now_iso
from chalicelib.services import authz
from chalicelib.services.admin_channels import require_admin, workspace_of
from chalicelib.store import admin_users as store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import Event, FlaggedUser, Membership, User
from chalicelib.store.outbox import new_event

FILTERS = ("all", "flagged")
MAX_READ = 1000  # items a search or filtered page reads at most (then it ends short, with a token)
READ_PAGE = 100  # items per Query while searching
TRAIL = 10  # how many pages back ``previous`` reaches
TOKEN_FIELD = "pageToken"
# Channel memberships a ban request marks itself (a Query page); the activity worker marks the
# rest from the ban's event within seconds, so a request stays short whatever the user's channels.
INLINE_SWEEP = 100


@dataclass
class Entry:
    user: User
    membership: Membership
    summary: FlaggedUser | None = None


@dataclass
class Bundle:
    entries: list[Entry] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"users": [user_view(e) for e in self.entries], "files": []}


def user_view(entry: Entry) -> dict[str, Any]:
    user, membership = entry.user, entry.membership
    return {
        "userId": user.id,
        "displayName": membership.display_name or user.display_name,
        "username": user.username,
        "avatarUrl": user.avatar_url,
        "metadata": membership.metadata or {},
        "roles": sorted(membership.roles or ()),
        "workspaceRole": membership.role,
        "flagCount": int(entry.summary.flag_count or 0) if entry.summary else 0,
        "isGlobalBan": bool(membership.banned),
        "bannedAt": membership.banned_at,
        "createdAt": user.created_at,
        "joinedAt": membership.joined_at,
    }


# --- query ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    search: str | None = None
    filter: str | None = None  # None: "all" (or, with a token alone, the token's)

    def fingerprint(self) -> str:
        text = json.dumps([(self.search or "").casefold(), self.filter])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def matches(self, entry: Entry) -> bool:
        if not self.search:
            return True
        wanted = self.search.casefold()
        names = (entry.membership.display_name, entry.user.display_name, entry.user.username)
        return any(name and name.casefold().startswith(wanted) for name in names)


def query(
    principal: Principal, wanted: Query, *, limit: int, position: dict[str, Any] | None
) -> tuple[Bundle, dict[str, Any] | None, dict[str, Any] | None]:
    """A page of the workspace's members, and the positions of the next and previous pages.

    The source is one Query: the workspace's memberships (``WS#wid`` / ``MEMBER#``), or for
    ``filter=flagged`` its flag summaries (``FLAGGED#``); then one BatchGetItem of the page's
    users with their summaries (or memberships). Without ``search`` a page reads ``limit``
    items (+1). ``search`` (a prefix of the displayName or username, case-insensitive) has
    no key range (names are the accounts', not the workspace's): it reads the source in
    Queries of 100 and keeps the matches, at most ``MAX_READ`` items a page (then the page
    may be short, with a next token): its cost follows the items read, not the page."""
    workspace_id = require_admin(principal)
    if position is not None and wanted.search is None and wanted.filter is None:
        wanted = Query(position.get("s"), position.get("f") or "all")  # a token alone: its query
    wanted = Query(wanted.search, wanted.filter or "all")
    if position is not None and position.get("q") != wanted.fingerprint():
        raise ValidationError("pageToken belongs to another query.", field=TOKEN_FIELD)
    start = position or {"at": None, "trail": []}
    flagged = wanted.filter == "flagged"
    read: Callable[..., Any] = store.flagged_page if flagged else workspace_store.list_members
    at = start.get("at")
    collected: list[Entry] = []
    read_count = 0
    while True:
        size = READ_PAGE if wanted.search else limit - len(collected)
        page = read(workspace_id, limit=size, position=at)
        read_count += len(page.items)
        ids = [item.user_id for item in page.items]
        users, members, summaries = store.details(workspace_id, ids, memberships=flagged, summaries=not flagged)
        if flagged:
            summaries = {s.user_id: s for s in page.items}
        else:
            members = {m.user_id: m for m in page.items}
        at = page.position
        for item in page.items:
            uid = item.user_id
            if uid not in users or uid not in members:  # left the workspace (a flag summary stays)
                continue
            entry = Entry(users[uid], members[uid], summaries.get(uid))
            if not wanted.matches(entry):
                continue
            collected.append(entry)
            if len(collected) == limit:
                at = page.after(item) if item is not page.items[-1] else page.position
                break
        if len(collected) == limit or at is None or read_count >= MAX_READ:
            break
    kept = {"q": wanted.fingerprint(), "s": wanted.search, "f": wanted.filter, "limit": limit}
    trail = list(start.get("trail") or [])
    following = {"at": at, "trail": [*trail, start.get("at")][-TRAIL:], **kept}
    previous = {"at": trail[-1], "trail": trail[:-1], **kept} if trail else None
    return Bundle(collected), (following if at else None), previous


# --- one user ---------------------------------------------------------------------------------


def _entry(workspace_id: str, user_id: str) -> Entry:
    """A member of the workspace, with their flag summary: one BatchGetItem."""
    users, members, summaries = store.details(workspace_id, [user_id], memberships=True, summaries=True)
    if user_id not in users or user_id not in members:
        raise NotFound("User not found in this workspace.", field="userId")
    return Entry(users[user_id], members[user_id], summaries.get(user_id))


def update(
    principal: Principal,
    user_id: str,
    *,
    display_name: str | None = None,
    roles: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Bundle:
    """Fields given are set; ``displayName`` "" or ``metadata`` {} go back to none."""
    workspace_id = require_admin(principal)
    changes: dict[str, Any] = {}
    if display_name is not None:
        changes["display_name"] = display_name or None
    if metadata is not None:
        changes["metadata"] = metadata or None
    if roles is not None:
        from chalicelib.services import roles as role_service

        role_service.require_defined(workspace_id, roles)
        changes["roles"] = set(roles) or None
    if changes:
        try:
            store.update_profile(workspace_id, user_id, changes)
        except ConditionFailed:
            raise NotFound("User not found in this workspace.", field="userId") from None
    return Bundle([_entry(workspace_id, user_id)])


def set_banned(principal: Principal, user_ids: list[str], banned: bool) -> Bundle:
    """Ban or unban each user (a member here). An admin bans members; only an owner bans an
    admin; no one bans an owner or themself (a workspace keeps someone to unban). All users
    are checked before any is written; users already (un)banned are passed over."""
    workspace_id = workspace_of(principal)
    _, actor = authz.workspace_access(principal, workspace_id, role="admin")
    members = workspace_store.memberships_of(workspace_id, user_ids)
    for index, user_id in enumerate(user_ids):
        target = members.get(user_id)
        path = f"userIds[{index}]" if len(user_ids) > 1 else "userId"
        if target is None:
            raise NotFound("User not found in this workspace.", field=path)
        if not banned:
            continue
        if user_id == principal.user_id:
            raise ValidationError("You cannot ban yourself.", field=path)
        if target.role == "owner" or (target.role == "admin" and actor.role != "owner"):
            raise Forbidden("Only owners may ban admins, and owners cannot be banned.", field=path)
    at = now_iso()
    for user_id in dict.fromkeys(user_ids):
        if bool(members[user_id].banned) == banned:
            continue
        with suppress(ConditionFailed):  # left the workspace meanwhile: nothing to ban
            event = ban_event(workspace_id, user_id, principal, at, banned)
            store.set_banned(workspace_id, user_id, at if banned else None, event)
            store.sweep_ban_copies(workspace_id, user_id, banned=banned, limit=INLINE_SWEEP)
        if banned:  # realtime delivery stops at once too (services/realtime.py)
            from chalicelib.services import realtime

            realtime.revoke(workspace_id, user_id)
    return Bundle([_entry(workspace_id, uid) for uid in dict.fromkeys(user_ids)])


def ban_event(workspace_id: str, user_id: str, principal: Principal, at: str, banned: bool) -> Event:
    """``member.banned`` / ``member.unbanned`` without a ``channelId``: the workspace's (webhooks;
    the activity worker finishes the ban's copies from it)."""
    if banned:
        data = {"workspaceId": workspace_id, "userId": user_id, "bannedBy": principal.user_id, "bannedAt": at}
        return new_event("member.banned", data, workspace_id=workspace_id)
    data = {"workspaceId": workspace_id, "userId": user_id, "unbannedBy": principal.user_id, "unbannedAt": at}
    return new_event("member.unbanned", data, workspace_id=workspace_id)


def finish_ban(workspace_id: str, user_id: str) -> None:
    """The activity worker's part of a global ban or unban: every copy (a no-op when the request
    already marked them all; the Membership decides, so order and repeats do not matter)."""
    store.sweep_ban_copies(workspace_id, user_id)


def clear_flags(principal: Principal, user_id: str) -> Bundle:
    """The user's flags here (their ``USERFLAG`` items and summary): idempotent."""
    workspace_id = require_admin(principal)
    entry = _entry(workspace_id, user_id)  # a member here, else 404
    store.clear_user_flags(workspace_id, user_id, now_iso())
    entry.summary = None
    return Bundle([entry])
