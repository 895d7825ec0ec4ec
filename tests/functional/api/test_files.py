"""Files: presign, upload to the presigned URL, processing (size, type, ClamAV,
thumbnails), attachments, visibility, download and deletion, through the real
handlers (the files queue into process_uploads)."""

from __future__ import annotations

import io
import os
import uuid

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from PIL import Image

from app import process_uploads
from chalicelib.ids import now_iso
from chalicelib.services import files as file_service
from chalicelib.store import channels as channel_store
from chalicelib.store import files as file_store
from chalicelib.store import workspaces as workspace_store
from tests.functional.workers.pipeline import LambdaContext, sqs_event
from tests.helpers import create_workspace, register

# The EICAR test file, assembled at run time so no scanner flags this repository.
EICAR = (r"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + r"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()


def _png(width=800, height=600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


def _presign(api, account, workspace_id, data, *, filename="shot.png", content_type="image/png", size=None):
    body = {"filename": filename, "contentType": content_type, "size": size or len(data), "workspaceId": workspace_id}
    return api.post("/v1/files/presign", body, token=account.access_token)


def _upload(api, account, workspace_id, data, **kw):
    made = _presign(api, account, workspace_id, data, **kw)
    assert made.status == 201, made.body
    put = requests.put(made.data["uploadUrl"], data=data, headers=made.data["headers"], timeout=10)
    assert put.status_code == 200, put.text
    return made.data["fileId"]


def _process_queue():
    """What Lambda does with the files queue (S3 notifications and confirm nudges)."""
    handled = 0
    while True:
        event, _ = sqs_event("files")
        if not event["Records"]:
            return handled
        for record in event["Records"]:
            answer = process_uploads({"Records": [record]}, LambdaContext())
            handled += 1 if answer == {"batchItemFailures": []} else 0


def _notification_of(file_id):
    """The queued S3 notification of one upload (S3 and moto also queue an
    s3:TestEvent when the notification is configured)."""
    while True:
        event, _ = sqs_event("files")
        assert event["Records"], f"no notification for {file_id}"
        for record in event["Records"]:
            if file_id in record["body"]:
                return record


def _file(api, account, file_id):
    return api.get(f"/v1/files/{file_id}", token=account.access_token)


@pytest.fixture
def owner_and_ws(api):
    owner = register(api, "jane")
    return owner, create_workspace(api, owner)


def test_an_image_is_processed_promoted_and_served(api, owner_and_ws):
    owner, ws = owner_and_ws
    file_id = _upload(api, owner, ws["id"], _png())
    assert _file(api, owner, file_id).data["status"] == "pending"
    _process_queue()
    shown = _file(api, owner, file_id).data
    assert (shown["status"], shown["kind"], shown["contentType"]) == ("ready", "image", "image/png")
    assert set(shown["thumbnails"]) == {"small", "medium", "large"}
    s3 = boto3.client("s3")
    bucket = os.environ["UPLOADS_BUCKET"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert f"files/{ws['id']}/{file_id}" in keys and not any(k.startswith("quarantine/") for k in keys)
    thumb = s3.get_object(Bucket=bucket, Key=f"thumbnails/{ws['id']}/{file_id}/small")["Body"].read()
    assert max(Image.open(io.BytesIO(thumb)).size) <= 160
    download = api.get(f"/v1/files/{file_id}/download", token=owner.access_token)
    assert download.status == 302 and download.headers["Location"] == download.data["url"]
    assert f"files/{ws['id']}/{file_id}" in download.headers["Location"]
    assert api.get(f"/v1/files/{file_id}/download?size=medium", token=owner.access_token).status == 302


def test_presign_normalizes_names_and_enforces_the_plan(api, owner_and_ws):
    owner, ws = owner_and_ws
    made = _presign(api, owner, ws["id"], b"x", filename="../../etc/pass\x07wd", content_type="text/plain")
    assert made.status == 201 and made.data["filename"] == "passwd"
    assert "quarantine/" in made.data["uploadUrl"] and "passwd" not in made.data["uploadUrl"]
    big = _presign(api, owner, ws["id"], b"x", size=file_service.MAX_BYTES["free"] + 1)
    assert (big.status, big.error["code"]) == (403, "E_PLAN_LIMIT")
    workspace_store.set_plan(ws["id"], "pro")
    assert _presign(api, owner, ws["id"], b"x", size=file_service.MAX_BYTES["free"] + 1).status == 201


def test_a_session_must_say_which_workspace(api, owner_and_ws):
    owner, _ = owner_and_ws
    answer = api.post(
        "/v1/files/presign", {"filename": "a", "contentType": "text/plain", "size": 1}, token=owner.access_token
    )
    assert (answer.status, answer.error["field"]) == (400, "workspaceId")
    assert "workspaceId" in answer.error["message"]


def test_the_specs_example_body_with_a_channel_takes_its_workspace(api, owner_and_ws):
    """The spec's body ({filename, contentType, size}) with a session names the workspace by
    channelId; a channel of a workspace the caller is not in is a 404, nothing recorded."""
    owner, ws = owner_and_ws
    example = {"filename": "screenshot.png", "contentType": "image/png", "size": 204800}
    made = api.post("/v1/files/presign", {**example, "channelId": ws["generalChannelId"]}, token=owner.access_token)
    assert made.status == 201, made.body
    assert file_store.get(made.data["fileId"]).workspace_id == ws["id"]
    stranger = register(api, "sam")
    create_workspace(api, stranger, "Elsewhere")
    theirs = api.post(
        "/v1/files/presign", {**example, "channelId": ws["generalChannelId"]}, token=stranger.access_token
    )
    assert (theirs.status, theirs.error["code"]) == (404, "E_NOT_FOUND")
    unknown = api.post("/v1/files/presign", {**example, "channelId": str(uuid.uuid4())}, token=owner.access_token)
    assert (unknown.status, unknown.error["code"]) == (404, "E_NOT_FOUND")


def test_confirm_before_the_upload_is_a_conflict_and_twice_is_harmless(api, owner_and_ws):
    owner, ws = owner_and_ws
    made = _presign(api, owner, ws["id"], b"hello", content_type="text/plain", filename="a.txt").data
    early = api.post(f"/v1/files/{made['fileId']}/confirm", token=owner.access_token)
    assert (early.status, early.error["code"]) == (409, "E_CONFLICT")
    requests.put(made["uploadUrl"], data=b"hello", headers=made["headers"], timeout=10)
    first = api.post(f"/v1/files/{made['fileId']}/confirm", token=owner.access_token)
    second = api.post(f"/v1/files/{made['fileId']}/confirm", token=owner.access_token)
    assert first.status == second.status == 200
    assert first.data["url"].endswith(f"/v1/files/{made['fileId']}/download")
    _process_queue()  # the S3 notification and two nudges: processed once
    assert _file(api, owner, made["fileId"]).data["status"] == "ready"


def test_eicar_is_rejected_as_infected_and_never_served(api, owner_and_ws):
    owner, ws = owner_and_ws
    file_id = _upload(api, owner, ws["id"], EICAR, filename="eicar.txt", content_type="text/plain")
    _process_queue()
    shown = _file(api, owner, file_id).data
    assert (shown["status"], shown["reason"]) == ("rejected", "infected")
    assert api.get(f"/v1/files/{file_id}/download", token=owner.access_token).status == 404
    bucket = os.environ["UPLOADS_BUCKET"]
    assert boto3.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        pytest.param(
            b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 10, "image/png", "type_mismatch", id="png header, no image"
        ),
        pytest.param(b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "image/png", "type_mismatch", id="executable as png"),
        pytest.param(b"%PDF-1.4 fake", "image/jpeg", "type_mismatch", id="pdf as jpeg"),
    ],
)
def test_the_real_type_must_match_the_declared_one(api, owner_and_ws, data, content_type, reason):
    owner, ws = owner_and_ws
    file_id = _upload(api, owner, ws["id"], data, content_type=content_type)
    _process_queue()
    assert (_file(api, owner, file_id).data["status"], _file(api, owner, file_id).data["reason"]) == (
        "rejected",
        reason,
    )


def test_a_body_larger_than_declared_is_rejected(api, owner_and_ws):
    owner, ws = owner_and_ws
    made = _presign(api, owner, ws["id"], b"", size=10, content_type="text/plain", filename="a.txt").data
    item = file_store.get(made["fileId"])
    # moto does not enforce the signed Content-Length: put more than declared directly.
    boto3.client("s3").put_object(Bucket=os.environ["UPLOADS_BUCKET"], Key=item.object_key, Body=b"x" * 5000)
    _process_queue()
    shown = _file(api, owner, made["fileId"]).data
    assert (shown["status"], shown["reason"]) == ("rejected", "too_large")


def test_a_duplicate_notification_processes_once(api, owner_and_ws, monkeypatch):
    owner, ws = owner_and_ws
    file_id = _upload(api, owner, ws["id"], _png(200, 200))
    record = _notification_of(file_id)
    scans = []
    from chalicelib.files import scanner

    real_scan = scanner.scan
    monkeypatch.setattr(scanner, "scan", lambda path: scans.append(path) or real_scan(path))
    assert process_uploads({"Records": [record]}, LambdaContext()) == {"batchItemFailures": []}
    assert process_uploads({"Records": [{**record, "messageId": "again"}]}, LambdaContext()) == {
        "batchItemFailures": []
    }
    assert len(scans) == 1 and _file(api, owner, file_id).data["status"] == "ready"


def test_a_processing_failure_is_retried_not_lost(api, owner_and_ws, monkeypatch):
    owner, ws = owner_and_ws
    file_id = _upload(api, owner, ws["id"], b"plain text", content_type="text/plain", filename="a.txt")
    monkeypatch.setenv("CLAMSCAN_PATH", "/nonexistent/clamscan")
    event = {"Records": [_notification_of(file_id)]}
    with pytest.raises(BatchProcessingError):  # the whole (one-message) batch failed: Lambda retries it
        process_uploads(event, LambdaContext())
    item = file_store.get(file_id)
    assert (item.status, int(item.failures)) == ("pending", 1) and "Scanner" in item.last_error
    monkeypatch.delenv("CLAMSCAN_PATH")
    assert process_uploads(event, LambdaContext()) == {"batchItemFailures": []}  # the retry
    assert _file(api, owner, file_id).data["status"] == "ready"


def _join(ws, account, role="member"):
    workspace_store.new_membership(ws["id"], account.user_id, role, now_iso()).save()


def test_attachments_and_who_may_see_them(api, owner_and_ws):
    owner, ws = owner_and_ws
    member, outsider = register(api, "bob"), register(api, "eve")
    _join(ws, member)
    private = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "secret", "type": "private"}, token=owner.access_token
    ).data
    file_id = _upload(api, owner, ws["id"], _png(300, 200))
    _process_queue()
    sent = api.post(
        f"/v1/channels/{private['id']}/messages",
        {"content": "look", "attachmentIds": [file_id]},
        token=owner.access_token,
    )
    assert sent.status == 201, sent.body
    (attached,) = sent.data["attachments"]
    assert (attached["id"], attached["filename"], attached["status"]) == (file_id, "shot.png", "ready")
    assert attached["url"].endswith(f"/v1/files/{file_id}/download") and set(attached["thumbnails"]) == {
        "small",
        "medium",
        "large",
    }
    assert _file(api, member, file_id).status == 404  # only in a private channel bob is not in
    assert file_id not in [f["id"] for f in api.get(f"/v1/workspaces/{ws['id']}/files", token=member.access_token).data]
    api.post(f"/v1/channels/{private['id']}/members", {"userIds": [member.user_id]}, token=owner.access_token)
    assert _file(api, member, file_id).status == 200
    assert file_id in [f["id"] for f in api.get(f"/v1/workspaces/{ws['id']}/files", token=member.access_token).data]
    assert _file(api, outsider, file_id).status == 404
    listed = api.get(f"/v1/workspaces/{ws['id']}/files?type=image&channelId={private['id']}", token=owner.access_token)
    assert [f["id"] for f in listed.data] == [file_id]
    assert api.get(f"/v1/workspaces/{ws['id']}/files?type=document", token=owner.access_token).data == []


