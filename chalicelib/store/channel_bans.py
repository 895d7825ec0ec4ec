"""Channel bans (Admin v2 ``POST /api/v2/channel/:channelId/users/ban|unban``).

A ban is one small item in the channel's partition, ``CH#cid`` / ``BAN#uid`` (``ChannelBan``).
Banning a member writes it in the same transaction that removes the membership (the count
and the ``member.removed`` event with it), so nobody is ever out but unbanned, or banned but
still in. Joining and adding read the ban keys in the BatchGetItem they already make
(``access_and_ban``, ``memberships_and_bans``): no extra call up to 50 users added at once.
"""

from __future__ import annotations

from chalicelib.store import keys
from chalicelib.store.channels import _count_private
from chalicelib.store.db import transaction
from chalicelib.store.errors import TransactionCancelled
from chalicelib.store.models import Channel, ChannelBan, ChannelMember, Entity, Event, Membership


def ban_key(channel_id: str, user_id: str) -> tuple[str, str]:
    return keys.channel(channel_id), keys.channel_ban(user_id)


def new_ban(channel: Channel, user_id: str, banned_by: str, banned_at: str) -> ChannelBan:
    return ChannelBan(
        *ban_key(channel.id, user_id),
        channel_id=channel.id,
        workspace_id=channel.workspace_id,
        user_id=user_id,
        banned_by=banned_by,
        banned_at=banned_at,
    )


class NotAMember(Exception):
    """The membership a kick names is gone (left meanwhile): ban without removing."""


def ban_member(channel: Channel, ban: ChannelBan, events: list[Event]) -> None:
    """Write the ban and remove the member, with the count and the events, in one transaction
    (NotAMember when the membership is gone)."""
    member = ChannelMember(keys.channel(channel.id), keys.member(ban.user_id))
    try:
        with transaction() as tx:
            tx.save(ban)
            tx.delete(member, condition=ChannelMember.PK.exists(), label="member")
            tx.update(channel, actions=[Channel.member_count.add(-1)], condition=Channel.PK.exists(), label="channel")
            _count_private(tx, channel, ban.user_id, -1)
            for event in events:
                tx.save(event)
    except TransactionCancelled:
        raise NotAMember() from None


def ban_outsider(ban: ChannelBan, event: Event) -> None:
    """A ban of a user not in the channel, with its event (a ban already there is rewritten)."""
    with transaction() as tx:
        tx.save(ban)
        tx.save(event)


def unban(channel_id: str, user_id: str, event: Event) -> bool:
    """Remove the ban with its event, in one transaction; False (nothing written) when the user
    was not banned."""
    try:
        with transaction() as tx:
            tx.delete(ChannelBan(*ban_key(channel_id, user_id)), condition=ChannelBan.PK.exists())
            tx.save(event)
    except TransactionCancelled:
        return False
    return True


def access_and_ban(channel: Channel, user_id: str) -> tuple[Membership | None, ChannelMember | None, bool]:
    """The caller's workspace and channel memberships and whether a ban holds them out: the
    one BatchGetItem of ``channels.access`` with one more key (0.5 read unit)."""
    workspace_key = (keys.workspace(channel.workspace_id), keys.member(user_id))
    channel_key = (keys.channel(channel.id), keys.member(user_id))
    found = {(i.PK, i.SK): i for i in Entity.batch_get([workspace_key, channel_key, ban_key(channel.id, user_id)])}
    membership, member = found.get(workspace_key), found.get(channel_key)
    return (
        membership if isinstance(membership, Membership) else None,
        member if isinstance(member, ChannelMember) else None,
        isinstance(found.get(ban_key(channel.id, user_id)), ChannelBan),
    )


def memberships_and_bans(
    workspace_id: str, channel_id: str, user_ids: list[str]
) -> tuple[dict[str, Membership], set[str]]:
    """user id -> workspace membership, and the banned among ``user_ids``: the BatchGetItem of
    their memberships with their ban keys (100 keys a call: one call up to 50 users)."""
    if not user_ids:
        return {}, set()
    wanted = [(keys.workspace(workspace_id), keys.member(uid)) for uid in user_ids]
    wanted += [ban_key(channel_id, uid) for uid in user_ids]
    found = list(Entity.batch_get(list(dict.fromkeys(wanted))))
    memberships = {m.user_id: m for m in found if isinstance(m, Membership)}
    return memberships, {b.user_id for b in found if isinstance(b, ChannelBan)}


def members_and_bans(channel_id: str, user_ids: list[str]) -> tuple[dict[str, ChannelMember], set[str]]:
    """user id -> channel membership, and the banned among ``user_ids``: one BatchGetItem
    (the Admin v2 bundle's ``channelUsers``)."""
    if not user_ids:
        return {}, set()
    unique = list(dict.fromkeys(user_ids))
    wanted = [(keys.channel(channel_id), keys.member(uid)) for uid in unique]
    wanted += [ban_key(channel_id, uid) for uid in unique]
    found = list(Entity.batch_get(wanted))
    members = {m.user_id: m for m in found if isinstance(m, ChannelMember)}
    return members, {b.user_id for b in found if isinstance(b, ChannelBan)}
