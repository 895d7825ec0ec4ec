"""Web Push subscriptions: ``USER#uid`` / ``PUSHSUB#<endpoint hash>``, a per-user
counter (``USER#uid`` / ``PUSHSUBS``) kept exact by transactions, and GSI2
``PUSHEP#<endpoint hash>`` (keys only) naming the user an endpoint belongs to.

An endpoint is one browser profile: when another user subscribes it, the previous
owner's subscription goes (their notifications must not reach the next person at
that browser).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from pynamodb.exceptions import PutError

from chalicelib.store import keys
from chalicelib.store.db import bind, connection, fetch, transaction
from chalicelib.store.errors import AlreadyExists, TransactionCancelled
from chalicelib.store.models import Entity, PushProgress, PushSubscription, PushSubscriptionCount

PROGRESS_RETENTION = timedelta(days=2)  # past the queue's retention of a retried event


class TooMany(Exception):
    """The user already has the maximum number of subscriptions."""


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()[:40]


def new_subscription(user_id: str, endpoint: str, **attributes: object) -> PushSubscription:
    digest = endpoint_hash(endpoint)
    return PushSubscription(
        keys.user(user_id),
        keys.push_subscription(digest),
        GSI2PK=keys.push_endpoint(digest),
        GSI2SK=keys.user(user_id),
        user_id=user_id,
        endpoint=endpoint,
        **attributes,
    )


def add(subscription: PushSubscription, limit: int, *, attempts: int = 2) -> bool:
    """Store it: True if new, False if it replaced the same endpoint's (new keys).

    Raises TooMany when new and the user already has ``limit``. One transaction
    (the item and the counter), plus one put when the endpoint was already there."""
    counter = PushSubscriptionCount(subscription.PK, keys.PUSH_SUBSCRIPTIONS)
    try:
        with transaction(taken=("subscription",)) as tx:
            tx.save(subscription, condition=PushSubscription.PK.does_not_exist(), label="subscription")
            tx.update(
                counter,
                actions=[PushSubscriptionCount.count.add(1)],
                condition=PushSubscriptionCount.count.does_not_exist() | (PushSubscriptionCount.count < limit),
                label="limit",
            )
        return True
    except AlreadyExists:
        pass
    except TransactionCancelled as cancelled:
        raise TooMany() from cancelled
    try:
        subscription.save(condition=PushSubscription.PK.exists())  # the same endpoint, maybe new keys
        return False
    except PutError as error:
        # unsubscribed (or a 410) between the two writes: add it as new, once
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException" or attempts <= 1:
            raise
    return add(subscription, limit, attempts=attempts - 1)


def remove(user_id: str, digest: str) -> bool:
    """Delete one subscription and count it out; False if there was none."""
    item = PushSubscription(keys.user(user_id), keys.push_subscription(digest))
    counter = PushSubscriptionCount(keys.user(user_id), keys.PUSH_SUBSCRIPTIONS)
    try:
        with transaction() as tx:
            tx.delete(item, condition=PushSubscription.PK.exists(), label="subscription")
            tx.update(counter, actions=[PushSubscriptionCount.count.add(-1)])
        return True
    except TransactionCancelled:
        return False


def owners(digest: str) -> list[str]:
    """The users holding this endpoint (GSI2, keys only; normally at most one)."""
    # Raw Query: the index projects keys only, and pynamodb would filter a subclass
    # query on the (unprojected) discriminator.
    answer = connection().client.query(
        TableName=Entity.Meta.table_name,
        IndexName="GSI2",
        KeyConditionExpression="GSI2PK = :ep",
        ExpressionAttributeValues={":ep": {"S": keys.push_endpoint(digest)}},
        Limit=20,
        ReturnConsumedCapacity="TOTAL",
    )
    return [hit["GSI2SK"]["S"].removeprefix("USER#") for hit in answer.get("Items", [])]


def get(user_id: str, digest: str) -> PushSubscription | None:
    return fetch(PushSubscription, keys.user(user_id), keys.push_subscription(digest))


def list_for_user(user_id: str) -> list[PushSubscription]:
    """All of a user's subscriptions: one Query, at most the cap (10) items."""
    bind()
    return list(
        PushSubscription.query(
            keys.user(user_id), PushSubscription.SK.startswith(keys.PUSH_SUBSCRIPTION_PREFIX), consistent_read=True
        )
    )


def pushed_already(event_id: str) -> set[str]:
    """The endpoint hashes this event has reached (on a redelivery)."""
    progress = fetch(PushProgress, keys.push_progress(event_id), keys.GUARD, consistent=True)
    return set(progress.pushed or ()) if progress else set()


def record_pushed(event_id: str, digests: set[str]) -> None:
    """Remember endpoints reached before a retry (one UpdateItem, set union)."""
    if not digests:
        return
    bind()
    item = PushProgress(keys.push_progress(event_id), keys.GUARD)
    item.update(actions=[PushProgress.pushed.add(digests), PushProgress.ttl.set(PROGRESS_RETENTION)])
