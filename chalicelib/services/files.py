"""Files: presigned upload, processing, attachments, listing, download, deletion.

Flow: ``presign`` records a pending file and returns a presigned PUT for a key the
server made under ``quarantine/``; the client PUTs the bytes; S3's ObjectCreated
notification (through the files queue) or ``confirm`` starts processing. The
processor trusts nothing the client said: it reads the real size, sniffs the real
type, scans with ClamAV, makes thumbnails (metadata stripped), then promotes the
clean object out of quarantine. Processing happens once: the record's conditional
pending -> processing step decides who does it.

Who sees a file: its uploader, and anyone who can see a channel it was shared in
(a file shared only in private channels is visible to their members). Plans limit
the size of one file (free 25 MB, pro 1 GB).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, DisquaError, Forbidden, NotFound, PlanLimit, ValidationError
from chalicelib.ids import iso, new_id, now_iso
from chalicelib.observability import count, logger
from chalicelib.services import authz
from chalicelib.store import files as file_store
from chalicelib.store import keys, objects
from chalicelib.store import messages as message_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import Channel, File
from chalicelib.store.outbox import new_event

MAX_BYTES = {"free": 25 * 1024 * 1024, "pro": 1024 * 1024 * 1024}
UPLOAD_URL_SECONDS = 15 * 60
DOWNLOAD_URL_SECONDS = 60
PROCESSING_LEASE_SECONDS = 600


class StillProcessing(DisquaError):
    code = "E_FILE_NOT_READY"
    status = 409
    default_message = "The file is still being processed."


def kind_of(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    if major in ("image", "video", "audio"):
        return major
    if major == "text" or content_type in ("application/pdf", "application/msword") or "officedocument" in content_type:
        return "document"
    return "other"


@dataclass(frozen=True)
class Presigned:
    file: File
    upload_url: str
    expires_at: str
    headers: dict[str, str]


# --- uploading -------------------------------------------------------------------------


def _workspace_of(principal: Principal, workspace_id: str | None, channel_id: str | None = None) -> str:
    """The workspace an upload goes to: ``workspaceId``; else the workspace of ``channelId``
    (the channel the file is meant for: the spec's example body names neither, a client
    usually knows the channel); else an API or OAuth token's own workspace. A session with
    neither is a 400 naming workspaceId. Who may upload there is decided by the caller
    (workspace_access): a channel of a workspace the caller is not in is a 404 like any."""
    if workspace_id is None and channel_id is not None:
        from chalicelib.store import channels as channel_store

        channel = channel_store.get(channel_id)
        if channel is None:
            raise NotFound("Channel not found.")
        return channel.workspace_id
    if workspace_id is None:
        if principal.workspace_id is None:
            raise ValidationError(
                "workspaceId is required with a user session (or channelId, to upload to its workspace).",
                field="workspaceId",
            )
        return principal.workspace_id
    return workspace_id


def presign(
    principal: Principal,
    workspace_id: str | None,
    filename: str,
    content_type: str,
    size: int,
    channel_id: str | None = None,
) -> Presigned:
    """Two calls: the workspace and membership (the plan), and the record (a third, the
    channel, when the workspace is named by channelId)."""
    from chalicelib.files.inspect import safe_filename

    workspace_id = _workspace_of(principal, workspace_id, channel_id)
    workspace, _ = authz.workspace_access(principal, workspace_id, scope=scopes.FILES_WRITE)
    limit = MAX_BYTES.get(workspace.plan, MAX_BYTES["free"])
    if size > limit:
        raise PlanLimit(f"Files on the {workspace.plan} plan are at most {limit // (1024 * 1024)} MB.")
    item = file_store.new_file(
        new_id(),
        workspace_id,
        uploader_id=principal.user_id,
        filename=safe_filename(filename),
        content_type=content_type,
        kind=kind_of(content_type),
        size=size,
        created_at=now_iso(),
    )
    file_store.put(item)
    url = objects.presign_put(item.object_key, content_type, size, UPLOAD_URL_SECONDS)
    expires = iso(datetime.now(UTC) + timedelta(seconds=UPLOAD_URL_SECONDS))
    return Presigned(item, url, expires, {"Content-Type": content_type, "Content-Length": str(size)})


def _own_file(principal: Principal, file_id: str) -> File:
    item = file_store.get(file_id)
    if item is None or item.uploader_id != principal.user_id:
        raise NotFound("File not found.")
    authz.require_object_workspace(principal, item.workspace_id, "File")
    return item


def confirm(principal: Principal, file_id: str) -> File:
    """The client says the bytes are up. One DynamoDB call; if the object is there
    and still pending, the files queue is nudged (the processor's claim makes a
    second start harmless). Before the upload exists: 409."""
    authz.require_scope(principal, scopes.FILES_WRITE)
    item = _own_file(principal, file_id)
    if item.status == "pending":
        if objects.size_of(item.object_key) is None:
            raise Conflict("The upload has not arrived: PUT the bytes to uploadUrl first.")
        from chalicelib.aws import client

        client("sqs").send_message(
            QueueUrl=get_settings().queue_url("files"),
            MessageBody=json.dumps(objects.queue_notification(item.object_key)),
        )
    return item


# --- processing ------------------------------------------------------------------------


def process_upload(object_key: str) -> None:
    """The processor (files queue). Raises to have the message retried (and, after
    the queue's maximum, moved to its DLQ) with the file back to pending and the error
    noted on it; every other outcome is final."""
    file_id = keys.file_id_of_object(object_key)
    item = file_store.get(file_id) if file_id else None
    if item is None or item.object_key != object_key:
        return  # not ours, or already promoted
    if not file_store.claim(item, PROCESSING_LEASE_SECONDS):
        return  # done, or in another delivery's hands
    try:
        outcome = _inspect_and_promote(item)
    except Exception as error:
        file_store.release(item, repr(error))
        raise
    event_type, data = file_event(item, outcome)
    file_store.finish(item, outcome, new_event(event_type, data, workspace_id=item.workspace_id))
    count("FileReady" if outcome["status"] == "ready" else "FileRejected")
    _refresh_attachments(item, outcome)


def file_event(item: File, outcome: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The event a processed file raises (webhooks consume it): file.ready or file.rejected.

    No file name: a webhook is workspace-wide, and a file is seen by the channels it is
    shared in (an upload for a private channel would name itself to every receiver).
    A receiver that may see the file reads it with GET /v1/files/{id}."""
    data: dict[str, Any] = {
        "workspaceId": item.workspace_id,
        "fileId": item.id,
        "uploaderId": item.uploader_id,
        "contentType": outcome.get("content_type", item.content_type),
        "size": int(outcome.get("size", item.size)),
        "kind": outcome.get("kind", item.kind),
        "processedAt": outcome["processed_at"],
    }
    if outcome["status"] == "ready":
        return "file.ready", {**data, "hasThumbnails": bool(outcome.get("thumbnails"))}
    return "file.rejected", {**data, "reason": outcome["reason"]}


def deleted_data(item: File, deleted_by: str) -> dict[str, Any]:
    """file.deleted: who deleted which file (no name, as for file.ready). Search drops it and
    webhooks announce it; the objects are already gone when it is raised."""
    return {
        "workspaceId": item.workspace_id,
        "fileId": item.id,
        "uploaderId": item.uploader_id,
        "deletedBy": deleted_by,
    }


def _reject(item: File, reason: str) -> dict[str, Any]:
    objects.delete(item.object_key)
    logger().info("file rejected", extra={"fileId": item.id, "reason": reason})
    return {"status": "rejected", "reason": reason, "processed_at": now_iso()}


def _inspect_and_promote(item: File) -> dict[str, Any]:
    from chalicelib.files import inspect, scanner, thumbnails

    workspace = workspace_store.get(item.workspace_id)
    allowed = min(int(item.size), MAX_BYTES.get(workspace.plan if workspace else "free", MAX_BYTES["free"]))
    real_size = objects.size_of(item.object_key)
    if real_size is None:
        return {"status": "rejected", "reason": "missing", "processed_at": now_iso()}
    if real_size > allowed:
        return _reject(item, "too_large")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "upload")
        try:
            objects.download(item.object_key, path, allowed)
        except ValueError:
            return _reject(item, "too_large")
        with open(path, "rb") as handle:
            sniffed = inspect.sniff(handle.read(8192))
        if not inspect.type_matches(item.content_type, sniffed):
            return _reject(item, "type_mismatch")
        verdict = scanner.scan(path)  # ScannerUnavailable: retried, never passed as clean
        if not verdict.clean:
            return _reject(item, "infected")
        content_type = sniffed or item.content_type
        thumbs: dict[str, str] = {}
        cleaned: tuple[bytes, str] | None = None
        if sniffed in inspect.ACCEPTED_IMAGE_TYPES:
            with open(path, "rb") as handle:
                data = handle.read()
            try:
                made = thumbnails.make_thumbnails(data)
                # The full image is served re-encoded without metadata (no EXIF/GPS).
                cleaned = thumbnails.strip_metadata(data)
            except thumbnails.ImageRejected as rejected:
                reasons = {"decompression_bomb": "decompression_bomb", "too_large": "too_large"}
                return _reject(item, reasons.get(rejected.reason, "type_mismatch"))
            for size, (blob, blob_type) in made.items():
                key = keys.thumbnail_object(item.workspace_id, item.id, size)
                objects.put_bytes(key, blob, blob_type)
                thumbs[size] = key
    target = keys.promoted_object(item.workspace_id, item.id)
    if cleaned is not None:
        content_type = cleaned[1]
        objects.put_bytes(target, cleaned[0], content_type)
        objects.delete(item.object_key)
        real_size = len(cleaned[0])
    else:
        objects.move(item.object_key, target, content_type)
    return {
        "status": "ready",
        "size": real_size,
        "content_type": content_type,
        "kind": kind_of(content_type),
        "object_key": target,
        "thumbnails": thumbs,
        "processed_at": now_iso(),
    }


