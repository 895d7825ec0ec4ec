"""Admin v2's channel routes over the channel services (docs/admin-v2.md).

Every rule is the channel services' (services/channels.py): this module finds a channel by
its Admin v2 id (its name), checks that the token's creator is still a workspace admin or
owner, and builds the side-loaded bundle the routes answer. Admin v2 ``standard`` channels
are v1's public channels (the only ones Query lists); a private channel the admin is in
answers the other routes as type ``private``, and is invisible otherwise, as on v1.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.ids import now_iso
from chalicelib.services import authz
from chalicelib.services import channels as channel_service
from chalicelib.store import channel_bans, channel_tags
from chalicelib.store import channels as channel_store
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import Channel, ChannelMember

TYPES = {"public": "standard"}  # Admin v2 type -> v1 type is the reverse
FILTERS = ("all", "member", "notMember")
MAX_SKIP = 1000
MAX_READS = 10  # source Queries per page at most (filters drop items: a page may be short)
TRAIL = 10  # how many pages back ``previous`` reaches


@dataclass
class Bundle:
    channels: list[Channel] = field(default_factory=list)
    # (channel, user id, that user's membership or None)
    channel_users: list[tuple[Channel, str, ChannelMember | None]] = field(default_factory=list)
    banned: set[tuple[str, str]] = field(default_factory=set)  # (channel id, user id) banned from it

    def as_dict(self) -> dict[str, Any]:
        user_ids = list(dict.fromkeys(uid for _, uid, _ in self.channel_users))
        users = user_store.get_many(user_ids)
        return {
            "channels": [channel_view(c) for c in self.channels],
            "channelUsers": [
                channel_user_view(c, uid, m, banned=(c.id, uid) in self.banned) for c, uid, m in self.channel_users
            ],
            "messagePreviews": [],
            "users": [user_view(users[uid]) for uid in user_ids if uid in users],
            "files": [],
        }


def channel_view(channel: Channel) -> dict[str, Any]:
    return {
        "channelId": channel.name,
        "type": TYPES.get(channel.channel_type, channel.channel_type),
        "displayName": channel.display_name or channel.name,
        "tags": list(channel.tags or []),
        "metadata": channel.metadata or {},
        "memberCount": int(channel.member_count or 0),
        "messageCount": None,  # not counted by v1 (docs/admin-v2.md)
        "isMuted": _muted(channel.muted_until),
        "muteTimeout": channel.muted_until,
        "isDeleted": bool(channel.archived),
        "createdAt": channel.created_at,
        "updatedAt": channel.last_message_at or channel.created_at,
        "v1ChannelId": channel.id,
    }


def channel_user_view(
    channel: Channel, user_id: str, member: ChannelMember | None, *, banned: bool = False
) -> dict[str, Any]:
    """``membership``: banned (kicked and kept out: a ban and a membership never coexist),
    member or none."""
    return {
        "userId": user_id,
        "channelId": channel.name,
        "membership": "banned" if banned else "member" if member is not None else "none",
        "roles": ["channel-moderator"] if member is not None and member.role == "manager" else [],
        "isBanned": banned,
        "isMuted": _muted(member.muted_until if member else None),
        "muteTimeout": member.muted_until if member else None,
    }


def _muted(until: str | None) -> bool:
    return until is not None and until > now_iso()


def user_view(user: Any) -> dict[str, Any]:
    return {
        "userId": user.id,
        "displayName": user.display_name,
        "username": user.username,
        "avatarUrl": user.avatar_url,
        "createdAt": user.created_at,
    }


# --- who and which ---------------------------------------------------------------------------


def workspace_of(principal: Principal) -> str:
    if principal.workspace_id is None:  # the surface admits API tokens only
        raise Forbidden("Admin v2 acts on an Admin Access Token's workspace.")
    return principal.workspace_id


def require_admin(principal: Principal) -> str:
    """The token's workspace, if its creator is an admin or owner there now (one BatchGetItem)."""
    workspace_id = workspace_of(principal)
    authz.workspace_access(principal, workspace_id, role="admin")
    return workspace_id


def find(principal: Principal, name: str, *, path: str = "channelId") -> channel_service.ChannelAccess:
    """A channel by its Admin v2 id (its name): the name claim, then the service's access check."""
    workspace_id = workspace_of(principal)
    try:
        name = channel_service.normalize_name(name)
    except ValidationError:
        raise ValidationError("channelId is not a channel name (1-80 of a-z, 0-9, '-', '_').", field=path) from None
    channel_id = channel_store.channel_ids_for_names(workspace_id, [name]).get(name)
    if channel_id is None:
        raise NotFound("Channel not found.")
    found = channel_service.get(principal, channel_id)
    if not found.is_admin:
        raise Forbidden("Admin v2 needs the token's creator to be a workspace admin or owner.")
    return found


