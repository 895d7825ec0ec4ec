"""Drive the real event handlers in-process: read the table's stream, call the
router handler with a Lambda-shaped event, then drain a queue into its consumer."""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.config import get_settings


class StreamReader:
    """Reads new stream records from where the last read stopped."""

    def __init__(self) -> None:
        self.streams = boto3.client("dynamodbstreams")
        table = boto3.client("dynamodb").describe_table(TableName=get_settings().table_name)["Table"]
        self.arn = table["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.streams.get_shard_iterator(
            StreamArn=self.arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]

    def read(self) -> list[dict[str, Any]]:
        answer = self.streams.get_records(ShardIterator=self.iterator)
        self.iterator = answer["NextShardIterator"]
        return [{**r, "eventSourceARN": self.arn} for r in answer["Records"]]


def sqs_event(queue: str, max_messages: int = 10) -> tuple[dict[str, Any], list[str]]:
    sqs = boto3.client("sqs")
    url = get_settings().queue_url(queue)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=max_messages, AttributeNames=["All"]).get(
        "Messages", []
    )
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}",
            "awsRegion": "us-east-1",
        }
        for m in messages
    ]
    return {"Records": records}, [m["ReceiptHandle"] for m in messages]


def queued_bodies(queue: str) -> list[dict[str, Any]]:
    event, _ = sqs_event(queue)
    return [json.loads(r["body"]) for r in event["Records"]]


class LambdaContext:
    function_name = "disqua-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:disqua-test"
    aws_request_id = "test-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def route(reader: StreamReader) -> None:
    """The stream's new records into the router, as Lambda's stream mapping hands them."""
    from app import route_events

    route_events({"Records": reader.read()}, LambdaContext())


def drain(queue: str, handler: Any) -> list[dict[str, Any]]:
    """The queue into its consumer (an app.py handler) until it is empty, every record
    acknowledged (no batch item failures); returns the records handled."""
    handled: list[dict[str, Any]] = []
    while True:
        event, _ = sqs_event(queue)
        if not event["Records"]:
            return handled
        assert handler(event, LambdaContext()) == {"batchItemFailures": []}
        handled += event["Records"]


def deliver(reader: StreamReader, queue: str, handler: Any) -> list[dict[str, Any]]:
    """What Lambda does with the events so far: the stream into the router, then ``queue``
    into its consumer."""
    route(reader)
    return drain(queue, handler)