def _refresh_attachments(item: File, outcome: dict[str, Any]) -> None:
    """Messages show their attachments' state: bring them up to date."""
    for ref in sorted(item.message_refs or ()):
        channel_id, sort_key = ref.split("|", 1)
        message = message_store.get(channel_id, sort_key)
        if message is None:
            continue
        updated = [
            {
                **a,
                "status": outcome["status"],
                "size": outcome.get("size", a.get("size")),
                "hasThumbnails": bool(outcome.get("thumbnails")),
            }
            if a.get("id") == item.id
            else a
            for a in message.attachments or []
        ]
        message_store.set_attachments(channel_id, sort_key, updated)


# --- attaching, reading, deleting --------------------------------------------------------


def attachments_for(principal: Principal, channel: Channel, file_ids: list[str]) -> list[File]:
    """The caller's own files of that workspace, uploaded (ready, or processing)."""
    found = file_store.get_many(file_ids)
    chosen = []
    for index, file_id in enumerate(file_ids):
        item = found.get(file_id)
        field = f"attachmentIds[{index}]"
        if item is None or item.uploader_id != principal.user_id or item.workspace_id != channel.workspace_id:
            raise ValidationError(f"{field} is not one of your files in this workspace.", field=field)
        if item.status == "rejected":
            raise ValidationError(f"{field} was rejected ({item.reason}).", field=field)
        if item.status == "pending" and objects.size_of(item.object_key) is None:
            raise ValidationError(f"{field} has not been uploaded.", field=field)
        chosen.append(item)
    return chosen


