"""Workspace invites: shareable links and personal email invites.

A code is ``<inviteId>.<secret>``; only the secret's hash is stored. A link invite's
code is returned once, to the admin who made it. An email invite's code is minted by
the email worker and exists only in the email; it can only be accepted by an account
with that (verified) email address. Invites expire (default 7 days, at most 30),
may have a maximum number of uses, and can be revoked. Accepting one makes the
caller a member (and a member of #general) in one transaction that also spends a use.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib import links
from chalicelib.auth import tokens
from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, DisquaError, Forbidden, NotFound
from chalicelib.ids import is_id, new_id, now_iso
from chalicelib.services import authz, email, quotas, system_messages
from chalicelib.store import channels as channel_store
from chalicelib.store import invites as invite_store
from chalicelib.store import throttle
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import AlreadyExists, ConditionFailed
from chalicelib.store.models import Invite, Workspace
from chalicelib.store.outbox import new_event

DEFAULT_HOURS = 7 * 24
MAX_HOURS = 30 * 24


class InviteGone(DisquaError):
    code = "E_INVITE_EXPIRED"
    status = 410
    default_message = "This invite has expired, was revoked or has been used up."


@dataclass(frozen=True)
class CreatedInvite:
    invite: Invite
    code: str | None  # link invites only


def _code(invite_id: str, secret: str) -> str:
    return f"{invite_id}.{secret}"


def create(
    principal: Principal, workspace_id: str, *, email_address: str | None, role: str, hours: int, max_uses: int | None
) -> CreatedInvite:
    authz.require_session(principal)
    _, actor = authz.workspace_access(principal, workspace_id, role="admin")
    if role == "admin" and actor.role != "owner":
        raise Forbidden("Only owners may invite admins.")
    invite_id = new_id()
    secret = None if email_address else secrets.token_urlsafe(24)
    invite = invite_store.new_invite(
        invite_id,
        workspace_id,
        created_by=principal.user_id,
        role=role,
        email=email_address,
        expires_at=int(time.time()) + hours * 3600,
        max_uses=1 if email_address else max_uses,
        uses=0,
        revoked=False,
        created_at=now_iso(),
        secret_hash=tokens.sha256_hex(secret) if secret else None,
    )
    data = {"workspaceId": workspace_id, "inviteId": invite_id, "role": role, "createdBy": principal.user_id}
    if email_address:
        data["email"] = email_address
    try:
        invite_store.create(
            invite, new_event("invite.created", data, workspace_id=workspace_id), quotas.invites_of(workspace_id)
        )
    except throttle.Exceeded as full:
        raise quotas.refused_invites(full) from None
    return CreatedInvite(invite, _code(invite_id, secret) if secret else None)


def send_email_invite(invite_id: str) -> None:
    """The email worker's part: mint the code and mail it."""
    invite = invite_store.get(invite_id)
    if invite is None or invite.email is None or invite.revoked or invite.expires_at < time.time():
        return
    workspace = workspace_store.get(invite.workspace_id)
    inviter = user_store.get_user(invite.created_by)
    if workspace is None:
        return
    secret = secrets.token_urlsafe(24)
    invite_store.set_secret(invite, tokens.sha256_hex(secret))
    who = inviter.display_name if inviter else "Someone"
    expires = datetime.fromtimestamp(invite.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    email.send(
        "invite",
        email.compose(
            invite.email,
            f"{who} invited you to {workspace.name} on Disqua",
            f"{who} invited you to join the {workspace.name} workspace on Disqua.\n\n"
            f"Accept the invite (log in or sign up with this email address first):\n\n"
            f"POST {links.invite(_code(invite.id, secret))}/accept\n\n"
            f"The invite expires on {expires}.\n",
        ),
    )


def _find(code: str) -> Invite:
    """The invite of a code, usable or not; E_NOT_FOUND if the code is wrong."""
    invite_id, _, secret = code.partition(".")
    invite = invite_store.get(invite_id) if is_id(invite_id) and secret else None
    if invite is None or invite.secret_hash is None:
        raise NotFound("Invite not found.")
    if not secrets.compare_digest(invite.secret_hash, tokens.sha256_hex(secret)):
        raise NotFound("Invite not found.")
    return invite


def _check_usable(invite: Invite) -> None:
    if invite.revoked:
        raise InviteGone("This invite was revoked.")
    if invite.expires_at <= time.time():
        raise InviteGone("This invite has expired.")
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        raise InviteGone("This invite has been used up.")


def look_up(code: str) -> tuple[Invite, Workspace]:
    """What an invite link shows before accepting (no login needed: the code is the secret)."""
    invite = _find(code)
    _check_usable(invite)
    workspace = workspace_store.get(invite.workspace_id)
    if workspace is None:
        raise NotFound("Invite not found.")
    return invite, workspace


def accept(principal: Principal, code: str) -> Workspace:
    authz.require_session(principal)
    authz.require_verified(principal)
    invite, workspace = look_up(code)
    if invite.email is not None:
        user = user_store.get_user(principal.user_id)
        if user is None or user.email != invite.email:
            raise Forbidden("This invite was sent to another email address.")
    joined_at = now_iso()
    membership = workspace_store.new_membership(workspace.id, principal.user_id, invite.role, joined_at)
    updates: list[Any] = [invite_store.use_update(invite)]
    extra: list[Any] = []
    general = channel_store.get(workspace.general_channel_id) if workspace.general_channel_id else None
    if general is not None:
        extra.append(channel_store.new_member(general, principal.user_id, "member", joined_at))
        extra.append(system_messages.joined(general, principal.user_id, principal.user_id))
        updates.append((general, [type(general).member_count.add(1)], type(general).PK.exists()))
    event = new_event(
        "member.joined",
        {"workspaceId": workspace.id, "userId": principal.user_id, "role": invite.role, "inviteId": invite.id},
        workspace_id=workspace.id,
    )
    try:
        workspace_store.join(membership, updates, extra, event)
    except AlreadyExists:
        # A banned user keeps their (banned) membership: an invite cannot bring them back.
        authz.refuse_banned(workspace_store.get_membership(workspace.id, principal.user_id))
        raise Conflict("You are already a member of this workspace.") from None
    except ConditionFailed:
        raise InviteGone() from None
    return workspace


def list_invites(
    principal: Principal, workspace_id: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[Invite], dict[str, Any] | None]:
    authz.workspace_access(principal, workspace_id, role="admin")
    page = invite_store.list_for_workspace(workspace_id, limit=limit, position=position)
    return page.items, page.position


def revoke(principal: Principal, workspace_id: str, invite_id: str) -> None:
    authz.workspace_access(principal, workspace_id, role="admin")
    invite = invite_store.get(invite_id)
    if invite is None or invite.workspace_id != workspace_id:
        raise NotFound("Invite not found.")
    if invite.revoked:
        return
    invite_store.revoke(
        invite,
        new_event("invite.revoked", {"workspaceId": workspace_id, "inviteId": invite_id}, workspace_id=workspace_id),
    )