def _renamed(exc: ValidationError | Conflict) -> ValidationError | Conflict:
    """The services name v1's fields; Admin v2 calls a channel's name channelId."""
    if exc.field == "name":
        exc.field = "channelId"
        exc.message = exc.message.replace("name", "channelId", 1)
    return exc


# --- writing --------------------------------------------------------------------------------


def create(
    principal: Principal,
    name: str,
    *,
    display_name: str | None,
    tags: list[str],
    metadata: dict[str, Any] | None,
    user_ids: list[str],
) -> Bundle:
    workspace_id = require_admin(principal)
    # Checked before the channel is written, so a bad id creates nothing (add_members checks again).
    members = workspace_store.memberships_of(workspace_id, user_ids)
    for index, user_id in enumerate(user_ids):
        if user_id not in members:
            raise ValidationError(f"userIds[{index}] is not a member of this workspace.", field=f"userIds[{index}]")
    try:
        channel = channel_service.create(
            principal,
            workspace_id,
            name,
            "public",
            None,
            None,
            display_name=display_name,
            tags=tags,
            metadata=metadata,
        )
    except (ValidationError, Conflict) as exc:
        raise _renamed(exc) from None
    if user_ids:
        channel_service.add_members(principal, channel.id, user_ids, admin_console=True)
        channel.member_count = int(channel.member_count or 0) + len(
            {uid for uid in user_ids if uid != principal.user_id}
        )
    everyone = list(dict.fromkeys([principal.user_id, *user_ids]))
    return _with_members(channel, everyone)


def set_display_name(principal: Principal, name: str, display_name: str) -> Bundle:
    found = find(principal, name)
    channel = channel_service.update(principal, found.channel.id, {"display_name": display_name})
    return Bundle([channel])


def add_users(principal: Principal, name: str, user_ids: list[str]) -> Bundle:
    found = find(principal, name)
    channel_service.add_members(principal, found.channel.id, user_ids, admin_console=True)
    return _with_members(channel_service.get(principal, found.channel.id).channel, user_ids)


def remove_users(principal: Principal, name: str, user_ids: list[str]) -> Bundle:
    """Users not in the channel are passed over (the call is idempotent)."""
    found = find(principal, name)
    for user_id in user_ids:
        try:
            channel_service.remove_member(principal, found.channel.id, user_id)
        except NotFound:
            continue  # not a member (the channel itself was found above)
    return _with_members(channel_service.get(principal, found.channel.id).channel, user_ids)


def mute(principal: Principal, name: str, period_ms: int) -> Bundle:
    found = find(principal, name)
    until = channel_service.mute_until(period_ms)
    return Bundle([channel_service.set_muted(principal, found.channel.id, until)])


def mute_users(principal: Principal, name: str, user_ids: list[str], period_ms: int) -> Bundle:
    found = find(principal, name)
    until = channel_service.mute_until(period_ms)
    channel = channel_service.set_members_muted(principal, found.channel.id, user_ids, until)
    return _with_members(channel, user_ids)


def ban_users(principal: Principal, name: str, user_ids: list[str]) -> Bundle:
    """Kick and keep out (services/channels.ban_members); channelUsers show ``banned``."""
    found = find(principal, name)
    channel_service.ban_members(principal, found.channel.id, user_ids)
    return _with_members(channel_service.get(principal, found.channel.id).channel, user_ids)


def unban_users(principal: Principal, name: str, user_ids: list[str]) -> Bundle:
    found = find(principal, name)
    channel = channel_service.unban_members(principal, found.channel.id, user_ids)
    return _with_members(channel, user_ids)


def _with_members(channel: Channel, user_ids: Iterable[str]) -> Bundle:
    """The channel and these users' memberships and bans (one BatchGetItem)."""
    user_ids = list(dict.fromkeys(user_ids))
    members, banned = channel_bans.members_and_bans(channel.id, user_ids)
    return Bundle([channel], [(channel, uid, members.get(uid)) for uid in user_ids], {(channel.id, u) for u in banned})