def summary(item: File) -> dict[str, Any]:
    """What a message keeps about an attached file."""
    return {
        "id": item.id,
        "filename": item.filename,
        "contentType": item.content_type,
        "size": int(item.size),
        "kind": item.kind,
        "status": "processing" if item.status == "pending" else item.status,
        "hasThumbnails": bool(item.thumbnail_keys()),
    }


def share(items: list[File], channel: Channel, message_ref: str) -> None:
    for item in items:
        file_store.share(item, channel.id, channel.channel_type == "private", message_ref)


def _may_see(principal: Principal, item: File, member_of: set[str]) -> bool:
    if item.uploader_id == principal.user_id:
        return True
    if item.public_channel_ids:
        return True  # shared in a public channel: every workspace member sees those
    return bool(set(item.private_channel_ids or ()) & member_of)


def visible_file(principal: Principal, file_id: str) -> File:
    authz.require_scope(principal, scopes.FILES_READ)
    item = file_store.get(file_id)
    if item is None:
        raise NotFound("File not found.")
    authz.require_object_workspace(principal, item.workspace_id, "File")
    membership = workspace_store.get_membership(item.workspace_id, principal.user_id)
    authz.refuse_banned(membership)
    member_of = file_store.channel_memberships(principal.user_id, set(item.private_channel_ids or ()) - {""})
    if membership is None or not _may_see(principal, item, member_of):
        raise NotFound("File not found.")
    return item


