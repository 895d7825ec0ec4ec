"""The local runtime's pumps, driven in-process against moto: Lambda's delivery and
retry rules for the table stream and the SQS queues (the subprocess tests only see
the happy path)."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from chalice.app import DynamoDBEventConfig, SQSEventConfig

from devserver import pump

pytestmark = pytest.mark.e2e


def _source(kind: type) -> Any:
    from app import app

    return next(s for s in app.event_sources if isinstance(s, kind))


def _drain(queue_pump: pump.QueuePump, polls: int = 10) -> None:
    for _ in range(polls):
        if not queue_pump.poll():
            return
    raise AssertionError("the queue did not drain")


def test_sqs_partial_failure_retries_only_the_failed_message_then_dead_letters_it(aws_backend, monkeypatch):
    monkeypatch.setattr(pump, "SQS_RETRY_SECONDS", 0)  # no waiting between attempts
    session = boto3.session.Session()
    sqs = session.client("sqs")
    url = os.environ["EMAIL_QUEUE_URL"]
    for body in ("good", "bad"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    deliveries: list[tuple[str, str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["Records"]:
            assert record["eventSource"] == "aws:sqs"
            assert record["eventSourceARN"].endswith(":disqua-test-EmailQueue")
            deliveries.append((record["body"], record["attributes"]["ApproximateReceiveCount"]))
        return {
            "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]
        }

    _drain(pump.QueuePump(_source(SQSEventConfig), handler, url, session))

    assert [n for body, n in deliveries if body == "good"] == ["1"]
    assert [n for body, n in deliveries if body == "bad"] == ["1", "2", "3", "4", "5"]  # maxReceiveCount: 5
    dead = sqs.receive_message(QueueUrl=aws_backend["QUEUE_URL:EmailDeadLetterQueue"], MaxNumberOfMessages=10)
    assert [m["Body"] for m in dead["Messages"]] == ["bad"]


def test_sqs_handler_that_raises_gets_the_whole_batch_again(aws_backend, monkeypatch):
    monkeypatch.setattr(pump, "SQS_RETRY_SECONDS", 0)
    session = boto3.session.Session()
    url = os.environ["EMAIL_QUEUE_URL"]
    session.client("sqs").send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)]
    )
    batches: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        batches.append(sorted(r["body"] for r in event["Records"]))
        if len(batches) == 1:
            raise RuntimeError("worker crashed")

    _drain(pump.QueuePump(_source(SQSEventConfig), handler, url, session))

    assert batches == [["m0", "m1", "m2"], ["m0", "m1", "m2"]]


def test_stream_batch_that_fails_is_delivered_again_from_the_same_position(aws_backend):
    session = boto3.session.Session()
    table = os.environ["TABLE_NAME"]
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        events.append(event)
        if len(events) == 1:
            raise RuntimeError("router crashed")

    stream_pump = pump.StreamPump(_source(DynamoDBEventConfig), handler, table, session)
    session.client("dynamodb").put_item(TableName=table, Item={"PK": {"S": "p"}, "SK": {"S": "s"}, "n": {"N": "1"}})

    with pytest.raises(RuntimeError):
        stream_pump.poll()
    assert stream_pump.poll() is True
    assert stream_pump.poll() is False  # delivered: the iterator moved on

    first, second = events
    assert [r["eventID"] for r in first["Records"]] == [r["eventID"] for r in second["Records"]]
    (record,) = second["Records"]
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == stream_pump.stream_arn
    assert record["dynamodb"]["Keys"] == {"PK": {"S": "p"}, "SK": {"S": "s"}}
    assert record["dynamodb"]["NewImage"]["n"] == {"N": "1"}
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b"}),  # unknown id: Lambda fails the batch
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
    ],
)
def test_partial_batch_response_is_read_as_lambda_reads_it(response, failed):
    assert pump.failed_ids(response, {"a", "b"}) == failed
