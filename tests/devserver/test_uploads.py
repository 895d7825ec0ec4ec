"""The uploads bucket in the local runtime: presigned PUTs reach the files queue.

``create_all`` gives the embedded S3 the bucket's notification (ObjectCreated under
quarantine/ -> the files queue) and CORS from infra/resources.yaml. Checked twice:

- against moto's server over HTTP, as ``make run`` has it (devserver/runtime.py
  sets AWS_ENDPOINT_URL; the app's boto3 clients, chalicelib.aws, follow it), with a
  plain HTTP PUT to a presigned URL, as a browser or curl would send it;
- in-process with ``mock_aws``, as the tests' ``aws_backend`` fixture has it.

The URLs are presigned with Signature Version 4. boto3 presigns S3 URLs with SigV2
unless told otherwise in regions where S3 still has SigV2 (us-east-1 among them),
and S3 refuses SigV2 for buckets created since June 2020, which the uploads bucket
is; SigV2 also leaves Content-Length unsigned. moto accepts both.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from moto import mock_aws
from moto.server import ThreadedMotoServer

from chalicelib import aws, config
from devserver import resources
from infra import stack

UPLOAD = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


def drain(sqs: Any, url: str, wait: int = 0) -> list[dict[str, Any]]:
    """Every message body on the queue (each received once, then deleted)."""
    bodies: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        wait = 0


def created_keys(bodies: list[dict[str, Any]]) -> list[str]:
    """The keys, decoded as the processor decodes them (S3 sends them URL-encoded)."""
    return [
        unquote_plus(record["s3"]["object"]["key"])
        for body in bodies
        for record in body.get("Records", [])
        if record["eventName"].startswith("ObjectCreated:")
    ]


# --- moto's server, over HTTP ----------------------------------------------------------


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: a free one
    server.start()
    try:
        yield "http://{}:{}".format(*server.get_host_and_port())
    finally:
        server.stop()


@pytest.fixture
def local(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The resources in moto's server, and the app's settings pointing at them, as
    devserver/runtime.py sets them up."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    created = resources.create_all(boto3.session.Session(), prefix=f"disqua-{uuid.uuid4().hex[:8]}")
    for name, value in resources.app_environment(created).items():
        monkeypatch.setenv(name, value)
    config.reset()
    aws.reset()
    yield created
    config.reset()
    aws.reset()


def presign_put(key: str, content_type: str, size: int, s3: Any = None) -> str:
    """As chalicelib/store/objects.py presigns an upload (Content-Type and
    Content-Length signed), with a SigV4 client configured as the environment says."""
    s3 = s3 or boto3.client("s3", config=Config(signature_version="s3v4"))
    params = {"Bucket": os.environ["UPLOADS_BUCKET"], "Key": key, "ContentType": content_type, "ContentLength": size}
    return s3.generate_presigned_url("put_object", Params=params, ExpiresIn=900)


def test_the_apps_s3_client_presigns_urls_to_the_embedded_s3(local: dict[str, str], moto_server: str) -> None:
    parts = urlsplit(presign_put("quarantine/ws1/f0", "image/png", 10, s3=aws.client("s3")))
    assert f"{parts.scheme}://{parts.netloc}" == moto_server  # not amazonaws.com
    assert parts.path == f"/{local['UPLOADS_BUCKET']}/quarantine/ws1/f0"  # path-style: an IP endpoint


def test_the_apps_s3_client_presigns_with_signature_version_4(local: dict[str, str]) -> None:
    query = urlsplit(presign_put("quarantine/ws1/f0", "image/png", 10, s3=aws.client("s3"))).query
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in query
    assert "content-length" in query  # among X-Amz-SignedHeaders: S3 refuses another size


def test_a_presigned_put_points_at_the_embedded_s3_and_its_upload_reaches_the_files_queue(
    local: dict[str, str], moto_server: str
) -> None:
    sqs = boto3.client("sqs")
    queue = local["FILES_QUEUE_URL"]
    (test_event,) = drain(sqs, queue)  # sent when the notification was configured, as S3 does
    assert test_event["Event"] == "s3:TestEvent"
    assert test_event["Bucket"] == local["UPLOADS_BUCKET"]

    url = presign_put("quarantine/ws1/f1", "image/png", len(UPLOAD))
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == moto_server  # not amazonaws.com
    assert parts.path == f"/{local['UPLOADS_BUCKET']}/quarantine/ws1/f1"  # path-style: an IP endpoint
    assert "X-Amz-Signature=" in parts.query
    assert "X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost" in parts.query

    response = requests.put(url, data=UPLOAD, headers={"Content-Type": "image/png"}, timeout=10)
    assert response.status_code == 200, response.text

    (notification,) = drain(sqs, queue, wait=2)
    (record,) = notification["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == local["UPLOADS_BUCKET"]
    assert created_keys([notification]) == ["quarantine/ws1/f1"]
    stored = boto3.client("s3").get_object(Bucket=local["UPLOADS_BUCKET"], Key="quarantine/ws1/f1")
    assert stored["Body"].read() == UPLOAD

    from chalicelib.workers.files import object_keys  # what the processor makes of it

    assert object_keys(json.dumps(notification)) == ["quarantine/ws1/f1"]
    assert object_keys(json.dumps(test_event)) == []


def test_what_the_processor_writes_does_not_come_back_to_the_queue(local: dict[str, str]) -> None:
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    bucket, queue = local["UPLOADS_BUCKET"], local["FILES_QUEUE_URL"]
    drain(sqs, queue)
    response = requests.put(presign_put("thumbnails/ws1/f1/small", "image/jpeg", 3), data=b"jpg", timeout=10)
    assert response.status_code == 200, response.text
    s3.put_object(Bucket=bucket, Key="quarantine/ws1/f2", Body=b"x")
    # The promotion: a copy to files/ (ObjectCreated:Copy), then the quarantine copy goes.
    s3.copy_object(Bucket=bucket, Key="files/ws1/f2", CopySource={"Bucket": bucket, "Key": "quarantine/ws1/f2"})
    s3.delete_object(Bucket=bucket, Key="quarantine/ws1/f2")
    s3.put_object(Bucket=bucket, Key="elsewhere", Body=b"x")
    assert created_keys(drain(sqs, queue, wait=1)) == ["quarantine/ws1/f2"]


def test_browsers_may_put_from_another_origin(local: dict[str, str]) -> None:
    url = presign_put("quarantine/ws1/f3", "image/png", len(UPLOAD))
    preflight = requests.options(
        url,
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:5173")
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    # The rules are the template's, with its parameters' defaults.
    (rule,) = boto3.client("s3").get_bucket_cors(Bucket=local["UPLOADS_BUCKET"])["CORSRules"]
    (template,) = stack.template()["Resources"]["UploadsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == ["*"]
    assert rule["AllowedMethods"] == template["AllowedMethods"]
    assert rule["AllowedHeaders"] == template["AllowedHeaders"]
    assert rule["ExposeHeaders"] == template["ExposedHeaders"]
    assert rule["MaxAgeSeconds"] == template["MaxAge"]


# --- moto in-process (the tests' aws_backend) ------------------------------------------


def test_mock_aws_delivers_the_notifications_in_process_too() -> None:
    with mock_aws():
        created = resources.create_all(boto3.session.Session(), prefix="disqua-mock")
        sqs, s3 = boto3.client("sqs"), boto3.client("s3")
        bucket, queue = created["UPLOADS_BUCKET"], created["FILES_QUEUE_URL"]
        assert [body.get("Event") for body in drain(sqs, queue)] == ["s3:TestEvent"]
        s3.put_object(Bucket=bucket, Key="quarantine/ws1/f1", Body=UPLOAD)
        s3.put_object(Bucket=bucket, Key="thumbnails/ws1/f1/small", Body=b"jpg")
        s3.put_object(Bucket=bucket, Key="files/ws1/f1", Body=UPLOAD)
        assert created_keys(drain(sqs, queue)) == ["quarantine/ws1/f1"]
        # Nothing else is notified.
        for name, url in created.items():
            if name.startswith("QUEUE_URL:") and url != queue:
                assert drain(sqs, url) == [], name


def test_the_template_conversions() -> None:
    notifications = resources.bucket_notifications(
        {
            "QueueConfigurations": [
                {
                    "Event": "s3:ObjectCreated:*",
                    "Queue": {"Fn::GetAtt": ["FilesQueue", "Arn"]},
                    "Filter": {"S3Key": {"Rules": [{"Name": "Prefix", "Value": "quarantine/"}]}},
                }
            ]
        },
        {"FilesQueue": "arn:aws:sqs:us-east-1:123456789012:q"},
    )
    assert notifications == {
        "QueueConfigurations": [
            {
                "QueueArn": "arn:aws:sqs:us-east-1:123456789012:q",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "quarantine/"}]}},
            }
        ]
    }
    with pytest.raises(ValueError, match="only queues"):
        resources.bucket_notifications({"TopicConfigurations": []}, {})
    rule = {"AllowedMethods": ["PUT"], "AllowedOrigins": {"Ref": "AllowedOrigins"}}
    cors = resources.bucket_cors({"CorsRules": [rule]})
    assert cors == {"CORSRules": [{"AllowedMethods": ["PUT"], "AllowedOrigins": ["*"]}]}
