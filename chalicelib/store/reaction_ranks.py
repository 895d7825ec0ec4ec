"""The most reacted messages of a channel, per reaction: a ranking maintained on each reaction.

One small item per (message, reaction), ``MSG#id`` / ``RANK#<emoji>``, carries the sparse GSI6
keys ``MOSTREACT#<cid>#<emoji>`` / the count (a number): the ranking is one GSI6 Query read
highest first. It is written in the reaction's own transaction (store/messages.add_reaction
and remove_reaction) by a commutative ``+ 1`` / ``- 1`` on the count, so concurrent reactors
do not conflict on it (each reaction already updates the message item in the same
transaction: the rank item adds no new contention), and it moves exactly with the message's
count. The removal of the last reactor, which the message's condition proves is the last,
deletes the item (the index stays sparse).

Cost per reaction (tests/functional/api/admin/test_reaction_costs.py): the item is under 1 KB,
so 2 WCU in the transaction, plus GSI6: 2 writes when the count moves (its old entry out, the
new in), 1 when the item appears or goes.

Messages reacted to before the ranking existed have no item: their first reaction after
that starts it at 1; ``repair_channel`` (a maintenance job) sets the items from the messages'
counts, each under a check that the message still holds that count."""

from __future__ import annotations

from typing import Any

from chalicelib.store import keys
from chalicelib.store.db import connection, fetch
from chalicelib.store.models import Entity, Message


def change(message: Message, emoji: str, old: int, new: int) -> dict[str, Any]:
    """The transaction's action moving one message's count of ``emoji`` by ``new - old``
    (``new`` 0: the last reactor left, the message's condition checks it)."""
    key = {"PK": {"S": keys.message(message.id)}, "SK": {"S": keys.reaction_rank(emoji)}}
    table = Entity.Meta.table_name
    if new <= 0:
        return {"Delete": {"TableName": table, "Key": key}}
    names = {"#type": "type", "#mid": "message_id", "#mk": "message_key", "#cid": "channel_id", "#e": "emoji"}
    values: dict[str, Any] = {
        ":type": {"S": "ReactionRank"},
        ":mid": {"S": message.id},
        ":mk": {"S": message.SK},
        ":cid": {"S": message.channel_id},
        ":e": {"S": emoji},
        ":gpk": {"S": keys.most_reacted(message.channel_id, emoji)},
        ":zero": {"N": "0"},
        ":step": {"N": "1" if new > old else "-1"},
    }
    return {
        "Update": {
            "TableName": table,
            "Key": key,
            "UpdateExpression": "SET #type = :type, #mid = :mid, #mk = :mk, #cid = :cid, #e = :e, "
            "GSI6PK = :gpk, GSI6SK = if_not_exists(GSI6SK, :zero) + :step",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def most_reacted(
    channel_id: str, emoji: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[tuple[str, int]], dict[str, Any] | None]:
    """(message sort key, count) pairs, the highest count first, and where the next page
    starts: one GSI6 Query of ``limit`` small items (raw: the index's sort key is a number)."""
    partition = keys.most_reacted(channel_id, emoji)
    if position is not None and position.get("GSI6PK") != {"S": partition}:
        from chalicelib.errors import ValidationError

        raise ValidationError("options[token] belongs to another list.", field="options.token")
    request: dict[str, Any] = {
        "TableName": Entity.Meta.table_name,
        "IndexName": "GSI6",
        "KeyConditionExpression": "GSI6PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": partition}},
        "ScanIndexForward": False,
        "Limit": limit,
        "ReturnConsumedCapacity": "TOTAL",
    }
    if position is not None:
        request["ExclusiveStartKey"] = position
    answer = connection().client.query(**request)
    ranked = [(item["message_key"]["S"], int(item["GSI6SK"]["N"])) for item in answer.get("Items", [])]
    return ranked, answer.get("LastEvaluatedKey")


def repair(message: Message) -> int:
    """Set each of the message's rank items to its count (messages reacted to before the
    ranking existed, or any drift): per reaction one transaction that checks the message still
    holds that count and writes the rank item, so a concurrent reaction makes it fail rather
    than be overwritten (the caller reads the message again and retries). Returns how many
    rank items were written."""
    from botocore.exceptions import ClientError

    from chalicelib.store.errors import ConditionFailed

    written = 0
    for emoji, (count, _) in message.reaction_tally().items():
        if count <= 0:
            continue
        check = {
            "ConditionCheck": {
                "TableName": Entity.Meta.table_name,
                "Key": {"PK": {"S": message.PK}, "SK": {"S": message.SK}},
                "ConditionExpression": "#counts.#e = :n",
                "ExpressionAttributeNames": {"#counts": "reaction_counts", "#e": emoji},
                "ExpressionAttributeValues": {":n": {"N": str(count)}},
            }
        }
        write = change(message, emoji, 0, 1)
        update = write["Update"]
        update["UpdateExpression"] = update["UpdateExpression"].replace(
            "GSI6SK = if_not_exists(GSI6SK, :zero) + :step", "GSI6SK = :count"
        )
        values = update["ExpressionAttributeValues"]
        del values[":zero"], values[":step"]
        values[":count"] = {"N": str(count)}
        try:
            connection().client.transact_write_items(TransactItems=[check, write], ReturnConsumedCapacity="TOTAL")
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise ConditionFailed("message changed") from None
            raise
        written += 1
    return written


def repair_channel(channel_id: str, *, attempts: int = 5) -> int:
    """Repair every reacted message of a channel (top-level messages, then thread replies),
    page by page (one Query each); a message a reaction changes meanwhile is read again. A
    maintenance job (a script or a one-off Lambda), never a request."""
    from chalicelib.store.errors import ConditionFailed
    from chalicelib.store.pages import query_page

    written = 0
    for prefix in (keys.MESSAGE_PREFIX, keys.reply("")[:-1]):  # MSG#..., RPL#<parent>#...
        position = None
        while True:
            condition = Message.SK.startswith(prefix)
            page = query_page(Message, keys.channel(channel_id), condition, limit=100, position=position)
            for item in page.items:
                message: Message | None = item
                for _ in range(attempts):
                    if message is None or not message.reaction_counts:
                        break
                    try:
                        written += repair(message)
                        break
                    except ConditionFailed:
                        message = fetch(Message, item.PK, item.SK, consistent=True)  # None: deleted
            position = page.position
            if position is None:
                break
    return written
