"""Admin v2 message routes: /api/v2/messages (query), /api/v2/message (create, get, delete).

Every route answers the message bundle ``{messages[], users[], files[]}``
(services/admin_messages.py); bodies form-encoded or JSON. A message is written through
``services/messages.send`` as the token's creator: v1's rules and the moderation engine apply.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.admin import message_schemas  # noqa: F401 - their answers in the OpenAPI feed
from chalicelib.api.admin.channels import CHANNEL_ID
from chalicelib.api.admin.forms import AnyObject, FormInt, Upload
from chalicelib.api.admin.surface import AdminSurface
from chalicelib.api.routing import Call, Reply
from chalicelib.auth import scopes
from chalicelib.errors import ValidationError
from chalicelib.http.schema import Bool, Enum, Id, List, Obj, Str
from chalicelib.services import admin_messages

bp = Blueprint(__name__)
admin = AdminSurface(bp, tag="Admin v2: messages")

TAG = Str(min_len=1, max_len=64)
MESSAGE_PATH = {"messageId": Id(description="The message's id")}
WINDOW = FormInt(required=False, minimum=1, maximum=admin_messages.MAX_WINDOW)


@admin.route(
    "/api/v2/messages",
    "POST",
    summary="Query a channel's messages (parentId: a thread's replies; tags, excludeTags; windows "
    "options[after|before] (message ids) with options[first|last] (1-100, default last 20), oldest first)",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "channelId": CHANNEL_ID,
            "parentId": Id(required=False, description="A top-level message: its thread's replies"),
            "filterByParentId": Bool(
                required=False, default=False, from_string=True, description="Top-level messages only"
            ),
            "tags": List(TAG, required=False, max_items=20, unique=True, description="Messages carrying all of them"),
            "excludeTags": List(TAG, required=False, max_items=20, unique=True),
            "options": Obj(
                {
                    "after": Id(required=False, description="Messages after this message id (exclusive)"),
                    "before": Id(required=False, description="Messages before this message id (exclusive)"),
                    "first": WINDOW,
                    "last": WINDOW,
                    "token": Str(required=False, nullable=True, max_len=8192, description="paging.next or .previous"),
                },
                required=False,
                description="options[first]=10&options[after]=<id> or a JSON object",
            ),
        }
    ),
    idempotent=False,  # a read
    limit="read",
)
def query_messages(call: Call) -> Any:
    body = call.body
    options = body.get("options") or {}
    wanted = admin_messages.Query(
        channel_name=body["channelId"],
        parent_id=body.get("parentId"),
        filter_by_parent_id=bool(body.get("filterByParentId")),
        tags=tuple(body.get("tags") or ()),
        exclude_tags=tuple(body.get("excludeTags") or ()),
    )
    position = call.position()
    if position is not None:
        window = admin_messages.Window.from_position(position, wanted.fingerprint())
        for name in ("after", "before", "first", "last"):
            if options.get(name) is not None:
                raise ValidationError(
                    f"options[{name}] does not go with options[token] (the token holds its window).",
                    field=f"options.{name}",
                )
    else:
        window = admin_messages.window_of(options)
    bundle, later, earlier = admin_messages.query(call.user, wanted, window)
    return call.page(bundle.as_dict(), {"next": later, "previous": earlier})


@admin.route(
    "/api/v2/message/{messageId}",
    "GET",
    summary="Get a message",
    scope=scopes.ADMIN,
    params=MESSAGE_PATH,
)
def get_message(call: Call) -> Any:
    return admin_messages.get(call.user, call.params["messageId"]).as_dict()


@admin.route(
    "/api/v2/message",
    "POST",
    summary="Create a message as the token's creator (type text: data[text]; custom: any data; parentId: a "
    "thread reply): v1's posting rules and the moderation engine apply (E_MODERATION_BLOCKED)",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "channelId": CHANNEL_ID,
            "type": Enum(("text", "custom"), required=False, default="text"),
            "data": AnyObject(
                max_bytes=admin_messages.CUSTOM_DATA_BYTES,
                description="text: {text}; custom: any object (8 KB). data[text]=... or a JSON object",
            ),
            "tags": List(TAG, required=False, max_items=10, unique=True),
            "parentId": Id(required=False, description="A top-level message of the channel: a reply in its thread"),
            "metadata": AnyObject(required=False, description="metadata[key]=value or a JSON object (4 KB)"),
        }
    ),
    limit="send",
    limit_by="channelId",
)
def create_message(call: Call) -> Any:
    body = call.body
    return admin_messages.create(
        call.user,
        body["channelId"],
        data_type=body["type"],
        data=body["data"],
        tags=body.get("tags") or [],
        parent_id=body.get("parentId"),
        metadata=body.get("metadata"),
    ).as_dict()


@admin.route(
    "/api/v2/message/{messageId}",
    "DELETE",
    summary="Delete a message (v1's rules: a parent with replies stays as a tombstone); answers it, isDeleted",
    scope=scopes.ADMIN,
    params=MESSAGE_PATH,
)
def delete_message(call: Call) -> Any:
    return admin_messages.delete(call.user, call.params["messageId"]).as_dict()


UPLOAD_FIELDS = {
    "channelId": CHANNEL_ID,
    "file": Upload(description="The bytes (multipart file part; at most 10 MB: API Gateway's payload cap)"),
    "tags": List(TAG, required=False, max_items=10, unique=True),
    "parentId": Id(required=False, description="A top-level message of the channel: a reply in its thread"),
}


@admin.route(
    "/api/v2/messages/images",
    "POST",
    summary="Create an image message (multipart/form-data: file, caption, tags, parentId, fullImage): the v1 files "
    "pipeline scans it and makes its thumbnails",
    scope=scopes.ADMIN,
    body=Obj(
        {
            **UPLOAD_FIELDS,
            "caption": Str(required=False, max_len=admin_messages.message_service.MAX_CONTENT),
            "fullImage": Bool(required=False, default=False, from_string=True, description="Keep the full size"),
        }
    ),
    limit="upload",
)
def create_image_message(call: Call) -> Any:
    body = call.body
    return admin_messages.upload(
        call.user,
        body["channelId"],
        body["file"],
        kind="image",
        caption=body.get("caption") or "",
        tags=body.get("tags") or [],
        parent_id=body.get("parentId"),
        full_image=bool(body.get("fullImage")),
    ).as_dict()


@admin.route(
    "/api/v2/messages/files",
    "POST",
    summary="Create a file message (multipart/form-data: file, tags, parentId): the v1 files pipeline scans it",
    scope=scopes.ADMIN,
    body=Obj(UPLOAD_FIELDS),
    limit="upload",
)
def create_file_message(call: Call) -> Any:
    body = call.body
    return admin_messages.upload(
        call.user,
        body["channelId"],
        body["file"],
        kind="file",
        caption="",
        tags=body.get("tags") or [],
        parent_id=body.get("parentId"),
        full_image=False,
    ).as_dict()


def _bytes(found: tuple[bytes | None, str, str]) -> Reply:
    data, content_type, filename = found
    if data is None:  # past what a Lambda answers: the file's presigned URL
        return Reply(b"", status=302, headers={"Location": content_type, "Content-Type": "text/plain"})
    quoted = filename.replace('"', "")
    return Reply(data, headers={"Content-Type": content_type, "Content-Disposition": f'inline; filename="{quoted}"'})


@admin.route(
    "/api/v2/messages/{messageId}/images",
    "GET",
    summary="An image message's bytes (?size=small|medium|large (default medium)|full: full only when uploaded "
    "with fullImage true); send Accept: */* or the image's type. 409 E_FILE_NOT_READY until scanned",
    scope=scopes.ADMIN,
    params=MESSAGE_PATH,
    body=Obj({"size": Enum(admin_messages.IMAGE_SIZES, required=False)}),
    idempotent=False,
)
def get_image(call: Call) -> Any:
    return _bytes(admin_messages.media(call.user, call.params["messageId"], "image", call.body.get("size")))


@admin.route(
    "/api/v2/messages/{messageId}/files",
    "GET",
    summary="A file message's bytes (send Accept: application/octet-stream or */*). 409 E_FILE_NOT_READY until scanned",
    scope=scopes.ADMIN,
    params=MESSAGE_PATH,
    idempotent=False,
)
def get_file(call: Call) -> Any:
    found = admin_messages.media(call.user, call.params["messageId"], "file", None)
    return _bytes((found[0], "application/octet-stream" if found[0] is not None else found[1], found[2]))
