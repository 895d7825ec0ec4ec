"""devserver/moto_fixes.py for a long-running moto: transactions that neither copy nor
keep the table, cancelled ones that leave nothing behind, no registry of every model
instance, queries and serialization that give moto's own answers faster, and stream
records trimmed once processed (tests/unit/test_moto_fixes.py has the atomicity)."""

from __future__ import annotations

import gc
import os
import random
import tracemalloc
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from chalice.app import DynamoDBEventConfig
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.models import Table, dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamRecord

from devserver import moto_fixes, pump
from tests.functional.workers.pipeline import StreamReader

TABLE = "disqua-test-table"


def _key(pk: str, sk: str = "X") -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def _table() -> Any:
    return dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]


def _seed(ddb: Any, count: int, body: int = 300) -> None:
    for start in range(0, count, 25):
        ddb.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": {**_key(f"SEED#{i}"), "body": {"S": "x" * body}}}}
                    for i in range(start, min(count, start + 25))
                ]
            }
        )


def _reaction(i: int) -> list[dict[str, Any]]:
    """What a reaction writes: a new item and a counter update, in one transaction."""
    return [
        {"Put": {"TableName": TABLE, "Item": {**_key(f"R#{i}"), "n": {"N": "1"}}}},
        {
            "Update": {
                "TableName": TABLE,
                "Key": _key("SEED#1"),
                "UpdateExpression": "SET n = if_not_exists(n, :z) + :one",
                "ExpressionAttributeValues": {":z": {"N": "0"}, ":one": {"N": "1"}},
            }
        },
    ]


def test_transactions_neither_copy_nor_keep_the_table(aws_backend):
    ddb = boto3.client("dynamodb")
    _seed(ddb, 1000)  # a copy of this table is several MB
    table = _table()
    ddb.transact_write_items(TransactItems=_reaction(0))  # warm: parsers, caches
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        ddb.transact_write_items(TransactItems=_reaction(1))
        _, peak = tracemalloc.get_traced_memory()
        for i in range(2, 12):
            ddb.transact_write_items(TransactItems=_reaction(i))
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Without the fix: a deep copy of the table per action (peak +5 MB here), and
    # each copy kept by moto's instance registry (+10 MB per transaction).
    assert peak - before < 2_000_000, f"one transaction peaked at +{(peak - before) / 1e6:.1f} MB"
    assert after - before < 1_000_000, f"10 transactions kept {(after - before) / 1e6:.1f} MB"
    assert _table() is table
    assert Item.instances_tracked == [] and Table.instances_tracked == [] and StreamRecord.instances_tracked == []


def test_cancelled_transaction_puts_back_every_item_it_changed(aws_backend):
    ddb = boto3.client("dynamodb")
    ddb.put_item(TableName=TABLE, Item={**_key("A"), "v": {"N": "1"}, "tags": {"SS": ["x"]}, "old_note": {"S": "n"}})
    ddb.put_item(TableName=TABLE, Item={**_key("B"), "v": {"N": "1"}})
    reader = StreamReader()
    reader.read()  # past the two puts
    table = _table()
    shard_length = len(table.stream_shard.items)

    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": _key("A"),
                        "UpdateExpression": "SET v = :two ADD tags :y REMOVE old_note",
                        "ExpressionAttributeValues": {":two": {"N": "2"}, ":y": {"SS": ["y"]}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": _key("B")}},
                {"Put": {"TableName": TABLE, "Item": {**_key("C"), "v": {"N": "3"}}}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": _key("D"),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                },
            ]
        )

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    original = {**_key("A"), "v": {"N": "1"}, "tags": {"SS": ["x"]}, "old_note": {"S": "n"}}
    assert ddb.get_item(TableName=TABLE, Key=_key("A"))["Item"] == original
    assert ddb.get_item(TableName=TABLE, Key=_key("B"))["Item"] == {**_key("B"), "v": {"N": "1"}}
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=_key("C"))
    assert _table() is table and len(table.stream_shard.items) == shard_length
    assert reader.read() == []  # no records of the cancelled writes
    ddb.put_item(TableName=TABLE, Item=_key("E"))
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in reader.read()] == ["E"]  # and later ones are seen


def test_transaction_rejected_midway_is_rolled_back(aws_backend):
    ddb = boto3.client("dynamodb")
    reader = StreamReader()
    put = {"Put": {"TableName": TABLE, "Item": _key("A")}}
    with pytest.raises(ClientError) as rejected:  # moto applies the first action, then sees the duplicate
        ddb.transact_write_items(TransactItems=[put, put])

    assert rejected.value.response["Error"]["Code"] == "ValidationException"
    assert {} not in _table().items.values()  # no empty partition left behind
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=_key("A"))
    assert reader.read() == []


