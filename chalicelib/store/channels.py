"""Channels, channel-name claims and channel memberships.

- A channel is ``CH#id`` / ``META``; GSI1 lists a workspace's channels of one type
  and state sorted by name (``WS#wid#CH#public`` / name).
- A membership is ``CH#id`` / ``MEMBER#uid`` (members of a channel) and is indexed
  under the user (GSI1 ``USER#uid`` / ``WSCH#wid#type#cid``: a user's channels).
- ``member_count`` changes in the same transaction as the membership, so it stays
  exact under concurrent joins and leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.store import keys, quotas
from chalicelib.store.db import fetch, set_or_remove, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import Channel, ChannelMember, ChannelNameClaim, Entity, Event, Membership
from chalicelib.store.pages import Page, query_page


def new_channel(
    channel_id: str, workspace_id: str, name: str, channel_type: str, created_by: str, created_at: str, **extra: Any
) -> Channel:
    return Channel(
        keys.channel(channel_id),
        keys.META,
        GSI1PK=keys.channel_listing(workspace_id, channel_type, False),
        GSI1SK=name,
        id=channel_id,
        workspace_id=workspace_id,
        name=name,
        channel_type=channel_type,
        created_by=created_by,
        created_at=created_at,
        member_count=1,
        archived=False,
        **extra,
    )


def new_member(channel: Channel, user_id: str, role: str, joined_at: str) -> ChannelMember:
    return ChannelMember(
        keys.channel(channel.id),
        keys.member(user_id),
        GSI1PK=keys.user(user_id),
        GSI1SK=keys.channel_membership_ref(channel.workspace_id, channel.channel_type, channel.id),
        channel_id=channel.id,
        workspace_id=channel.workspace_id,
        user_id=user_id,
        role=role,
        joined_at=joined_at,
    )


def name_claim(channel: Channel) -> ChannelNameClaim:
    return ChannelNameClaim(keys.channel_name(channel.workspace_id, channel.name), keys.GUARD, channel_id=channel.id)


def birth_items(channel: Channel, creator: ChannelMember) -> list[Entity]:
    """What a new channel writes (for a transaction the caller composes)."""
    return [name_claim(channel), channel, creator]


def create(
    channel: Channel,
    creator: ChannelMember,
    event: Event,
    also: Sequence[Entity] = (),
    quota: quotas.Quota | None = None,
) -> None:
    """AlreadyExists("name") when the workspace has a channel of that name. ``also``: items
    born with the channel (its tag items). quotas.Reached when the workspace is full."""
    with quotas.charged_transaction(quota, taken=("name",)) as tx:
        tx.save(name_claim(channel), condition=ChannelNameClaim.PK.does_not_exist(), label="name")
        tx.save(channel, condition=Channel.PK.does_not_exist(), label="channel")
        tx.save(creator)
        _count_private(tx, channel, creator.user_id, +1)
        tx.save(event)
        for item in also:
            tx.save(item)


def key_of(channel_id: str) -> tuple[str, str]:
    return keys.channel(channel_id), keys.META


def get(channel_id: str) -> Channel | None:
    return fetch(Channel, keys.channel(channel_id), keys.META)


def access(channel: Channel, user_id: str) -> tuple[Membership | None, ChannelMember | None]:
    """The caller's workspace and channel memberships, in one BatchGetItem."""
    workspace_key = (keys.workspace(channel.workspace_id), keys.member(user_id))
    channel_key = (keys.channel(channel.id), keys.member(user_id))
    found = {(i.PK, i.SK): i for i in Entity.batch_get([workspace_key, channel_key])}
    membership, member = found.get(workspace_key), found.get(channel_key)
    return (
        membership if isinstance(membership, Membership) else None,
        member if isinstance(member, ChannelMember) else None,
    )


def get_member(channel_id: str, user_id: str) -> ChannelMember | None:
    return fetch(ChannelMember, keys.channel(channel_id), keys.member(user_id))


