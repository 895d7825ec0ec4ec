"""/v1/files: presigned upload, confirm, details, download; /v1/workspaces/{id}/files."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import links
from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1 import views
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Enum, Id, Int, Obj, Str
from chalicelib.services import files

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Files")

CONTENT_TYPE = Str(
    min_len=3,
    max_len=127,
    lower=True,
    pattern=r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*",
    pattern_hint="must be a MIME type like image/png",
)


@v1.route(
    "/v1/files/presign",
    "POST",
    summary="Get a presigned upload URL (PUT the bytes with the returned headers, no auth header)",
    limit="upload",
    scope=scopes.FILES_WRITE,
    status=201,
    body=Obj(
        {
            "filename": Str(min_len=1, max_len=1024, strip=False, control_chars=True),
            "contentType": CONTENT_TYPE,
            "size": Int(minimum=1, maximum=files.MAX_BYTES["pro"]),
            "workspaceId": Id(
                required=False,
                description="Where the file goes. Without it: channelId's workspace, else a token's own "
                "workspace; a session with neither is 400 naming workspaceId",
            ),
            "channelId": Id(required=False, description="Names the workspace when workspaceId is absent"),
        }
    ),
)
def presign(call: Call) -> Any:
    b = call.body
    made = files.presign(
        call.user, b.get("workspaceId"), b["filename"], b["contentType"], b["size"], channel_id=b.get("channelId")
    )
    return {
        "fileId": made.file.id,
        "uploadUrl": made.upload_url,
        "expiresAt": made.expires_at,
        "method": "PUT",
        "headers": made.headers,
        "filename": made.file.filename,
    }


@v1.route(
    "/v1/files/{fileId}/confirm", "POST", summary="Confirm the upload: starts processing", scope=scopes.FILES_WRITE
)
def confirm(call: Call) -> Any:
    item = files.confirm(call.user, call.params["fileId"])
    return {"id": item.id, "url": links.file_download(item.id), "status": item.status}


@v1.route("/v1/files/{fileId}", "GET", summary="File details and processing status", scope=scopes.FILES_READ)
def get_file(call: Call) -> Any:
    return views.file(files.visible_file(call.user, call.params["fileId"]))


@v1.route(
    "/v1/files/{fileId}/download",
    "GET",
    summary="Download: a redirect to a short-lived URL (size: a thumbnail)",
    scope=scopes.FILES_READ,
    status=302,
    query=Obj({"size": Enum(("small", "medium", "large", "full"), required=False)}),
)
def download(call: Call) -> Any:
    url = files.download_url(call.user, call.params["fileId"], call.query.get("size"))
    return Reply({"url": url}, status=302, headers={"Location": url, "Cache-Control": "no-store"})


@v1.route(
    "/v1/workspaces/{workspaceId}/files",
    "GET",
    summary="List the files you may see in a workspace, newest first",
    scope=scopes.FILES_READ,
    query=page_query(
        type=Enum(("image", "video", "audio", "document", "other"), required=False),
        channelId=Id(required=False),
    ),
)
def list_files(call: Call) -> Any:
    items, position = files.list_files(
        call.user,
        call.params["workspaceId"],
        kind=call.query.get("type"),
        channel_id=call.query.get("channelId"),
        limit=call.query["limit"],
        position=call.position(),
    )
    return call.page([views.file(f) for f in items], position)


@v1.route(
    "/v1/files/{fileId}", "DELETE", summary="Delete a file (uploader or admin)", scope=scopes.FILES_WRITE, status=204
)
def delete_file(call: Call) -> Any:
    files.delete(call.user, call.params["fileId"])
    return Reply(status=204)
