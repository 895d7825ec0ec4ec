"""A workspace's Admin v2 blacklist and whitelist records, in its own partition (``WS#wid``).

- ``MODLIST#RULE#<list>#<record id>``: one item per record (the id is a UUIDv7, so a list's
  key order is its creation order and a page is a key range of one Query).
- ``MODLIST#RULE#META``: the records' count, capped at ``MAX_RECORDS``, and the rule set's
  ``version``; every create, update and delete moves them in the same transaction.
- Everything above shares the prefix ``MODLIST#RULE#``: the whole rule set with its version
  is one Query (``rule_set``). It also shares ``MODLIST#`` with the forum's Disqus lists
  (store/moderation_lists.py), so ``everything`` reads both rule sets in one Query.

Size: a record is under 1.2 KB (a pattern is at most 200 characters, services/moderation.py),
so the 1,000 records of the cap are under 1.2 MB: one Query page in practice (typical
patterns of 20-40 characters: about 350 KB), two at worst.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.store import keys
from chalicelib.store.db import bind, connection, transaction
from chalicelib.store.errors import TransactionCancelled
from chalicelib.store.models import Entity, ModerationRule, ModerationRuleSet

MAX_RECORDS = 1000  # per workspace, both lists together


class LimitReached(Exception):
    """The workspace already holds MAX_RECORDS records."""


class Changed(Exception):
    """A record named by a write was removed (or changed) meanwhile."""


@dataclass(frozen=True)
class RuleSet:
    version: int
    records: list[ModerationRule]


def new_record(
    rule_id: str,
    workspace_id: str,
    list_name: str,
    pattern: str,
    *,
    exact_word: bool,
    created_by: str,
    created_at: str,
) -> ModerationRule:
    return ModerationRule(
        keys.workspace(workspace_id),
        keys.moderation_rule(list_name, rule_id),
        id=rule_id,
        workspace_id=workspace_id,
        list_name=list_name,
        pattern=pattern,
        exact_word=exact_word,
        created_by=created_by,
        created_at=created_at,
    )


def _meta(workspace_id: str) -> ModerationRuleSet:
    return ModerationRuleSet(keys.workspace(workspace_id), keys.MODERATION_RULE_META)


def _query_prefix(workspace_id: str, prefix: str) -> list[Entity]:
    """Every item of the partition under ``prefix``, of whatever type (a raw Query: a pynamodb
    query on the base class would send every registered type in an IN filter)."""
    bind()
    client = connection().client
    request: dict[str, Any] = {
        "TableName": Entity.Meta.table_name,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": keys.workspace(workspace_id)}, ":prefix": {"S": prefix}},
        "ReturnConsumedCapacity": "TOTAL",
    }
    items: list[Entity] = []
    while True:
        answer = client.query(**request)
        items += [Entity.from_raw_data(raw) for raw in answer.get("Items", [])]
        if "LastEvaluatedKey" not in answer:
            return items
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def split(items: Iterable[Entity]) -> RuleSet:
    """The records and version among items read under ``MODLIST#`` (other types ignored)."""
    version, records = 0, []
    for item in items:
        if isinstance(item, ModerationRule):
            records.append(item)
        elif isinstance(item, ModerationRuleSet):
            version = int(item.version or 0)
    return RuleSet(version, records)


def rule_set(workspace_id: str) -> RuleSet:
    """Every record of both lists and the version: one Query (one page under the cap)."""
    return split(_query_prefix(workspace_id, keys.MODERATION_RULE_PREFIX))


def version(workspace_id: str) -> int:
    """The rule set's version alone: one GetItem of 0.5 read unit (the cache's revalidation)."""
    try:
        return int(_meta(workspace_id).get(keys.workspace(workspace_id), keys.MODERATION_RULE_META).version or 0)
    except ModerationRuleSet.DoesNotExist:
        return 0


def everything(workspace_id: str) -> list[Entity]:
    """The forum's Disqus list entries and the Admin v2 records with their version: one Query
    of ``MODLIST#`` (comment_rules.evaluate)."""
    return _query_prefix(workspace_id, keys.MODERATION_PREFIX)


