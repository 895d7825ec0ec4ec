"""The uploads bucket: presigned URLs and the object operations the processor needs.
Object key formats live in chalicelib/store/keys.py."""

from __future__ import annotations

import os
from typing import Any

from chalicelib.aws import client


def bucket() -> str:
    name = os.environ.get("UPLOADS_BUCKET")
    if not name:
        raise RuntimeError("UPLOADS_BUCKET is not configured")
    return name


def presign_put(key: str, content_type: str, size: int, expires_in: int) -> str:
    """A PUT URL that signs Content-Type and Content-Length: the client must send
    exactly those (S3 rejects others; the processor checks again, since not every
    S3 implementation enforces them)."""
    return client("s3").generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket(), "Key": key, "ContentType": content_type, "ContentLength": size},
        ExpiresIn=expires_in,
    )


def presign_get(key: str, filename: str, content_type: str, expires_in: int) -> str:
    disposition = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket(),
            "Key": key,
            "ResponseContentDisposition": disposition,
            "ResponseContentType": content_type,
        },
        ExpiresIn=expires_in,
    )


def _quote(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename, safe="")


def size_of(key: str) -> int | None:
    """The object's real size, or None if it is not there."""
    from botocore.exceptions import ClientError

    try:
        return int(client("s3").head_object(Bucket=bucket(), Key=key)["ContentLength"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def download(key: str, path: str, max_bytes: int) -> int:
    """Stream the object into ``path``, refusing more than ``max_bytes`` (the
    declared size may lie and presigned-URL limits are not enforced everywhere)."""
    body = client("s3").get_object(Bucket=bucket(), Key=key)["Body"]
    written = 0
    with open(path, "wb") as out:
        for chunk in iter(lambda: body.read(1024 * 1024), b""):
            written += len(chunk)
            if written > max_bytes:
                raise ValueError("object larger than allowed")
            out.write(chunk)
    return written


def put_bytes(key: str, data: bytes, content_type: str) -> None:
    client("s3").put_object(Bucket=bucket(), Key=key, Body=data, ContentType=content_type)


def read_bytes(key: str) -> bytes:
    """An object's bytes (Admin v2 image and file messages: at most forms.MAX_UPLOAD_BYTES)."""
    return client("s3").get_object(Bucket=bucket(), Key=key)["Body"].read()


def move(source: str, target: str, content_type: str) -> None:
    """Copy then delete (S3 has no rename). A crash between the two leaves the
    quarantine copy, which its lifecycle rule removes."""
    s3 = client("s3")
    s3.copy_object(
        Bucket=bucket(),
        Key=target,
        CopySource={"Bucket": bucket(), "Key": source},
        ContentType=content_type,
        MetadataDirective="REPLACE",
    )
    s3.delete_object(Bucket=bucket(), Key=source)


def delete(*object_keys: str) -> None:
    if object_keys:
        client("s3").delete_objects(
            Bucket=bucket(), Delete={"Objects": [{"Key": k} for k in object_keys], "Quiet": True}
        )


def queue_notification(key: str) -> dict[str, Any]:
    """The body of an S3 ObjectCreated notification for ``key`` (what a confirm sends
    to the files queue, so processing starts even if S3's notification is late)."""
    return {
        "Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket()}, "object": {"key": key}}}]
    }
