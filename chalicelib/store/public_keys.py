"""Public keys (the Disqus ``api_key``), keyed by the key itself: a public key ships in
web pages, so it is no secret and needs no hash. ``PUBKEY#<key>`` / ``GUARD`` holds the
workspace id and the domains (one GetItem authenticates a request); GSI1 ``WS#wid`` /
``PUBKEY#<id>`` lists a workspace's keys and finds one by id."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib.store import keys
from chalicelib.store.db import fetch
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import PublicKey
from chalicelib.store.pages import Page, query_page


def new_public_key(key: str, key_id: str, workspace_id: str, **attributes: Any) -> PublicKey:
    return PublicKey(
        keys.public_key(key),
        keys.GUARD,
        GSI1PK=keys.workspace(workspace_id),
        GSI1SK=keys.public_key_ref(key_id),
        id=key_id,
        key=key,
        workspace_id=workspace_id,
        **attributes,
    )


def create(public_key: PublicKey) -> None:
    """One conditional PutItem (a 190-bit random key never collides; the condition
    makes sure a collision could not overwrite another workspace's key)."""
    public_key.save(condition=PublicKey.PK.does_not_exist())


def get(key: str) -> PublicKey | None:
    return fetch(PublicKey, keys.public_key(key), keys.GUARD)


def list_for_workspace(workspace_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[PublicKey]:
    return query_page(
        PublicKey,
        keys.workspace(workspace_id),
        PublicKey.GSI1SK.startswith(keys.public_key_ref()),
        index="GSI1",
        limit=limit,
        position=position,
    )


def find(workspace_id: str, key_id: str) -> PublicKey | None:
    """By id: one GSI1 Query that returns at most one item."""
    found = list(PublicKey.gsi1.query(keys.workspace(workspace_id), keys.public_key_ref(key_id) == PublicKey.GSI1SK))
    return found[0] if found and isinstance(found[0], PublicKey) else None


def delete(public_key: PublicKey) -> None:
    """ConditionFailed if it is already gone (deleted meanwhile)."""
    try:
        public_key.delete(condition=PublicKey.PK.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ConditionFailed() from None
        raise
