"""Channels: create, list, read, update, archive, members, join and leave.

Visibility: a public channel is visible to every member of its workspace; a private
channel only to its own members. Anything else is E_NOT_FOUND. Channel managers
(the creator, and whoever a manager promotes) and workspace admins may edit and
archive a channel. See docs/permissions.md.

Names follow Slack's rules: lowercase letters, digits, ``-`` and ``_``, starting with
a letter or digit, at most 80 characters, unique per workspace (archived channels
keep their name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import (
    ChannelArchived,
    ChannelBanned,
    Conflict,
    Forbidden,
    NotFound,
    NotMember,
    ValidationError,
)
from chalicelib.ids import new_id, now_iso
from chalicelib.services import authz, quotas, system_messages
from chalicelib.store import channel_bans
from chalicelib.store import channels as channel_store
from chalicelib.store import quotas as quota_store
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import AlreadyExists, ConditionFailed
from chalicelib.store.models import Channel, ChannelMember, Membership, User
from chalicelib.store.outbox import new_event

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")
GENERAL = "general"
MAX_USERS_PER_ADD = 100


@dataclass(frozen=True)
class ChannelAccess:
    channel: Channel
    membership: Membership  # the caller's workspace membership
    member: ChannelMember | None  # the caller's channel membership, if any
    is_admin: bool  # workspace admin powers (role, and the admin scope on a token)
    banned: bool = False  # banned from the channel (read only when asked: ``with_ban``)

    @property
    def can_manage(self) -> bool:
        return self.is_admin or (self.member is not None and self.member.role == "manager")


def normalize_name(name: str) -> str:
    name = name.strip().lower()
    if not NAME_PATTERN.fullmatch(name):
        raise ValidationError(
            "name must be 1-80 lowercase letters, digits, '-' or '_', starting with a letter or digit.", field="name"
        )
    return name


def _event(event_type: str, channel: Channel, **data: Any) -> Any:
    return new_event(
        event_type,
        {"workspaceId": channel.workspace_id, "channelId": channel.id, **data},
        workspace_id=channel.workspace_id,
    )


def channel_summary(channel: Channel) -> dict[str, Any]:
    """What events carry about a channel (webhooks and search read it)."""
    return {"name": channel.name, "type": channel.channel_type, "topic": channel.topic, "archived": channel.archived}


# --- reading -------------------------------------------------------------------------


def access(principal: Principal, channel_id: str, scope: str, *, with_ban: bool = False) -> ChannelAccess:
    """The channel if the caller may see it: two calls (the channel, then both
    memberships in one batch; ``with_ban``: the caller's channel ban in the same batch)."""
    authz.require_scope(principal, scope)
    channel = channel_store.get(channel_id)
    if channel is None:
        raise NotFound("Channel not found.")
    authz.require_object_workspace(principal, channel.workspace_id, "Channel")
    authz.refuse_closed(principal, channel)  # closed by Admin v2: irreversible, members no longer count
    banned = False
    if with_ban:
        membership, member, banned = channel_bans.access_and_ban(channel, principal.user_id)
    else:
        membership, member = channel_store.access(channel, principal.user_id)
    if membership is None or (channel.channel_type == "private" and member is None):
        raise NotFound("Channel not found.")
    authz.refuse_banned(membership)  # globally banned from the workspace (Admin v2)
    return ChannelAccess(channel, membership, member, authz.acts_as_admin(principal, membership), banned)


def get(principal: Principal, channel_id: str) -> ChannelAccess:
    return access(principal, channel_id, scopes.CHANNELS_READ)


def list_channels(
    principal: Principal,
    workspace_id: str,
    *,
    channel_type: str | None,
    archived: bool,
    limit: int,
    position: dict[str, Any] | None,
) -> tuple[list[Channel], dict[str, Any] | None]:
    """Public channels (sorted by name), then the caller's private ones.

    Two calls per page whatever the number of channels: public, the access check and
    the Query; private, the Query of the caller's memberships, then the channels and
    the access check in one batch. A page never spans both kinds, so it may hold fewer
    than ``limit`` items where the public ones end.
    """
    authz.require_token_workspace(principal, workspace_id)
    authz.require_scope(principal, scopes.CHANNELS_READ)
    phases = ["public", "private"] if channel_type is None else [channel_type]
    phase = (position or {}).get("phase", phases[0])
    if phase not in phases:
        raise ValidationError("cursor is invalid or belongs to another list.", field="cursor")
    at = (position or {}).get("at")
    if phase in ("public", "comments"):  # comments channels (Disqus threads) are public in the workspace
        _, membership = authz.workspace_access(principal, workspace_id)
        page = channel_store.list_by_type(workspace_id, phase, archived, limit=limit, position=at)
        items = [c for c in page.items if not c.closed_at]  # closed (Admin v2): a page may be short
        if page.position is None and not membership.private_channels:
            return items, None  # no private phase to come
    else:
        page = channel_store.private_memberships(principal.user_id, workspace_id, limit=limit, position=at)
        wanted = [channel_store.key_of(m.channel_id) for m in page.items]
        workspace, membership, found = workspace_store.get_with_membership_and(workspace_id, principal.user_id, wanted)
        authz.check_access(workspace, membership)
        channels = [found.get(k) for k in wanted]
        items = [c for c in channels if isinstance(c, Channel) and bool(c.archived) == archived and not c.closed_at]
    if page.position is not None:
        return items, {"phase": phase, "at": page.position}
    following = phases.index(phase) + 1
    return items, ({"phase": phases[following]} if following < len(phases) else None)


def list_members(
    principal: Principal, channel_id: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[tuple[ChannelMember, User | None]], dict[str, Any] | None]:
    access(principal, channel_id, scopes.CHANNELS_READ)
    page = channel_store.list_members(channel_id, limit=limit, position=position)
    users = user_store.get_many([m.user_id for m in page.items])
    return [(m, users.get(m.user_id)) for m in page.items], page.position


# --- writing -------------------------------------------------------------------------


def create(
    principal: Principal,
    workspace_id: str,
    name: str,
    channel_type: str,
    topic: str | None,
    description: str | None,
    *,
    display_name: str | None = None,
    tags: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Channel:
    """``display_name``, ``tags`` and ``metadata``: Admin v2's fields (v1 sets none); each
    tag is also an item written in the same transaction (store/channel_tags.py)."""
    from chalicelib.store import channel_tags

    authz.workspace_access(principal, workspace_id, scope=scopes.CHANNELS_WRITE)
    name = normalize_name(name)
    created_at = now_iso()
    extra = {"display_name": display_name, "tags": tags or None, "metadata": metadata}
    channel = channel_store.new_channel(
        new_id(),
        workspace_id,
        name,
        channel_type,
        principal.user_id,
        created_at,
        topic=topic,
        description=description,
        **{k: v for k, v in extra.items() if v is not None},
    )
    creator = channel_store.new_member(channel, principal.user_id, "manager", created_at)
    event = _event("channel.created", channel, createdBy=principal.user_id, **channel_summary(channel))
    try:
        channel_store.create(
            channel,
            creator,
            event,
            also=channel_tags.tag_items(workspace_id, channel.id, tags or []),
            quota=quotas.channels_of(workspace_id),
        )
    except AlreadyExists:
        raise Conflict("A channel with this name exists in the workspace.", field="name") from None
    except quota_store.Reached as reached:
        raise quotas.refused(reached) from None
    return channel


def _require_manager(found: ChannelAccess) -> None:
    if not found.can_manage:
        raise Forbidden("Only the channel's managers and workspace admins may do this.")


def update(principal: Principal, channel_id: str, changes: dict[str, Any]) -> Channel:
    found = access(principal, channel_id, scopes.CHANNELS_WRITE)
    _require_manager(found)
    channel = found.channel
    if channel.archived:
        raise ChannelArchived("The channel is archived: unarchive it first.")
    old_name = None
    if "name" in changes:
        changes["name"] = normalize_name(changes["name"])
        if changes["name"] == channel.name:
            del changes["name"]
        elif channel.is_default:
            raise Forbidden("#general cannot be renamed.")
        elif channel.channel_type == "comments":  # its name orders the forum's thread list
            raise Forbidden("A comments thread keeps its name: change its topic (the thread's title).")
        else:
            old_name = channel.name
    if not changes:
        return channel
    event = _event("channel.updated", channel, changes=sorted(changes), updatedBy=principal.user_id)
    notice = [system_messages.renamed(channel, principal.user_id, old_name, changes["name"])] if old_name else []
    try:
        channel_store.update(channel, changes, event, old_name=old_name, also=notice)
    except AlreadyExists:
        raise Conflict("A channel with this name exists in the workspace.", field="name") from None
    for name, value in changes.items():
        setattr(channel, name, value)
    return channel


def set_archived(principal: Principal, channel_id: str, archived: bool) -> Channel:
    found = access(principal, channel_id, scopes.CHANNELS_WRITE)
    channel = found.channel
    if archived:
        _require_manager(found)
        if channel.is_default:
            raise Forbidden("#general cannot be archived.")
    elif not found.is_admin:
        raise Forbidden("Only workspace admins may unarchive a channel.")
    if bool(channel.archived) == archived:
        return channel
    event = _event("channel.archived" if archived else "channel.unarchived", channel, by=principal.user_id)
    channel_store.update(channel, {"archived": archived}, event)
    channel.archived = archived
    return channel


def add_members(
    principal: Principal, channel_id: str, user_ids: list[str], *, admin_console: bool = False
) -> list[str]:
    """Add workspace members to a channel; returns the ids actually added.

    Adding yourself to a public channel is joining it. Adding others needs channel
    membership (private channels: only members can see them anyway). A user banned from the
    channel (Admin v2) is refused with E_CHANNEL_BANNED: the bans are read in the BatchGetItems
    this already makes (the caller's in ``access``, the others' with their memberships)."""
    found = access(principal, channel_id, scopes.CHANNELS_WRITE, with_ban=principal.user_id in user_ids)
    channel = found.channel
    if channel.archived:
        raise ChannelArchived()
    adding_others = any(uid != principal.user_id for uid in user_ids)
    # Admin v2 acts as the workspace's administrator: an admin adds users to a public channel
    # without joining it (docs/permissions.md); v1 asks every caller to join first.
    console = admin_console and found.is_admin and channel.channel_type != "private"
    if found.member is None and not console and (adding_others or channel.channel_type == "private"):
        raise NotMember("Join the channel before adding others to it.")
    others = [uid for uid in user_ids if uid != principal.user_id]
    memberships, banned = channel_bans.memberships_and_bans(channel.workspace_id, channel.id, others)
    memberships[principal.user_id] = found.membership  # read by access() already
    if found.banned:
        banned.add(principal.user_id)
    for index, user_id in enumerate(user_ids):
        if user_id not in memberships:
            raise ValidationError(f"userIds[{index}] is not a member of this workspace.", field=f"userIds[{index}]")
    for index, user_id in enumerate(user_ids):
        if user_id in banned:
            who = "You are" if user_id == principal.user_id else f"userIds[{index}] is"
            raise ChannelBanned(f"{who} banned from this channel until unbanned.", field=f"userIds[{index}]")
    added = []
    for user_id in user_ids:
        member = channel_store.new_member(channel, user_id, "member", now_iso())
        if memberships[user_id].banned:  # globally banned (Admin v2): the channel's copy of the mark
            member.banned = True
        event = _event("member.joined", channel, userId=user_id, addedBy=principal.user_id)
        notice = system_messages.joined(channel, user_id, principal.user_id)
        try:
            channel_store.add_member(channel, member, event, also=[notice])
            added.append(user_id)
        except AlreadyExists:
            continue
        except ConditionFailed:
            raise ChannelArchived() from None
    return added


# --- muting (Admin v2): services/messages._may_post refuses the posts -----------------------

MUTED_FOREVER = "9999-12-31T23:59:59.999Z"  # mutePeriod -1: until unmuted (sorts after any time)
MAX_MUTE_MS = 10 * 365 * 24 * 3600 * 1000


def mute_until(period_ms: int, field: str = "mutePeriod") -> str | None:
    """-1: until unmuted; 0: unmute (None); a positive number of ms from now; other negatives refused."""
    from datetime import timedelta

    from chalicelib.ids import iso, now

    if period_ms == -1:
        return MUTED_FOREVER
    if period_ms == 0:
        return None
    if period_ms < 0 or period_ms > MAX_MUTE_MS:
        raise ValidationError(
            f"{field} must be -1 (until unmuted), 0 (unmute) or 1 to {MAX_MUTE_MS} milliseconds.", field=field
        )
    return iso(now() + timedelta(milliseconds=period_ms))


def _admin_of_chat_channel(principal: Principal, channel_id: str) -> Channel:
    found = access(principal, channel_id, scopes.CHANNELS_WRITE)
    if not found.is_admin:
        raise Forbidden("Only workspace admins may mute.")
    if found.channel.channel_type == "comments":
        raise ValidationError("A comments thread is closed (Disqus threads/close), not muted.", field="channelId")
    return found.channel


def set_muted(principal: Principal, channel_id: str, until: str | None) -> Channel:
    """Mute the channel until ``until`` (None: unmute): only workspace admins post meanwhile."""
    channel = _admin_of_chat_channel(principal, channel_id)
    event = _event("channel.updated", channel, changes=["muted_until"], updatedBy=principal.user_id)
    channel_store.update(channel, {"muted_until": until}, event)
    channel.muted_until = until
    return channel


def set_members_muted(principal: Principal, channel_id: str, user_ids: list[str], until: str | None) -> Channel:
    """Mute (None: unmute) these members in the channel; users not in it are passed over."""
    channel = _admin_of_chat_channel(principal, channel_id)
    for user_id in user_ids:
        try:
            channel_store.set_member_muted(channel.id, user_id, until)
        except ConditionFailed:
            continue
    return channel


# --- banning (Admin v2): store/channel_bans.py; add_members refuses the banned --------------


def _admin_of_chat_channel_to_ban(principal: Principal, channel_id: str) -> Channel:
    found = access(principal, channel_id, scopes.CHANNELS_WRITE)
    if not found.is_admin:
        raise Forbidden("Only workspace admins may ban or unban.")
    if found.channel.channel_type == "comments":
        raise ValidationError("A comments thread has no members to ban (Disqus blacklists users).", field="channelId")
    if found.channel.is_default:
        raise Forbidden("Everyone stays in #general while in the workspace: nobody is banned from it.")
    return found.channel


def ban_members(principal: Principal, channel_id: str, user_ids: list[str]) -> Channel:
    """Ban workspace members from the channel: a member is removed at once (the ban, the
    removal, the count, ``member.removed`` and ``member.banned`` in one transaction); anyone
    banned may not join or be added until unbanned. Banning again rewrites the ban (and raises
    ``member.banned`` again: a webhook sees each ban an admin makes)."""
    channel = _admin_of_chat_channel_to_ban(principal, channel_id)
    memberships = workspace_store.memberships_of(channel.workspace_id, user_ids)
    for index, user_id in enumerate(user_ids):
        if user_id not in memberships:
            raise ValidationError(f"userIds[{index}] is not a member of this workspace.", field=f"userIds[{index}]")
    members = channel_store.members_in(channel.id, user_ids)
    banned_at = now_iso()
    for user_id in dict.fromkeys(user_ids):
        ban = channel_bans.new_ban(channel, user_id, principal.user_id, banned_at)
        banned = _event("member.banned", channel, userId=user_id, bannedBy=principal.user_id, bannedAt=banned_at)
        if user_id in members:
            removed = _event("member.removed", channel, userId=user_id, removedBy=principal.user_id)
            try:
                channel_bans.ban_member(channel, ban, [removed, banned])
                continue
            except channel_bans.NotAMember:
                pass  # left meanwhile: banned all the same
        channel_bans.ban_outsider(ban, banned)
    return channel


def unban_members(principal: Principal, channel_id: str, user_ids: list[str]) -> Channel:
    """Lift the bans, each with ``member.unbanned`` (users not banned are passed over, with no
    event); nobody is added back."""
    channel = _admin_of_chat_channel_to_ban(principal, channel_id)
    at = now_iso()
    for user_id in dict.fromkeys(user_ids):
        event = _event("member.unbanned", channel, userId=user_id, unbannedBy=principal.user_id, unbannedAt=at)
        channel_bans.unban(channel.id, user_id, event)
    return channel


def join(principal: Principal, channel_id: str) -> bool:
    return bool(add_members(principal, channel_id, [principal.user_id]))


def remove_member(principal: Principal, channel_id: str, user_id: str) -> None:
    """Leave (yourself) or remove someone (channel managers, workspace admins)."""
    found = access(principal, channel_id, scopes.CHANNELS_WRITE)
    channel = found.channel
    if user_id != principal.user_id:
        _require_manager(found)
    if channel.is_default:
        raise Forbidden("Everyone stays in #general while in the workspace.")
    kind = "member.left" if user_id == principal.user_id else "member.removed"
    event = _event(kind, channel, userId=user_id, removedBy=principal.user_id)
    try:
        channel_store.remove_member(channel, user_id, event)
    except ConditionFailed:
        raise NotFound("That user is not a member of this channel.") from None


def leave(principal: Principal, channel_id: str) -> None:
    remove_member(principal, channel_id, principal.user_id)


def record_message(channel_id: str, at: str) -> None:
    """The activity worker's part: move ``lastMessageAt`` forward (never back)."""
    channel_store.touch(channel_id, at)