def get(workspace_id: str, list_name: str, rule_id: str) -> ModerationRule | None:
    try:
        return ModerationRule.get(keys.workspace(workspace_id), keys.moderation_rule(list_name, rule_id))
    except ModerationRule.DoesNotExist:
        return None


def _bump(workspace_id: str, count_delta: int) -> tuple[ModerationRuleSet, list[Any], Any]:
    actions = [ModerationRuleSet.version.add(1), ModerationRuleSet.type.set(ModerationRuleSet)]
    if count_delta:
        actions.append(ModerationRuleSet.count.add(count_delta))
    condition = None
    if count_delta > 0:
        condition = ModerationRuleSet.count.does_not_exist() | (ModerationRuleSet.count <= MAX_RECORDS - count_delta)
    return _meta(workspace_id), actions, condition


def create(workspace_id: str, records: list[ModerationRule]) -> None:
    """The records, the count and the version in one transaction (at most 99 records);
    LimitReached past the cap."""
    if not records:
        return
    meta, actions, condition = _bump(workspace_id, len(records))
    try:
        with transaction() as tx:
            for record in records:
                tx.save(record, condition=ModerationRule.PK.does_not_exist(), label="record")
            tx.update(meta, actions=actions, condition=condition, label="limit")
    except TransactionCancelled as cancelled:
        if "limit" in cancelled.failed:
            raise LimitReached() from None
        raise


def delete(workspace_id: str, records: list[ModerationRule]) -> None:
    """The records out, the count down and the version up in one transaction; Changed if one
    of them was deleted meanwhile."""
    if not records:
        return
    meta, actions, _ = _bump(workspace_id, -len(records))
    try:
        with transaction() as tx:
            for record in records:
                tx.delete(record, condition=ModerationRule.PK.exists(), label="record")
            tx.update(meta, actions=actions)
    except TransactionCancelled:
        raise Changed() from None


def update(record: ModerationRule, changes: dict[str, Any]) -> None:
    """New attribute values for one record and the version up, in one transaction."""
    meta, actions, _ = _bump(record.workspace_id, 0)
    try:
        with transaction() as tx:
            tx.update(
                record,
                actions=[getattr(ModerationRule, name).set(value) for name, value in changes.items()],
                condition=ModerationRule.PK.exists(),
                label="record",
            )
            tx.update(meta, actions=actions)
    except TransactionCancelled:
        raise Changed() from None
    for name, value in changes.items():
        setattr(record, name, value)


def list_page(
    workspace_id: str, list_name: str, *, after: str | None, limit: int, patterns: list[str] | None = None
) -> tuple[list[ModerationRule], str | None]:
    """One Query (one call) of the list in creation order, from after the record ``after``:
    (records, the id to continue after, or None at the end). ``patterns`` (at most 100) is
    a filter of that Query, so such a page may hold fewer than ``limit``."""
    bind()
    prefix = keys.moderation_rule(list_name)
    values: dict[str, Any] = {":pk": {"S": keys.workspace(workspace_id)}}
    if after:
        condition = "PK = :pk AND SK BETWEEN :low AND :high"
        values.update({":low": {"S": prefix + after + "\x00"}, ":high": {"S": prefix + "\uffff"}})
    else:
        condition = "PK = :pk AND begins_with(SK, :prefix)"
        values[":prefix"] = {"S": prefix}
    request: dict[str, Any] = {
        "TableName": Entity.Meta.table_name,
        "KeyConditionExpression": condition,
        "Limit": limit,
        "ReturnConsumedCapacity": "TOTAL",
    }
    if patterns:
        names = [f":p{i}" for i in range(len(patterns))]
        values.update({name: {"S": pattern} for name, pattern in zip(names, patterns, strict=True)})
        request["FilterExpression"] = f"#pattern IN ({', '.join(names)})"
        request["ExpressionAttributeNames"] = {"#pattern": "pattern"}
    request["ExpressionAttributeValues"] = values
    answer = connection().client.query(**request)
    records = [r for r in map(Entity.from_raw_data, answer.get("Items", [])) if isinstance(r, ModerationRule)]
    last = answer.get("LastEvaluatedKey")
    return records, (last["SK"]["S"].rpartition("#")[2] if last else None)
