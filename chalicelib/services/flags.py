"""Flags: any reader flags a message (v1 ``POST /v1/messages/:id/flag``, Disqus
``posts/report``) and any member flags another member of a workspace
(``POST /v1/users/:id/flag``), once each, with an optional reason. The moderators see them
(Disqus filters 5 and 11; the Admin API v2 lists flagged users and clears their flags)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import Forbidden, NotFound, ValidationError
from chalicelib.ids import now_iso
from chalicelib.services import authz, messages
from chalicelib.store import flags as flag_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import AlreadyExists
from chalicelib.store.models import Message

MAX_REASON = 500


@dataclass(frozen=True)
class Flagged:
    created: bool  # False: this user had flagged it already (nothing changed)
    count: int | None = None  # the message's flags (None for a user)


def _reason(reason: str | None) -> str | None:
    if reason is not None and len(reason) > MAX_REASON:
        raise ValidationError(f"reason is at most {MAX_REASON} characters.", field="reason")
    return reason or None


def flag_message(principal: Principal, message: Message, reason: str | None) -> Flagged:
    """``message`` the caller may read (the caller's look-up checked it)."""
    if not principal.user_id:
        raise Forbidden("Flagging needs a signed-in user.")
    if message.author_id == principal.user_id:
        raise ValidationError("You cannot flag your own message.", field="messageId")
    try:
        count = flag_store.flag_message(message, principal.user_id, _reason(reason), now_iso())
    except AlreadyExists:
        return Flagged(False, int(message.num_reports or 0))
    message.num_reports = count
    return Flagged(True, count)


def flag_message_by_id(principal: Principal, message_id: str, reason: str | None) -> Flagged:
    found = messages.locate(principal, message_id, scopes.MESSAGES_READ)
    if found.message.deleted:
        raise NotFound("Message not found.")
    return flag_message(principal, found.message, reason)


def flag_user(principal: Principal, workspace_id: str, user_id: str, reason: str | None) -> Flagged:
    """Both must be members of the workspace (else 404: a user you may not see does not exist)."""
    authz.workspace_access(principal, workspace_id, scope=scopes.USERS_READ)
    if user_id == principal.user_id:
        raise ValidationError("You cannot flag yourself.", field="userId")
    if workspace_store.get_membership(workspace_id, user_id) is None:
        raise NotFound("User not found.")
    try:
        flag_store.flag_user(workspace_id, user_id, principal.user_id, _reason(reason), now_iso())
    except AlreadyExists:
        return Flagged(False)
    return Flagged(True)
