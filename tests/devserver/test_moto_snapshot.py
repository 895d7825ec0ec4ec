"""tests/moto_snapshot.py, which gives each test a copy of what create_all made once:
the copy describes the same resources, behaves like them (S3 notifies the files queue,
writes reach the table's stream), and every copy starts as create_all left it, whatever
an earlier test did to its own."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import boto3
from moto import mock_aws

from devserver import resources
from tests import moto_snapshot

PREFIX = "disqua-snap"


def describe(env: dict[str, str]) -> dict[str, Any]:
    ddb, streams, sqs, s3 = (boto3.client(name) for name in ("dynamodb", "dynamodbstreams", "sqs", "s3"))
    table = ddb.describe_table(TableName=env["TABLE_NAME"])["Table"]
    stream = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]
    queues = {url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"] for url in _queues()}
    bucket = env["UPLOADS_BUCKET"]
    return {
        "table": table,
        "ttl": ddb.describe_time_to_live(TableName=env["TABLE_NAME"])["TimeToLiveDescription"],
        "stream": {key: stream[key] for key in ("StreamArn", "StreamStatus", "StreamViewType", "KeySchema")},
        "shards": len(stream["Shards"]),
        "queues": queues,
        "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]],
        "cors": s3.get_bucket_cors(Bucket=bucket)["CORSRules"],
        "notifications": s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"],
    }


def _queues() -> list[str]:
    return sorted(boto3.client("sqs").list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", []))


def drain(url: str) -> list[dict[str, Any]]:
    sqs, bodies = boto3.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return bodies


def stream_records(env: dict[str, str]) -> list[dict[str, Any]]:
    ddb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    arn = ddb.describe_table(TableName=env["TABLE_NAME"])["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    return streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]


def test_a_restored_copy_describes_and_behaves_like_what_create_all_made() -> None:
    with mock_aws():
        created = resources.create_all(boto3.session.Session(), prefix=PREFIX)
        made = describe(created)
        snapshot = moto_snapshot.take(created)
    with mock_aws():
        assert _queues() == []  # a fresh backend
        restored = snapshot.restore()
        assert restored == created
        assert describe(restored) == made
        assert len(made["queues"]) >= 10 and made["notifications"] and made["table"]["GlobalSecondaryIndexes"]
        # S3 notifies the files queue of an upload (after create_all's s3:TestEvent).
        files_queue = restored["FILES_QUEUE_URL"]
        assert [body.get("Event") for body in drain(files_queue)] == ["s3:TestEvent"]
        boto3.client("s3").put_object(Bucket=restored["UPLOADS_BUCKET"], Key="quarantine/ws1/f1", Body=b"x")
        (notified,) = drain(files_queue)
        assert unquote(notified["Records"][0]["s3"]["object"]["key"]) == "quarantine/ws1/f1"  # encoded, as S3 does
        # Writes reach the table's stream.
        boto3.client("dynamodb").put_item(TableName=restored["TABLE_NAME"], Item={"PK": {"S": "A"}, "SK": {"S": "B"}})
        assert [r["eventName"] for r in stream_records(restored)] == ["INSERT"]


def test_each_copy_starts_as_create_all_left_it() -> None:
    with mock_aws():
        snapshot = moto_snapshot.take(resources.create_all(boto3.session.Session(), prefix=PREFIX))
    with mock_aws():
        env = snapshot.restore()
        ddb, sqs, s3 = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3")
        ddb.put_item(TableName=env["TABLE_NAME"], Item={"PK": {"S": "A"}, "SK": {"S": "B"}})
        sqs.send_message(QueueUrl=env["EMAIL_QUEUE_URL"], MessageBody="{}")
        drain(env["FILES_QUEUE_URL"])
        s3.put_object(Bucket=env["UPLOADS_BUCKET"], Key="files/ws1/f1", Body=b"x")
        s3.put_bucket_notification_configuration(Bucket=env["UPLOADS_BUCKET"], NotificationConfiguration={})
    with mock_aws():
        env = snapshot.restore()
        ddb, sqs, s3 = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3")
        assert ddb.scan(TableName=env["TABLE_NAME"])["Items"] == []
        assert stream_records(env) == []
        assert drain(env["EMAIL_QUEUE_URL"]) == []
        assert [body.get("Event") for body in drain(env["FILES_QUEUE_URL"])] == ["s3:TestEvent"]
        assert s3.list_objects_v2(Bucket=env["UPLOADS_BUCKET"]).get("Contents", []) == []
        assert s3.get_bucket_notification_configuration(Bucket=env["UPLOADS_BUCKET"])["QueueConfigurations"]


def test_the_snapshot_knows_every_service_create_all_uses() -> None:
    """A resource of another service (a topic, a second kind of store) would be made by
    create_all in the first test of a process and missing from every copy after it."""
    used: set[str] = set()

    class Recording:
        def __init__(self) -> None:
            self._session = boto3.session.Session()

        def client(self, service: str, **kwargs: Any) -> Any:
            used.add(service)
            return self._session.client(service, **kwargs)

    with mock_aws():
        resources.create_all(Recording(), prefix=PREFIX)
    stored = {service for service, _region, _attribute in moto_snapshot.STORES}
    assert used <= stored, f"add the stores of {sorted(used - stored)} to tests/moto_snapshot.py STORES"
