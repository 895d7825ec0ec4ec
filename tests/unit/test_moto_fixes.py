"""The moto corrections the tests and the local runtime rely on (devserver/moto_fixes)."""

import os
import threading

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.functional.workers.pipeline import StreamReader


def _put(ddb, pk, condition=True):
    kwargs = {"ConditionExpression": "attribute_not_exists(PK)"} if condition else {}
    return {"Put": {"TableName": "disqua-test-table", "Item": {"PK": {"S": pk}, "SK": {"S": "X"}}, **kwargs}}


def test_cancelled_transaction_leaves_no_stream_records_and_later_writes_are_seen(aws_backend):
    ddb = boto3.client("dynamodb")
    reader = StreamReader()
    ddb.transact_write_items(TransactItems=[_put(ddb, "A")])
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[_put(ddb, "B"), _put(ddb, "A")])  # A exists: cancelled
    ddb.put_item(TableName="disqua-test-table", Item={"PK": {"S": "C"}, "SK": {"S": "X"}})
    keys = [r["dynamodb"]["Keys"]["PK"]["S"] for r in reader.read()]
    assert keys == ["A", "C"]


def test_conditional_writes_are_atomic_under_threads(aws_backend):
    ddb = boto3.client("dynamodb")
    ddb.put_item(TableName="disqua-test-table", Item={"PK": {"S": "N"}, "SK": {"S": "X"}, "v": {"N": "0"}})
    wins = []

    def bump():
        for _ in range(20):
            current = ddb.get_item(TableName="disqua-test-table", Key={"PK": {"S": "N"}, "SK": {"S": "X"}})["Item"]
            try:
                ddb.update_item(
                    TableName="disqua-test-table",
                    Key={"PK": {"S": "N"}, "SK": {"S": "X"}},
                    UpdateExpression="SET v = :new",
                    ConditionExpression="v = :old",
                    ExpressionAttributeValues={":old": current["v"], ":new": {"N": str(int(current["v"]["N"]) + 1)}},
                )
                wins.append(1)
            except ClientError:
                pass

    threads = [threading.Thread(target=bump) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    final = ddb.get_item(TableName="disqua-test-table", Key={"PK": {"S": "N"}, "SK": {"S": "X"}})["Item"]["v"]["N"]
    assert int(final) == len(wins)  # every successful conditional update counted exactly once


def test_an_update_is_sized_as_the_item_it_leaves(aws_backend):
    # 300 KB replaced by 300 KB: DynamoDB sizes the item after the update (~300 KB).
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    key = {"PK": "T#size", "SK": "T#size"}
    table.put_item(Item={**key, "body": "a" * 300_000})
    table.update_item(Key=key, UpdateExpression="SET body = :b", ExpressionAttributeValues={":b": "b" * 300_000})
    assert table.get_item(Key=key)["Item"]["body"] == "b" * 300_000
    # Over the limit is still refused, and the item is left as it was.
    with pytest.raises(ClientError, match="exceeded the maximum allowed size"):
        table.update_item(Key=key, UpdateExpression="SET body = :b", ExpressionAttributeValues={":b": "c" * 420_000})
    assert table.get_item(Key=key)["Item"]["body"] == "b" * 300_000
