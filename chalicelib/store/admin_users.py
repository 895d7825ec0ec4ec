"""Admin v2 users (services/admin_users.py): the workspace's view of a member, its global ban,
and clearing the flags on a member.

- The ban, the displayName, metadata and roles live on the workspace ``Membership``
  (``WS#wid`` / ``MEMBER#uid``), which authorization reads on nearly every route anyway;
  the ban is copied onto the member's ``ChannelMember`` items (``CH#cid`` / ``MEMBER#uid``),
  which channel reads and posts read instead of the Membership.
- Flags of a user: ``WS#wid`` / ``USERFLAG#uid#<flagger>`` items and the summary
  ``WS#wid`` / ``FLAGGED#uid`` (store/flags.py).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib.store import channels as channel_store
from chalicelib.store import keys
from chalicelib.store.db import fetch, set_or_remove, transaction, update_existing
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import ChannelMember, Entity, Event, Flag, FlaggedUser, Membership, User
from chalicelib.store.pages import Page, query_page

FLAG_PAGE = 100  # USERFLAG items read per Query while clearing


def _membership(workspace_id: str, user_id: str) -> Membership:
    return Membership(keys.workspace(workspace_id), keys.member(user_id))


def update_profile(workspace_id: str, user_id: str, changes: dict[str, Any]) -> None:
    """Set (None: remove) display_name, metadata, roles; ConditionFailed if not a member."""
    update_existing(_membership(workspace_id, user_id), set_or_remove(Membership, changes))


def set_banned(workspace_id: str, user_id: str, at: str | None, event: Event) -> None:
    """Ban (``at``: when) or unban (None) on the Membership, with its event, in one transaction
    (every workspace check refuses at once; the event is durable with the ban, and the activity
    worker finishes the copies from it: ``sweep_ban_copies``). ConditionFailed if not a member."""
    actions = (
        [Membership.banned.set(True), Membership.banned_at.set(at)]
        if at
        else [Membership.banned.remove(), Membership.banned_at.remove()]
    )
    try:
        with transaction() as tx:
            tx.update(_membership(workspace_id, user_id), actions, condition=Membership.PK.exists())
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def sweep_ban_copies(workspace_id: str, user_id: str, *, banned: bool | None = None, limit: int | None = None) -> bool:
    """Make the copies of the ban on the member's channel memberships say ``banned``, or (None)
    what the Membership says now (read first, so a late or repeated sweep never undoes a later
    unban): a consistent GetItem, one Query of GSI1 per page, an UpdateItem per copy that differs
    (those already right cost nothing). ``limit``: at most that many memberships (the request's
    share, right after its own write: ``banned`` given, no read); True when all were seen. A user
    no longer a member: nothing to do."""
    if banned is None:
        membership = fetch(Membership, keys.workspace(workspace_id), keys.member(user_id), consistent=True)
        if membership is None:
            return True
        banned = bool(membership.banned)
    seen = 0
    for member in channel_store.memberships_in_workspace(user_id, workspace_id):
        if limit is not None and seen >= limit:
            return False
        seen += 1
        if bool(member.banned) == banned:
            continue
        mark = ChannelMember.banned.set(True) if banned else ChannelMember.banned.remove()
        with suppress(ConditionFailed):  # left the channel meanwhile
            update_existing(ChannelMember(member.PK, member.SK), [mark])
    return True


# --- reading ----------------------------------------------------------------------------------


def flagged_page(workspace_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[FlaggedUser]:
    """The workspace's flagged users (one Query of its ``FLAGGED#`` summaries), by user id."""
    return query_page(
        FlaggedUser,
        keys.workspace(workspace_id),
        FlaggedUser.SK.startswith(keys.flagged_user()),
        limit=limit,
        position=position,
    )


def details(
    workspace_id: str, user_ids: list[str], *, memberships: bool, summaries: bool
) -> tuple[dict[str, User], dict[str, Membership], dict[str, FlaggedUser]]:
    """The users, and their memberships and/or flag summaries here: one BatchGetItem (100 keys
    a call: pynamodb splits larger batches)."""
    wanted: list[tuple[str, str]] = [(keys.user(uid), keys.PROFILE) for uid in user_ids]
    if memberships:
        wanted += [(keys.workspace(workspace_id), keys.member(uid)) for uid in user_ids]
    if summaries:
        wanted += [(keys.workspace(workspace_id), keys.flagged_user(uid)) for uid in user_ids]
    found = list(Entity.batch_get(list(dict.fromkeys(wanted)))) if wanted else []
    users = {i.id: i for i in found if isinstance(i, User)}
    members = {i.user_id: i for i in found if isinstance(i, Membership)}
    flagged = {i.user_id: i for i in found if isinstance(i, FlaggedUser)}
    return users, members, flagged


# --- clearing flags ---------------------------------------------------------------------------


def clear_user_flags(workspace_id: str, user_id: str, started_at: str) -> int:
    """Delete the user's ``USERFLAG`` items (Query pages of 100, BatchWriteItem), then the
    summary, unless a flag came in since ``started_at`` (then its count is set to what is left).
    Idempotent: a second call finds nothing. Returns the flags deleted."""
    deleted = 0
    prefix = keys.user_flag(user_id)
    while True:
        page = query_page(Flag, keys.workspace(workspace_id), Flag.SK.startswith(prefix), limit=FLAG_PAGE)
        if not page.items:
            break
        with Flag.batch_write() as batch:
            for item in page.items:
                batch.delete(item)
        deleted += len(page.items)
        if page.position is None:
            break
    summary = FlaggedUser(keys.workspace(workspace_id), keys.flagged_user(user_id))
    try:
        summary.delete(condition=FlaggedUser.PK.does_not_exist() | (FlaggedUser.last_flagged_at <= started_at))
    except DeleteError:  # a flag came in meanwhile: keep the summary, with an exact count
        left = Flag.count(keys.workspace(workspace_id), Flag.SK.startswith(prefix))
        summary.update(actions=[FlaggedUser.flag_count.set(left)])
    return deleted