# --- querying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    filter: str = "all"
    user_id: str | None = None
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        text = json.dumps([self.filter, self.user_id, sorted(self.tags), sorted(self.exclude_tags)])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def query(
    principal: Principal, wanted: Query, *, skip: int, limit: int, position: dict[str, Any] | None
) -> tuple[Bundle, dict[str, Any] | None, dict[str, Any] | None]:
    """A page of channels, and the positions of the next and the previous page.

    The source is one Query: a tag's items (``tags``: a channel must carry all of them), else
    the memberships of ``userId`` (or of the admin for ``filter=member``), else the public
    channels by name. The other filters drop items in memory; at most ``MAX_READS`` Queries
    are read for one page (it may then be short, with a next token)."""
    workspace_id = require_admin(principal)
    if position is not None and position.get("q") != wanted.fingerprint():
        raise ValidationError("options[token] belongs to another query.", field="options[token]")
    start = position or {"at": None, "skip": min(skip, MAX_SKIP), "trail": []}
    source = _source(workspace_id, principal.user_id, wanted)
    admin_in = None
    if wanted.filter in ("member", "notMember") and source.kind != "member:admin":
        admin_in = _public_channel_ids(principal.user_id, workspace_id)
    user_in = None
    if wanted.user_id and source.kind != "member:user":
        user_in = _public_channel_ids(wanted.user_id, workspace_id)

    def admits(channel: Channel) -> bool:
        if channel.archived or channel.closed_at or channel.channel_type != "public":
            return False
        tags = {t.lower() for t in channel.tags or ()}
        if not {t.lower() for t in wanted.tags} <= tags or tags & {t.lower() for t in wanted.exclude_tags}:
            return False
        if admin_in is not None and (channel.id in admin_in) != (wanted.filter == "member"):
            return False
        return user_in is None or channel.id in user_in

    at, to_skip = start.get("at"), int(start.get("skip") or 0)
    collected: list[Channel] = []
    for _ in range(MAX_READS):
        page, channels = source.read(limit=max(limit - len(collected), 1) + to_skip, position=at)
        at = page.position
        for item, channel in zip(page.items, channels, strict=True):
            if channel is None or not admits(channel):
                continue
            if to_skip:
                to_skip -= 1
                continue
            collected.append(channel)
            if len(collected) == limit:
                at = page.after(item) if item is not page.items[-1] else page.position
                break
        if len(collected) == limit or at is None:
            break
    fingerprint = wanted.fingerprint()
    trail = list(start.get("trail") or [])
    here = {"at": start.get("at"), "skip": int(start.get("skip") or 0)}
    following = {"at": at, "skip": to_skip, "trail": [*trail, here][-TRAIL:], "q": fingerprint, "limit": limit}
    previous = {**trail[-1], "trail": trail[:-1], "q": fingerprint, "limit": limit} if trail else None
    members = channel_store.members_of([c.id for c in collected], principal.user_id)
    bundle = Bundle(collected, [(c, principal.user_id, members.get(c.id)) for c in collected])
    return bundle, (following if at else None), previous


@dataclass
class _Source:
    kind: str
    read_page: Any  # (limit, position) -> Page
    to_channel_id: Any  # item -> channel id, or None when the items are channels

    def read(self, *, limit: int, position: dict[str, Any] | None) -> tuple[Any, list[Channel | None]]:
        page = self.read_page(limit, position)
        if self.to_channel_id is None:
            return page, list(page.items)
        ids = [self.to_channel_id(item) for item in page.items]
        found = channel_store.get_many(ids)
        return page, [found.get(cid) for cid in ids]


def _source(workspace_id: str, admin_id: str, wanted: Query) -> _Source:
    if wanted.tags:
        tag = wanted.tags[0]
        return _Source(
            "tag",
            lambda limit, at: channel_tags.channels_with_tag(workspace_id, tag, limit=limit, position=at),
            lambda item: item.channel_id,
        )
    member_of = wanted.user_id or (admin_id if wanted.filter == "member" else None)
    if member_of is not None:
        return _Source(
            "member:user" if wanted.user_id else "member:admin",
            lambda limit, at: channel_store.memberships_of_type(
                member_of, workspace_id, "public", limit=limit, position=at
            ),
            lambda item: item.channel_id,
        )
    return _Source(
        "all",
        lambda limit, at: channel_store.list_by_type(workspace_id, "public", False, limit=limit, position=at),
        None,
    )


def _public_channel_ids(user_id: str, workspace_id: str) -> set[str]:
    """The public channels a user is in (one Query; the first 1,000: docs/admin-v2.md)."""
    page = channel_store.memberships_of_type(user_id, workspace_id, "public", limit=1000, position=None)
    return {m.channel_id for m in page.items}