def test_queries_answer_as_moto_does(aws_backend, monkeypatch):
    ddb = boto3.client("dynamodb")
    rng = random.Random(7)
    for i in range(150):
        item = {**_key(f"P#{i % 7}", f"S#{rng.randrange(1000):04d}#{i}"), "n": {"N": str(i)}}
        if i % 3:
            item |= {"GSI1PK": {"S": f"G#{i % 4}"}, "GSI1SK": {"S": f"{rng.randrange(20):02d}"}}  # ties too
        if i % 5 == 0:
            item |= {"GSI2PK": {"S": f"H#{i % 2}"}, "GSI2SK": {"S": f"{i:04d}"}}
        ddb.put_item(TableName=TABLE, Item=item)
    queries = [
        {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#3"}}},
        {
            "KeyConditionExpression": "PK = :p AND SK BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":p": {"S": "P#1"}, ":a": {"S": "S#0200"}, ":b": {"S": "S#0700"}},
            "ScanIndexForward": False,
        },
        {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "nothing"}}},
        {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :p",
            "ExpressionAttributeValues": {":p": {"S": "G#1"}},
        },
        {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :p AND begins_with(GSI1SK, :s)",
            "ExpressionAttributeValues": {":p": {"S": "G#2"}, ":s": {"S": "1"}},
            "ScanIndexForward": False,
        },
        {
            "IndexName": "GSI2",
            "KeyConditionExpression": "GSI2PK = :p",
            "ExpressionAttributeValues": {":p": {"S": "H#0"}},
        },
    ]

    def pages(query: dict[str, Any]) -> list[dict[str, Any]]:
        answers, start = [], None
        for _ in range(100):
            page = ddb.query(TableName=TABLE, Limit=7, **query, **({"ExclusiveStartKey": start} if start else {}))
            page.pop("ResponseMetadata")
            answers.append(page)
            start = page.get("LastEvaluatedKey")
            if not start:
                return answers
        raise AssertionError("more than 100 pages")

    ours = [pages(q) for q in queries]
    monkeypatch.setattr(Table, "query", Table.query.__wrapped__)
    assert ours == [pages(q) for q in queries]
    assert sum(len(p["Items"]) for p in ours[0]) == len([i for i in range(150) if i % 7 == 3])


def test_attribute_values_serialize_as_moto_does(aws_backend, monkeypatch):
    ddb = boto3.client("dynamodb")
    item = {
        **_key("A"),
        "s": {"S": 'héllo "quoted" \n'},
        "empty": {"S": ""},
        "n": {"N": "-12.50"},
        "b": {"B": b"\x00\x01binary"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"x", b"y"]},
        "null": {"NULL": True},
        "yes": {"BOOL": True},
        "no": {"BOOL": False},
        "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"M": {}}, {"B": b"z"}]}, "flag": {"BOOL": False}}},
        "l": {"L": [{"L": []}, {"NULL": True}, {"SS": ["q"]}]},
    }
    ddb.put_item(TableName=TABLE, Item=item)
    ddb.put_item(TableName=TABLE, Item={**_key("A", "Y"), "v": {"S": "plain"}})

    def answers() -> list[Any]:
        got = [
            ddb.get_item(TableName=TABLE, Key=_key("A")),
            ddb.query(TableName=TABLE, KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "A"}}),
            ddb.update_item(
                TableName=TABLE,
                Key=_key("A", "Y"),
                UpdateExpression="SET v = :v",
                ExpressionAttributeValues={":v": {"S": "again"}},
                ReturnValues="ALL_OLD",
            ),
        ]
        for answer in got:
            answer.pop("ResponseMetadata")
        return got

    ours = answers()
    assert ours[0]["Item"] == item
    monkeypatch.setattr(
        BaseJSONSerializer, "_serialize_type_structure", BaseJSONSerializer._serialize_type_structure.__wrapped__
    )
    ddb.put_item(TableName=TABLE, Item={**_key("A", "Y"), "v": {"S": "plain"}})
    assert ours == answers()


def test_trimmed_stream_keeps_its_sequence_numbers(aws_backend):
    ddb = boto3.client("dynamodb")
    reader = StreamReader()
    for pk in ("A", "B", "C"):
        ddb.put_item(TableName=TABLE, Item=_key(pk))
    first = reader.read()
    last = int(first[-1]["dynamodb"]["SequenceNumber"])

    assert moto_fixes.trim_stream(_table(), before=last + 1) == 3
    assert moto_fixes.trim_stream(_table(), before=last + 1) == 0
    ddb.put_item(TableName=TABLE, Item=_key("D"))

    (record,) = reader.read()  # the iterator it held still works
    assert record["dynamodb"]["Keys"]["PK"]["S"] == "D"
    assert int(record["dynamodb"]["SequenceNumber"]) == last + 1
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in StreamReader().read()] == ["D"]  # TRIM_HORIZON: the rest


def test_stream_pump_trims_the_records_it_processed(aws_backend):
    from app import app

    source = next(s for s in app.event_sources if isinstance(s, DynamoDBEventConfig))
    delivered: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        delivered.extend(r["dynamodb"]["Keys"]["PK"]["S"] for r in event["Records"])
        if delivered == ["A"]:
            raise RuntimeError("router crashed")  # not processed: kept for the retry

    stream_pump = pump.StreamPump(source, handler, os.environ["TABLE_NAME"], boto3.session.Session())
    ddb = boto3.client("dynamodb")
    ddb.put_item(TableName=TABLE, Item=_key("A"))
    with pytest.raises(RuntimeError):
        stream_pump.poll()
    assert len(_table().stream_shard.items) == 1

    ddb.put_item(TableName=TABLE, Item=_key("B"))
    assert stream_pump.poll() is True
    assert delivered == ["A", "A", "B"]
    assert _table().stream_shard.items == []
    ddb.put_item(TableName=TABLE, Item=_key("C"))
    assert stream_pump.poll() is True
    assert delivered[-1] == "C"
    assert _table().stream_shard.items == []
