"""Workspace API tokens, keyed by the SHA-256 of the secret (one GetItem to
authenticate) and indexed per workspace (GSI1 ``WS#id`` / ``APITOKEN#id``)."""

from __future__ import annotations

from typing import Any

from chalicelib.store import keys, quotas
from chalicelib.store.db import fetch, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import ApiToken, Event
from chalicelib.store.pages import Page, query_page


def new_token(token_hash: str, token_id: str, **attributes: Any) -> ApiToken:
    return ApiToken(
        keys.api_token(token_hash),
        keys.GUARD,
        GSI1PK=keys.workspace(attributes["workspace_id"]),
        GSI1SK=keys.api_token_ref(attributes["user_id"], token_id),
        id=token_id,
        **attributes,
    )


TOKENS = "tokens"  # the quota kind (chalicelib/store/quotas.py), per workspace


def create(token: ApiToken, event: Event, quota: quotas.Quota | None = None) -> None:
    """quotas.Reached when the workspace holds its quota of tokens already."""
    with quotas.charged_transaction(quota) as tx:
        tx.save(token, condition=ApiToken.PK.does_not_exist())
        tx.save(event)


def get_by_hash(token_hash: str) -> ApiToken | None:
    return fetch(ApiToken, keys.api_token(token_hash), keys.GUARD)


def list_for_workspace(
    workspace_id: str, user_id: str | None, *, limit: int, position: dict[str, Any] | None
) -> Page[ApiToken]:
    """One user's tokens, or (user_id None) everyone's."""
    return query_page(
        ApiToken,
        keys.workspace(workspace_id),
        ApiToken.GSI1SK.startswith(keys.api_token_ref(user_id)),
        index="GSI1",
        limit=limit,
        position=position,
    )


def find(workspace_id: str, user_id: str | None, token_id: str) -> ApiToken | None:
    """By owner and id (one Query returning one item); with no owner, search the
    workspace's tokens (admins revoking someone else's: rare, bounded by the count
    of tokens in one workspace)."""
    if user_id is not None:
        condition = keys.api_token_ref(user_id, token_id) == ApiToken.GSI1SK
        found = list(ApiToken.gsi1.query(keys.workspace(workspace_id), condition))
    else:
        condition = ApiToken.GSI1SK.startswith(keys.api_token_ref(None))
        found = list(
            ApiToken.gsi1.query(keys.workspace(workspace_id), condition, filter_condition=ApiToken.id == token_id)
        )
    return found[0] if found and isinstance(found[0], ApiToken) else None


def revoke(token: ApiToken, event: Event) -> None:
    """Revoking deletes: a revoked token is indistinguishable from a forged one.
    ConditionFailed if it is already gone."""
    try:
        with transaction() as tx:
            tx.delete(token, condition=ApiToken.PK.exists())
            tx.save(event)
            quotas.refund(tx, TOKENS, keys.workspace(token.workspace_id))
    except TransactionCancelled:
        raise ConditionFailed() from None
