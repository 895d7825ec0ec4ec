"""Realtime connections, subscriptions, connect tickets and the typing throttle.

Items (docs/access-patterns.md, "Realtime"):
- ``RTCONN#<connectionId>`` / ``META``: a connection, its principal and the keys of its
  subscriptions; GSI1 ``RTUSER#uid`` / ``CONN#<connectionId>``;
- ``RTCH#<channelId>`` or ``RTWS#<workspaceId>`` / ``RTSUB#<connectionId>``: a subscription;
  GSI1 ``RTUSER#uid`` / ``WS#wid#<PK>#<connectionId>``;
- ``RTTICKET#<sha256>`` / ``GUARD``: a single-use connect ticket (60 s);
- ``RTTYPING#<channelId>#<userId>`` / ``GUARD``: when that user's next typing relay may go.

Connections and subscriptions expire after 2 h (API Gateway's longest connection); a
subscription is written in one transaction with its connection (which must exist) and a
ConditionCheck on the membership it relies on, so a ban or a removal committed first makes
the subscribe fail, and one committed later finds the subscription (``drop_user``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import size

from chalicelib.store import keys
from chalicelib.store.db import bind, connection, fetch, transaction
from chalicelib.store.errors import TransactionCancelled
from chalicelib.store.models import (
    ChannelMember,
    Entity,
    Membership,
    RealtimeConnection,
    RealtimeSubscription,
    RealtimeTicket,
)

LIFETIME = timedelta(hours=2)  # API Gateway closes a WebSocket after 2 h
MAX_SUBSCRIPTIONS = 100  # per connection (the connection item lists them)
WRITE_BATCH = 25  # BatchWriteItem's limit


@dataclass(frozen=True)
class Subscriber:
    connection_id: str
    user_id: str


class NoConnection(Exception):
    """The connection is gone (disconnected, expired) or holds MAX_SUBSCRIPTIONS already."""


class NotAllowed(Exception):
    """The membership the subscription relies on is gone or banned (checked in the write)."""


def _expiry() -> datetime:
    return datetime.fromtimestamp(time.time() + LIFETIME.total_seconds(), UTC)


# --- tickets -------------------------------------------------------------------------------


def put_ticket(ticket_hash: str, user_id: str, principal: dict[str, Any], lifetime_seconds: int) -> None:
    bind()
    expires = int(time.time()) + lifetime_seconds
    RealtimeTicket(
        keys.realtime_ticket(ticket_hash),
        keys.GUARD,
        user_id=user_id,
        principal=principal,
        expires_at=expires,
        ttl=datetime.fromtimestamp(expires, UTC),
    ).save()


def take_ticket(ticket_hash: str) -> RealtimeTicket | None:
    """Delete the ticket and return what it held (one DeleteItem): a ticket is good once.
    None when unknown, used already or expired."""
    try:
        answer = connection().client.delete_item(
            TableName=Entity.Meta.table_name,
            Key={"PK": {"S": keys.realtime_ticket(ticket_hash)}, "SK": {"S": keys.GUARD}},
            ConditionExpression="attribute_exists(PK)",
            ReturnValues="ALL_OLD",
            ReturnConsumedCapacity="TOTAL",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        raise
    attributes = answer.get("Attributes")
    if not attributes:
        return None
    ticket = RealtimeTicket.from_raw_data(attributes)
    return ticket if ticket.expires_at > time.time() else None


# --- connections ----------------------------------------------------------------------------


def put_connection(connection_id: str, user_id: str, principal: dict[str, Any], at: str) -> None:
    bind()
    RealtimeConnection(
        keys.realtime_connection(connection_id),
        keys.META,
        GSI1PK=keys.realtime_user(user_id),
        GSI1SK=f"CONN#{connection_id}",
        connection_id=connection_id,
        user_id=user_id,
        principal=principal,
        connected_at=at,
        ttl=_expiry(),
    ).save()


def get_connection(connection_id: str) -> RealtimeConnection | None:
    item = fetch(RealtimeConnection, keys.realtime_connection(connection_id), keys.META, consistent=True)
    if item is None or (item.ttl is not None and item.ttl.timestamp() <= time.time()):
        return None
    return item


def delete_connection(connection_id: str) -> int:
    """The connection and its subscriptions (one GetItem, then BatchWriteItem): how many
    items went. Deleting what is already gone is a no-op."""
    item = fetch(RealtimeConnection, keys.realtime_connection(connection_id), keys.META, consistent=True)
    if item is None:
        return 0
    doomed = [(pk, keys.realtime_subscription(connection_id)) for pk in item.subscriptions or ()]
    doomed.append((item.PK, item.SK))
    _delete_keys(doomed)
    return len(doomed)


def _delete_keys(doomed: Iterable[tuple[str, str]]) -> None:
    client = connection().client
    table = Entity.Meta.table_name
    pending = [{"DeleteRequest": {"Key": {"PK": {"S": pk}, "SK": {"S": sk}}}} for pk, sk in doomed]
    for attempt in range(8):
        if not pending:
            return
        chunk, pending = pending[:WRITE_BATCH], pending[WRITE_BATCH:]
        answer = client.batch_write_item(RequestItems={table: chunk}, ReturnConsumedCapacity="TOTAL")
        unprocessed = answer.get("UnprocessedItems", {}).get(table, [])
        if unprocessed:
            pending = unprocessed + pending
            time.sleep(min(1.0, 0.05 * 2**attempt))
    if pending:
        raise RuntimeError(f"{len(pending)} realtime items could not be deleted")


# --- subscriptions --------------------------------------------------------------------------


def scope_key(workspace_id: str, channel_id: str | None) -> str:
    return keys.realtime_channel(channel_id) if channel_id else keys.realtime_workspace(workspace_id)


def subscribe(
    connection_id: str,
    user_id: str,
    workspace_id: str,
    channel_id: str | None,
    *,
    authority: tuple[str, str] | None,
) -> None:
    """Subscribe the connection to a channel, or to the workspace (``channel_id`` None).

    ``authority``: the key of the Membership or ChannelMember the right to read rests on;
    the write commits only if it still exists and is not banned (NotAllowed otherwise).
    NoConnection when the connection is gone or full. One TransactWriteItems."""
    bind()
    pk = scope_key(workspace_id, channel_id)
    item = RealtimeSubscription(
        pk,
        keys.realtime_subscription(connection_id),
        GSI1PK=keys.realtime_user(user_id),
        GSI1SK=keys.realtime_user_ref(workspace_id, pk, connection_id),
        connection_id=connection_id,
        user_id=user_id,
        workspace_id=workspace_id,
        channel_id=channel_id,
        ttl=_expiry(),
    )
    owner = RealtimeConnection(keys.realtime_connection(connection_id), keys.META)
    has_room = RealtimeConnection.subscriptions.does_not_exist() | (
        RealtimeConnection.subscriptions.contains(pk)  # already subscribed: a refresh
        | (size(RealtimeConnection.subscriptions) < MAX_SUBSCRIPTIONS)
    )
    try:
        with transaction() as tx:
            tx.save(item)
            tx.update(
                owner,
                actions=[RealtimeConnection.subscriptions.add({pk})],
                condition=RealtimeConnection.PK.exists() & has_room,
                label="connection",
            )
            if authority is not None:
                model = ChannelMember if authority[0].startswith("CH#") else Membership
                condition = model.PK.exists() & model.banned.does_not_exist()
                tx.check(model, authority[0], authority[1], condition, label="authority")
    except TransactionCancelled as cancelled:
        if "connection" in cancelled.failed:
            raise NoConnection() from None
        raise NotAllowed() from None


def unsubscribe(connection_id: str, workspace_id: str, channel_id: str | None) -> bool:
    """Remove one subscription; False if there was none (one TransactWriteItems)."""
    pk = scope_key(workspace_id, channel_id)
    owner = RealtimeConnection(keys.realtime_connection(connection_id), keys.META)
    try:
        with transaction() as tx:
            tx.delete(
                RealtimeSubscription(pk, keys.realtime_subscription(connection_id)),
                condition=RealtimeSubscription.PK.exists(),
            )
            tx.update(owner, actions=[RealtimeConnection.subscriptions.delete({pk})])
    except TransactionCancelled:
        return False
    return True


def _query_all(
    hash_name: str, hash_value: str, sort_name: str, prefix: str, cost: dict[str, float], **extra: Any
) -> Iterator[dict[str, Any]]:
    """Every item of one key range (``begins_with``), page by page (1 MB each), counting the
    calls and the RCU in ``cost``. ``extra``: IndexName, ProjectionExpression..."""
    client = connection().client
    query: dict[str, Any] = {
        "TableName": Entity.Meta.table_name,
        "KeyConditionExpression": f"{hash_name} = :h AND begins_with({sort_name}, :p)",
        "ExpressionAttributeValues": {":h": {"S": hash_value}, ":p": {"S": prefix}},
        "ReturnConsumedCapacity": "TOTAL",
        **extra,
    }
    while True:
        answer = client.query(**query)
        cost["calls"] = cost.get("calls", 0.0) + 1
        cost["rcu"] = cost.get("rcu", 0.0) + float(answer.get("ConsumedCapacity", {}).get("CapacityUnits", 0))
        yield from answer.get("Items", [])
        if not answer.get("LastEvaluatedKey"):
            return
        query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def subscribers(scope_pk: str) -> tuple[list[Subscriber], dict[str, float]]:
    """Everyone subscribed under ``RTCH#cid`` or ``RTWS#wid``: one Query (another per MB),
    never a scan. Returns the subscribers and what it cost (calls, RCU)."""
    cost: dict[str, float] = {"calls": 0.0, "rcu": 0.0}
    now = int(time.time())
    hits = _query_all(
        "PK",
        scope_pk,
        "SK",
        keys.REALTIME_SUBSCRIPTION_PREFIX,
        cost,
        ProjectionExpression="connection_id, user_id, #ttl",
        ExpressionAttributeNames={"#ttl": "ttl"},
    )
    found = [
        Subscriber(hit["connection_id"]["S"], hit["user_id"]["S"])
        for hit in hits
        if "ttl" not in hit or int(hit["ttl"]["N"]) > now  # expired ones wait for DynamoDB's deletion
    ]
    return found, cost


def channel_readers(channel_id: str) -> tuple[set[str], dict[str, float]]:
    """The users who may read a private channel now: its members minus the banned (one
    Query of ``CH#cid`` / ``MEMBER#``; another per MB)."""
    cost: dict[str, float] = {"calls": 0.0, "rcu": 0.0}
    hits = _query_all(
        "PK", keys.channel(channel_id), "SK", keys.MEMBER_PREFIX, cost, ProjectionExpression="user_id, banned"
    )
    readers = {hit["user_id"]["S"] for hit in hits if not hit.get("banned", {}).get("BOOL", False)}
    return readers, cost


def _user_items(user_id: str, sort_prefix: str) -> Iterator[dict[str, Any]]:
    """A user's realtime items in GSI1 under ``sort_prefix`` (one Query, another per MB)."""
    return _query_all("GSI1PK", keys.realtime_user(user_id), "GSI1SK", sort_prefix, {}, IndexName="GSI1")


def user_connections_in(user_id: str, workspace_id: str) -> set[str]:
    """The user's connections subscribed to anything in the workspace (one Query of GSI1):
    where that user's own notifications from the workspace go."""
    return {hit["connection_id"]["S"] for hit in _user_items(user_id, keys.realtime_user_ref(workspace_id))}


def drop_user(user_id: str, workspace_id: str) -> int:
    """Delete every subscription of the user in the workspace (a ban, a removal): one Query
    of GSI1, then BatchWriteItem; the connections stay (other workspaces). How many went."""
    hits = list(_user_items(user_id, keys.realtime_user_ref(workspace_id)))
    _delete_keys((hit["PK"]["S"], hit["SK"]["S"]) for hit in hits)
    for hit in hits:  # keep the connections' lists short (best effort: the list is only a cleanup aid)
        owner = RealtimeConnection(keys.realtime_connection(hit["connection_id"]["S"]), keys.META)
        try:
            owner.update(
                actions=[RealtimeConnection.subscriptions.delete({hit["PK"]["S"]})],
                condition=RealtimeConnection.PK.exists(),
            )
        except UpdateError as error:  # gone meanwhile
            if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
                raise
    return len(hits)


# --- typing throttle --------------------------------------------------------------------------


def take_typing_slot(channel_id: str, user_id: str, interval_ms: int) -> bool:
    """True if this user may relay typing in this channel now, and then not again for
    ``interval_ms`` (one conditional PutItem: concurrent relays from several connections or
    Lambda containers cannot both pass)."""
    now = int(time.time() * 1000)
    try:
        connection().client.put_item(
            TableName=Entity.Meta.table_name,
            Item={
                "PK": {"S": keys.realtime_typing(channel_id, user_id)},
                "SK": {"S": keys.GUARD},
                "type": {"S": "RealtimeTyping"},
                "until": {"N": str(now + interval_ms)},
                "ttl": {"N": str(now // 1000 + interval_ms // 1000 + 60)},
            },
            ConditionExpression="attribute_not_exists(PK) OR #until <= :now",
            ExpressionAttributeNames={"#until": "until"},
            ExpressionAttributeValues={":now": {"N": str(now)}},
            ReturnConsumedCapacity="TOTAL",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
