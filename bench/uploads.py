"""The files endpoints: DynamoDB calls and capacity of one request each, as in
bench/endpoints.py, for one upload of the bench's 1 MB JPEG (bench/processing.py).

The upload goes as a browser's would: presign, PUT of the bytes to the presigned URL
(moto answers it under ``mock_aws``, and S3's notification reaches the files queue),
confirm; then the files queue is drained into ``app.process_uploads`` as Lambda
would. Neither the PUT nor the processing is recorded (no request of the API; the
processing figure is bench/processing.py's). A page of the workspace's files holds
copies of the processed record (same sizes), written with BatchWriteItem.
"""

from __future__ import annotations

from typing import Any

from bench.endpoints import SEND, Runner, at_most

LISTED = 60  # files in the workspace: more than the default page of 50
PRESIGN_BUDGET = 2
CONFIRM_BUDGET = 2


class _LambdaContext:
    """What the SQS handler may read of Lambda's context."""

    function_name = "disqua-bench-process_uploads"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:disqua-bench-process_uploads"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 120_000


def scenario(s: Runner, jwt: str, workspace_id: str, channel_id: str) -> list[str]:
    """Upload, confirm, process, read, list, attach and delete one file, as the
    account (a member of ``channel_id``, public). Returns notes for the report."""
    import requests

    from bench.processing import noise_jpeg

    data = noise_jpeg()
    _, made = s.measure(
        "POST /v1/files/presign",
        "1 MB JPEG, session + workspaceId",
        token=jwt,
        body={"filename": "photo.jpg", "contentType": "image/jpeg", "size": len(data), "workspaceId": workspace_id},
        expect=201,
        budget=at_most(PRESIGN_BUDGET),
    )
    file_id = str(made.get("fileId"))
    put = requests.put(str(made.get("uploadUrl")), data=data, headers=made.get("headers") or {}, timeout=60)
    if put.status_code != 200:
        raise RuntimeError(f"PUT to the presigned URL answered {put.status_code}: {put.text[:200]}")
    one = f"/v1/files/{file_id}"
    s.measure(
        "POST /v1/files/{id}/confirm",
        "uploaded, pending (nudges the queue)",
        path=f"{one}/confirm",
        token=jwt,
        budget=at_most(CONFIRM_BUDGET),
    )
    handled = drain_files_queue()
    s.measure("GET /v1/files/{id}", "uploader, ready", path=one, token=jwt)
    s.request("GET /v1/files/{id}/download", "full size (302 to S3)", path=f"{one}/download", token=jwt, expect=302)
    copies = _copies_of(file_id, LISTED - 1)
    s.request(
        "GET /v1/workspaces/{id}/files",
        f"first page of 50 ({LISTED} files)",
        path=f"/v1/workspaces/{workspace_id}/files",
        token=jwt,
    )
    s.measure(
        SEND,
        "one attachment (ready)",
        path=f"/v1/channels/{channel_id}/messages",
        token=jwt,
        body={"content": "The photo.", "attachmentIds": [file_id]},
        expect=201,
    )
    s.measure("DELETE /v1/files/{id}", "uploader, attached to 1 message", path=one, token=jwt, expect=204)
    return [
        f"Upload: {len(data):,} bytes PUT to the presigned URL (S3, not counted); the files queue then held\n"
        f"{handled} messages (S3's test event, the upload's notification, confirm's nudge): processed once.",
        f"The listing's workspace holds the file and {copies} copies of its processed record (BatchWriteItem, "
        "not counted).",
    ]


def drain_files_queue() -> int:
    """What Lambda does with the files queue: each message to ``app.process_uploads``,
    one at a time (batch_size=1). Returns how many there were."""
    from app import process_uploads
    from chalicelib.aws import client
    from chalicelib.config import get_settings

    sqs = client("sqs")
    url = get_settings().queue_url("files")
    handled = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages")
        if not messages:
            return handled
        for message in messages:
            answer = process_uploads({"Records": [_record(url, message)]}, _LambdaContext())
            if answer != {"batchItemFailures": []}:
                raise RuntimeError(f"process_uploads failed: {answer}")
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1


def _record(url: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{url.rsplit('/', 1)[-1]}",
        "awsRegion": "us-east-1",
    }


def _copies_of(file_id: str, count: int) -> int:
    """``count`` records like the file's (new ids, same sizes) in its workspace's listing."""
    from bench import seed
    from chalicelib.ids import new_id
    from chalicelib.store import files as file_store
    from chalicelib.store import keys
    from chalicelib.store.models import File

    item = file_store.get(file_id)
    if item is None:
        raise RuntimeError(f"file {file_id} vanished before the listing")
    raw = item.serialize()

    def copy(new: str) -> File:
        return File.from_raw_data({**raw, "PK": {"S": keys.file(new)}, "GSI1SK": {"S": new}, "id": {"S": new}})

    return seed.write_items(copy(new_id()) for _ in range(count))