def test_only_your_own_uploaded_files_can_be_attached(api, owner_and_ws):
    owner, ws = owner_and_ws
    member = register(api, "bob")
    _join(ws, member)
    mine = _upload(api, owner, ws["id"], b"text", content_type="text/plain", filename="a.txt")
    not_uploaded = _presign(api, owner, ws["id"], b"zz", content_type="text/plain", filename="b.txt").data["fileId"]
    general = ws["generalChannelId"]
    channel_store.new_member(channel_store.get(general), member.user_id, "member", now_iso()).save()
    for token, ids, field in (
        (member.access_token, [mine], "attachmentIds[0]"),
        (owner.access_token, [not_uploaded], "attachmentIds[0]"),
        (owner.access_token, ["01a2088c-37fa-72c1-8671-8ba9a11937e0"], "attachmentIds[0]"),
    ):
        answer = api.post(f"/v1/channels/{general}/messages", {"content": "x", "attachmentIds": ids}, token=token)
        assert (answer.status, answer.error["field"]) == (400, field)
    processing = api.post(
        f"/v1/channels/{general}/messages", {"content": "x", "attachmentIds": [mine]}, token=owner.access_token
    )
    assert processing.status == 201 and processing.data["attachments"][0]["status"] == "processing"
    _process_queue()  # the message's attachment follows the file's state
    message = api.get(f"/v1/messages/{processing.data['id']}", token=owner.access_token).data
    assert message["attachments"][0]["status"] == "ready"


