"""The threads a user follows: those they started or replied in, most recent
activity first (GET /v1/workspaces/{id}/threads).

Every reply moves the thread up for all its participants. That fan-out runs in the
``threads`` worker from ``message.created`` events, not in the request: a busy thread
has many participants, and the stream makes it crash-safe (a retried event writes
the same timestamps; an entry never moves back)."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import NotFound
from chalicelib.services import authz
from chalicelib.store import keys
from chalicelib.store import messages as message_store
from chalicelib.store.models import Message, ThreadFollow
from chalicelib.store.pages import Admit


def record_reply(event_data: dict[str, Any]) -> None:
    """The worker's part: move the thread up for everyone in it."""
    parent = message_store.get(event_data["channelId"], keys.message(event_data["threadId"]))
    if parent is None:
        return
    participants = set(parent.participants or ()) | {parent.author_id, event_data["authorId"]}
    for user_id in sorted(participants):
        message_store.follow(user_id, parent, event_data["createdAt"])


def list_threads(
    principal: Principal,
    workspace_id: str,
    *,
    limit: int,
    position: dict[str, Any] | None,
    admit: Admit[Message] | None = None,
) -> tuple[list[Message], dict[str, Any] | None]:
    """Two calls per page: the followed threads (GSI1 Query), then their parents,
    channels and the caller's memberships in one batch. Threads in channels the
    caller can no longer see are left out (a page may come out shorter). ``admit``:
    the response budget; the page ends before the first parent it refuses."""
    authz.require_token_workspace(principal, workspace_id)
    authz.require_scope(principal, scopes.MESSAGES_READ)
    page = message_store.followed_threads(principal.user_id, workspace_id, limit=limit, position=position)
    membership, parents, channels, member_of = message_store.parents_with_access(
        principal.user_id, workspace_id, page.items
    )
    if membership is None:
        raise NotFound("Workspace not found.")
    authz.refuse_banned(membership)
    visible: list[Message] = []
    last: ThreadFollow | None = None  # the follow of the last parent kept
    for follow in page.items:
        channel, parent = channels.get(follow.channel_id), parents.get(follow.parent_id)
        if channel is None or parent is None:
            continue
        if channel.channel_type == "private" and channel.id not in member_of:
            continue
        if admit is not None and not admit(parent) and last is not None:
            return visible, page.after(last)
        visible.append(parent)
        last = follow
    return visible, page.position
