"""Workspace API tokens ("Settings -> Integrations").

Any verified member may mint tokens for themselves in a workspace; a token acts as
its creator, limited to its scopes and its workspace, and never more than the
creator may do (membership and role are checked at use, so a member who leaves
takes their tokens' powers with them). Members see and revoke their own tokens;
admins and owners see and revoke all of the workspace's. The secret is shown once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.auth import scopes as scope_names
from chalicelib.auth import tokens
from chalicelib.auth.principal import Principal
from chalicelib.errors import Forbidden, NotFound
from chalicelib.ids import new_id, now_iso
from chalicelib.services import authz, quotas
from chalicelib.services.authn import forget_cached_tokens
from chalicelib.store import api_tokens as token_store
from chalicelib.store import quotas as quota_store
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import ApiToken
from chalicelib.store.outbox import new_event


@dataclass(frozen=True)
class CreatedToken:
    record: ApiToken
    secret: str


def create(principal: Principal, workspace_id: str, name: str, scopes: list[str], *, bot: bool = False) -> CreatedToken:
    authz.require_session(principal)
    authz.require_verified(principal)
    _, membership = authz.workspace_access(principal, workspace_id)
    if scope_names.ADMIN in scopes and not authz.acts_as_admin(principal, membership):
        raise Forbidden("Only workspace admins and owners may mint tokens with the admin scope.", field="scopes")
    secret = tokens.new_api_token()
    token_id = new_id()
    record = token_store.new_token(
        tokens.sha256_hex(secret),
        token_id,
        name=name,
        workspace_id=workspace_id,
        user_id=principal.user_id,
        scopes=set(scopes),
        hint=secret[-4:],
        bot=bot,
        created_at=now_iso(),
    )
    event = new_event(
        "token.created",
        {"tokenId": token_id, "userId": principal.user_id, "scopes": sorted(scopes), "bot": bot},
        workspace_id=workspace_id,
    )
    try:
        token_store.create(record, event, quotas.tokens_of(workspace_id))
    except quota_store.Reached as reached:
        raise quotas.refused(reached) from None
    return CreatedToken(record, secret)


def list_tokens(
    principal: Principal, workspace_id: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[ApiToken], dict[str, Any] | None]:
    authz.require_session(principal)
    _, membership = authz.workspace_access(principal, workspace_id)
    everyone = authz.acts_as_admin(principal, membership)
    page = token_store.list_for_workspace(
        workspace_id, None if everyone else principal.user_id, limit=limit, position=position
    )
    return page.items, page.position


def revoke(principal: Principal, workspace_id: str, token_id: str) -> None:
    authz.require_session(principal)
    _, membership = authz.workspace_access(principal, workspace_id)
    record = token_store.find(workspace_id, principal.user_id, token_id)
    if record is None and authz.acts_as_admin(principal, membership):
        record = token_store.find(workspace_id, None, token_id)
    if record is None:
        raise NotFound("Token not found.")
    try:
        token_store.revoke(record, new_event("token.revoked", {"tokenId": token_id}, workspace_id=workspace_id))
    except ConditionFailed:
        raise NotFound("Token not found.") from None
    forget_cached_tokens()