def download_url(principal: Principal, file_id: str, size: str | None) -> str:
    item = visible_file(principal, file_id)
    if item.status == "rejected":
        raise NotFound("File not found.")
    if item.status != "ready":
        raise StillProcessing()
    if size is None or size == "full":
        return objects.presign_get(item.object_key, item.filename, item.content_type, DOWNLOAD_URL_SECONDS)
    key = item.thumbnail_keys().get(size)
    if key is None:
        raise NotFound("This file has no thumbnail of that size.")
    return objects.presign_get(key, item.filename, "image/jpeg", DOWNLOAD_URL_SECONDS)


def list_files(
    principal: Principal,
    workspace_id: str,
    *,
    kind: str | None,
    channel_id: str | None,
    limit: int,
    position: dict[str, Any] | None,
) -> tuple[list[File], dict[str, Any] | None]:
    """Newest first. Filters and visibility apply to each page as read, so a page
    may come out shorter than ``limit``; the cost stays that of one page."""
    authz.workspace_access(principal, workspace_id, scope=scopes.FILES_READ)
    page = file_store.list_for_workspace(workspace_id, limit=limit, position=position)
    private = {c for f in page.items for c in (f.private_channel_ids or ())}
    member_of = file_store.channel_memberships(principal.user_id, private)
    items = [f for f in page.items if f.status != "rejected" and _may_see(principal, f, member_of)]
    if kind is not None:
        items = [f for f in items if f.kind == kind]
    if channel_id is not None:
        items = [f for f in items if channel_id in set(f.public_channel_ids or ()) | set(f.private_channel_ids or ())]
    return items, page.position


def delete(principal: Principal, file_id: str) -> None:
    """The uploader or a workspace admin: the objects, the thumbnails, the record,
    and the file's entry in every message it was attached to."""
    authz.require_scope(principal, scopes.FILES_WRITE)
    item = file_store.get(file_id)
    if item is None:
        raise NotFound("File not found.")
    authz.require_object_workspace(principal, item.workspace_id, "File")
    membership = workspace_store.get_membership(item.workspace_id, principal.user_id)
    if membership is None:
        raise NotFound("File not found.")
    authz.refuse_banned(membership)
    is_admin = authz.acts_as_admin(principal, membership)
    if item.uploader_id != principal.user_id and not is_admin:
        member_of = file_store.channel_memberships(principal.user_id, set(item.private_channel_ids or ()))
        if not _may_see(principal, item, member_of):
            raise NotFound("File not found.")
        raise Forbidden("Only the uploader or a workspace admin may delete a file.")
    for ref in sorted(item.message_refs or ()):
        channel_id, sort_key = ref.split("|", 1)
        message = message_store.get(channel_id, sort_key)
        if message is not None:
            kept = [a for a in message.attachments or [] if a.get("id") != item.id]
            message_store.set_attachments(channel_id, sort_key, kept)
    objects.delete(item.object_key, *item.thumbnail_keys().values())
    event = new_event("file.deleted", deleted_data(item, principal.user_id), workspace_id=item.workspace_id)
    file_store.delete(item, event)
