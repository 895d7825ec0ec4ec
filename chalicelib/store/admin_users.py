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
from chalicelib.store.db import set_or_remove, update_existing
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import ChannelMember, Entity, Flag, FlaggedUser, Membership, User
from chalicelib.store.pages import Page, query_page

FLAG_PAGE = 100  # USERFLAG items read per Query while clearing


def _membership(workspace_id: str, user_id: str) -> Membership:
    return Membership(keys.workspace(workspace_id), keys.member(user_id))


def update_profile(workspace_id: str, user_id: str, changes: dict[str, Any]) -> None:
    """Set (None: remove) display_name, metadata, roles; ConditionFailed if not a member."""
    update_existing(_membership(workspace_id, user_id), set_or_remove(Membership, changes))


def set_banned(workspace_id: str, user_id: str, at: str | None) -> int:
    """Ban (``at``: when) or unban (None): the Membership first (every workspace check refuses
    at once), then its copy on each of the member's channel memberships (one Query of GSI1,
    one UpdateItem each). ConditionFailed if not a member. Returns the channels marked."""
    actions = (
        [Membership.banned.set(True), Membership.banned_at.set(at)]
        if at
        else [
            Membership.banned.remove(),
            Membership.banned_at.remove(),
        ]
    )
    update_existing(_membership(workspace_id, user_id), actions)
    copies = channel_store.memberships_in_workspace(user_id, workspace_id)
    mark = ChannelMember.banned.set(True) if at else ChannelMember.banned.remove()
    for member in copies:
        with suppress(ConditionFailed):  # left the channel meanwhile
            update_existing(ChannelMember(member.PK, member.SK), [mark])
    return len(copies)


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