def test_delete_removes_objects_and_detaches(api, owner_and_ws):
    owner, ws = owner_and_ws
    member = register(api, "bob")
    _join(ws, member)
    file_id = _upload(api, owner, ws["id"], _png(100, 100))
    _process_queue()
    sent = api.post(
        f"/v1/channels/{ws['generalChannelId']}/messages",
        {"content": "f", "attachmentIds": [file_id]},
        token=owner.access_token,
    ).data
    assert api.delete(f"/v1/files/{file_id}", token=member.access_token).status == 403
    assert api.delete(f"/v1/files/{file_id}", token=owner.access_token).status == 204
    assert _file(api, owner, file_id).status == 404
    assert api.get(f"/v1/messages/{sent['id']}", token=owner.access_token).data["attachments"] == []
    bucket = os.environ["UPLOADS_BUCKET"]
    assert boto3.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_scopes_and_foreign_ids(api, owner_and_ws):
    owner, ws = owner_and_ws
    reader = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "r", "scopes": ["files:read"]}, token=owner.access_token
    ).data["token"]
    denied = api.post("/v1/files/presign", {"filename": "a", "contentType": "text/plain", "size": 1}, token=reader)
    assert (denied.status, denied.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    assert api.get("/v1/files/not-an-id", token=owner.access_token).error["field"] == "fileId"
    assert api.get("/v1/files/01a2088c-37fa-72c1-8671-8ba9a11937e0", token=owner.access_token).status == 404


def test_served_images_carry_no_location_metadata(api, owner_and_ws):
    owner, ws = owner_and_ws
    photo = Image.new("RGB", (640, 480), "orange")
    exif = Image.Exif()
    exif[0x8825] = {2: (48.0, 51.0, 24.0), 1: "N"}  # GPSInfo
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif()  # the upload carries EXIF and GPS
    file_id = _upload(api, owner, ws["id"], data, filename="photo.jpg", content_type="image/jpeg")
    _process_queue()
    assert _file(api, owner, file_id).data["status"] == "ready"
    served = boto3.client("s3").get_object(Bucket=os.environ["UPLOADS_BUCKET"], Key=f"files/{ws['id']}/{file_id}")
    image = Image.open(io.BytesIO(served["Body"].read()))
    assert not image.getexif() and "exif" not in image.info


def test_deleting_a_file_you_cannot_see_is_not_found(api, owner_and_ws):
    owner, ws = owner_and_ws
    member = register(api, "bob")
    _join(ws, member)
    file_id = _upload(api, owner, ws["id"], b"private notes", content_type="text/plain", filename="n.txt")
    answer = api.delete(f"/v1/files/{file_id}", token=member.access_token)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")


def test_a_file_that_keeps_failing_lands_in_the_dead_letter_queue_marked(api, owner_and_ws, monkeypatch, aws_backend):
    owner, ws = owner_and_ws
    file_id = _upload(api, owner, ws["id"], b"plain text", content_type="text/plain", filename="a.txt")
    monkeypatch.setenv("CLAMSCAN_PATH", "/nonexistent/clamscan")  # the scanner is down
    sqs = boto3.client("sqs")
    queue = aws_backend["QUEUE_URL:FilesQueue"]
    dead_letters = aws_backend["QUEUE_URL:FilesDeadLetterQueue"]
    for _ in range(8):  # each failed delivery comes back until the redrive policy gives up
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"])
        for message in received.get("Messages", []):
            if file_id not in message["Body"]:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])  # the test event
                continue
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:files",
                "awsRegion": "us-east-1",
            }
            with pytest.raises(BatchProcessingError):
                process_uploads({"Records": [record]}, LambdaContext())
            sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    parked = sqs.receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10).get("Messages", [])
    assert [file_id in m["Body"] for m in parked] == [True]
    item = file_store.get(file_id)
    assert (item.status, int(item.failures)) == ("pending", 5) and "Scanner" in item.last_error