def list_by_type(
    workspace_id: str, channel_type: str, archived: bool, *, limit: int, position: dict[str, Any] | None
) -> Page[Channel]:
    return query_page(
        Channel,
        keys.channel_listing(workspace_id, channel_type, archived),
        index="GSI1",
        limit=limit,
        position=position,
    )


def private_memberships(
    user_id: str, workspace_id: str, *, limit: int, position: dict[str, Any] | None
) -> Page[ChannelMember]:
    return query_page(
        ChannelMember,
        keys.user(user_id),
        ChannelMember.GSI1SK.startswith(keys.channel_membership_ref(workspace_id, "private")),
        index="GSI1",
        limit=limit,
        position=position,
    )


def memberships_of_type(
    user_id: str, workspace_id: str, channel_type: str, *, limit: int, position: dict[str, Any] | None
) -> Page[ChannelMember]:
    """A user's channels of one type in a workspace, by channel id (Admin v2's filters)."""
    return query_page(
        ChannelMember,
        keys.user(user_id),
        ChannelMember.GSI1SK.startswith(keys.channel_membership_ref(workspace_id, channel_type)),
        index="GSI1",
        limit=limit,
        position=position,
    )


def members_of(channel_ids: list[str], user_id: str) -> dict[str, ChannelMember]:
    """channel id -> the user's membership, for those channels the user is in (one BatchGetItem)."""
    if not channel_ids:
        return {}
    found = ChannelMember.batch_get([(keys.channel(cid), keys.member(user_id)) for cid in set(channel_ids)])
    return {m.channel_id: m for m in found if isinstance(m, ChannelMember)}


def set_member_muted(channel_id: str, user_id: str, until: str | None) -> None:
    """ConditionFailed if the user is not a member."""
    member = ChannelMember(keys.channel(channel_id), keys.member(user_id))
    try:
        member.update(actions=set_or_remove(ChannelMember, {"muted_until": until}), condition=ChannelMember.PK.exists())
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise ConditionFailed() from None
        raise


def members_in(channel_id: str, user_ids: list[str]) -> dict[str, ChannelMember]:
    """user id -> membership, for those of these users in the channel (one BatchGetItem)."""
    if not user_ids:
        return {}
    found = ChannelMember.batch_get([(keys.channel(channel_id), keys.member(uid)) for uid in set(user_ids)])
    return {m.user_id: m for m in found if isinstance(m, ChannelMember)}


def memberships_in_workspace(user_id: str, workspace_id: str) -> list[ChannelMember]:
    """Every channel membership of a user in one workspace (for removing the user)."""
    condition = ChannelMember.GSI1SK.startswith(keys.channel_membership_ref(workspace_id, ""))
    return [m for m in ChannelMember.gsi1.query(keys.user(user_id), condition) if isinstance(m, ChannelMember)]


def get_many(channel_ids: list[str]) -> dict[str, Channel]:
    if not channel_ids:
        return {}
    return {c.id: c for c in Channel.batch_get([(keys.channel(cid), keys.META) for cid in channel_ids])}


def list_members(channel_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[ChannelMember]:
    return query_page(
        ChannelMember,
        keys.channel(channel_id),
        ChannelMember.SK.startswith(keys.MEMBER_PREFIX),
        limit=limit,
        position=position,
    )


def add_member(channel: Channel, member: ChannelMember, event: Event, also: Sequence[Entity] = ()) -> None:
    """AlreadyExists("member") if already in; ConditionFailed if the channel is
    archived or gone."""
    try:
        with transaction(taken=("member",)) as tx:
            tx.save(member, condition=ChannelMember.PK.does_not_exist(), label="member")
            tx.update(
                channel,
                actions=[Channel.member_count.add(1)],
                condition=Channel.PK.exists() & (Channel.archived == False),  # noqa: E712
                label="channel",
            )
            _count_private(tx, channel, member.user_id, +1)
            tx.save(event)
            for item in also:
                tx.save(item)
    except TransactionCancelled:
        raise ConditionFailed() from None


def remove_member(channel: Channel, user_id: str, event: Event | None, *, still_in_workspace: bool = True) -> None:
    """ConditionFailed if the user is not a member. ``still_in_workspace`` is False
    when cleaning up after the workspace membership itself is gone."""
    member = ChannelMember(keys.channel(channel.id), keys.member(user_id))
    try:
        with transaction() as tx:
            tx.delete(member, condition=ChannelMember.PK.exists(), label="member")
            tx.update(channel, actions=[Channel.member_count.add(-1)], condition=Channel.PK.exists(), label="channel")
            if still_in_workspace:
                _count_private(tx, channel, user_id, -1)
            if event is not None:
                tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def _count_private(tx: Any, channel: Channel, user_id: str, delta: int) -> None:
    if channel.channel_type == "private":
        membership = Membership(keys.workspace(channel.workspace_id), keys.member(user_id))
        ids = Membership.private_channel_ids
        listed = ids.add({channel.id}) if delta > 0 else ids.delete({channel.id})
        tx.update(
            membership, actions=[Membership.private_channels.add(delta), listed], condition=Membership.PK.exists()
        )


def update(
    channel: Channel, changes: dict[str, Any], event: Event, *, old_name: str | None = None, also: Sequence[Entity] = ()
) -> None:
    """Set (None: remove) attributes. A rename swaps the name claims in the same
    transaction (AlreadyExists("name") if taken)."""
    actions = set_or_remove(Channel, changes)
    if "name" in changes:
        actions.append(Channel.GSI1SK.set(changes["name"]))
    if "archived" in changes:
        listing = keys.channel_listing(channel.workspace_id, channel.channel_type, bool(changes["archived"]))
        actions.append(Channel.GSI1PK.set(listing))
    with transaction(taken=("name",)) as tx:
        if old_name is not None:
            renamed = Channel(workspace_id=channel.workspace_id, name=changes["name"], id=channel.id)
            tx.save(name_claim(renamed), condition=ChannelNameClaim.PK.does_not_exist(), label="name")
            tx.delete(ChannelNameClaim(keys.channel_name(channel.workspace_id, old_name), keys.GUARD))
        tx.update(channel, actions=actions, condition=Channel.PK.exists(), label="channel")
        tx.save(event)
        for item in also:
            tx.save(item)


def touch(channel_id: str, at: str) -> None:
    """Move ``last_message_at`` forward; a no-op if it is already later (events may
    arrive twice or out of order) or the channel is gone."""
    channel = Channel(keys.channel(channel_id), keys.META)
    try:
        channel.update(
            actions=[Channel.last_message_at.set(at)],
            condition=Channel.PK.exists() & (Channel.last_message_at.does_not_exist() | (Channel.last_message_at < at)),
        )
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise


def channel_ids_for_names(workspace_id: str, names: list[str]) -> dict[str, str]:
    """channel name -> id for those that exist in the workspace (one BatchGetItem of the name claims)."""
    if not names:
        return {}
    wanted = {keys.channel_name(workspace_id, n): n.lower() for n in set(names)}
    claims = ChannelNameClaim.batch_get([(pk, keys.GUARD) for pk in wanted])
    return {wanted[c.PK]: c.channel_id for c in claims}


def private_channel_ids_of(membership: Membership) -> set[str]:
    """The member's private channels, from the membership item when it lists them all (no call);
    an item from before the ids were kept (its count and list disagree) costs the Query."""
    listed = set(membership.private_channel_ids or ())
    if len(listed) == (membership.private_channels or 0):
        return listed
    return private_channel_ids(membership.workspace_id, membership.user_id)


def private_channel_ids(workspace_id: str, user_id: str) -> set[str]:
    """The private channels of a workspace the user belongs to: one Query on GSI1
    (``USER#uid`` / ``WSCH#wid#private#``) per 1,000 of them, so one in practice."""
    found: set[str] = set()
    position = None
    while True:
        members = private_memberships(user_id, workspace_id, limit=1000, position=position)
        found.update(m.channel_id for m in members.items)
        if members.position is None:
            return found
        position = members.position
