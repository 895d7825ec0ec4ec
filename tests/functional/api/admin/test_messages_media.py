"""Admin v2 image and file messages: a multipart upload becomes a file of the v1 pipeline
(scanned, type-checked, thumbnails) and a message with it; GET .../images?size and .../files
answer the bytes only once the file is ready; fullImage decides whether size=full exists."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from PIL import Image

from tests.functional.api.admin.conftest import send
from tests.functional.api.admin.test_channels import create as create_channel
from tests.functional.api.admin.test_channels import error_of
from tests.functional.api.test_files import EICAR, _process_queue


def png(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, filename, content_type, data in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        out += (head + f"Content-Type: {content_type}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(console, route: str, fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]):
    body, content_type = multipart(fields, files)
    headers = {"Authorization": f"Bearer {console.token}", "Content-Type": content_type}
    response = console.api.client.http.post(f"/api/v2/messages/{route}", headers=headers, body=body)
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    return response.status_code, json.loads(text)


def fetch(console, path: str, accept: str):
    headers = {"Authorization": f"Bearer {console.token}", "Accept": accept}
    return console.api.client.http.get(path, headers=headers)


@pytest.fixture
def lobby(console):
    create_channel(console, "lobby")


def test_an_image_message_is_served_once_ready(console, lobby):
    image = png()
    status, body = upload(
        console,
        "images",
        [("channelId", "lobby"), ("caption", "our board"), ("tags[]", "photos"), ("fullImage", "true")],
        [("file", "board.png", "image/png", image)],
    )
    assert status == 200, body
    (message,) = body["messages"]
    assert message["dataType"] == "image" and message["tags"] == ["photos"]
    assert message["data"]["caption"] == "our board" and message["data"]["fullImage"] is True
    path = f"/api/v2/messages/{message['messageId']}/images"
    waiting = fetch(console, f"{path}?size=small", "*/*")
    assert waiting.status_code == 409 and json.loads(waiting.body)["type"] == "E_FILE_NOT_READY"
    assert _process_queue() >= 1
    small = fetch(console, f"{path}?size=small", "*/*")
    assert small.status_code == 200 and small.headers["Content-Type"].startswith("image/")
    assert max(Image.open(io.BytesIO(small.body)).size) == 160
    full = fetch(console, f"{path}?size=full", "*/*")
    assert full.status_code == 200 and Image.open(io.BytesIO(full.body)).size == (800, 600)
    medium = fetch(console, path, "*/*")  # no size: medium
    assert max(Image.open(io.BytesIO(medium.body)).size) == 480
    assert json.loads(fetch(console, f"{path}?size=huge", "*/*").body)["field"] == "size"
    files = fetch(console, f"/api/v2/messages/{message['messageId']}/files", "application/octet-stream")
    assert files.status_code == 404  # an image message has no file


def test_full_size_only_with_full_image(console, lobby):
    status, body = upload(console, "images", [("channelId", "lobby")], [("file", "a.png", "image/png", png())])
    assert status == 200, body
    _process_queue()
    path = f"/api/v2/messages/{body['messages'][0]['messageId']}/images"
    refused = fetch(console, f"{path}?size=full", "*/*")
    assert refused.status_code == 400 and json.loads(refused.body)["field"] == "size"
    assert fetch(console, f"{path}?size=large", "*/*").status_code == 200


def test_a_file_message_and_a_rejected_file(console, lobby):
    text = b"minutes of the meeting\n"
    status, body = upload(console, "files", [("channelId", "lobby")], [("file", "notes.txt", "text/plain", text)])
    assert status == 200, body
    (message,) = body["messages"]
    assert message["dataType"] == "file" and message["data"]["fileId"]
    assert [f["fileId"] for f in body["files"]] == [message["data"]["fileId"]]
    _process_queue()
    got = fetch(console, f"/api/v2/messages/{message['messageId']}/files", "application/octet-stream")
    assert got.status_code == 200 and got.body == text
    status, infected = upload(console, "files", [("channelId", "lobby")], [("file", "x.txt", "text/plain", EICAR)])
    assert status == 200, infected
    _process_queue()
    gone = fetch(console, f"/api/v2/messages/{infected['messages'][0]['messageId']}/files", "application/octet-stream")
    assert gone.status_code == 404  # nothing unscanned, nothing infected is served


def test_upload_errors(console, lobby):
    image = ("file", "a.png", "image/png", png(10, 10))
    status, body = upload(console, "images", [("channelId", "lobby")], [("file", "a.txt", "text/plain", b"hi")])
    assert (status, body["field"]) == (400, "file")
    status, body = upload(console, "images", [("channelId", "lobby")], [])
    assert (status, body["field"]) == (400, "file")
    status, body = upload(console, "images", [("channelId", "nowhere")], [image])
    assert status == 404
    status, body = upload(console, "images", [("channelId", "lobby"), ("parentId", str(uuid.uuid4()))], [image])
    assert (status, body["field"]) == (400, "parentId")
    json_body = send(console.api, "POST", "/api/v2/messages/images", {"channelId": "lobby"}, token=console.token)
    error_of(json_body, 415, "Content-Type")
    body, content_type = multipart([("channelId", "lobby")], [])
    plain = send(
        console.api, "POST", "/api/v2/messages", None, token=console.token, raw=body.decode(), content_type=content_type
    )
    error_of(plain, 415, "Content-Type")


def test_the_moderation_engine_checks_the_caption(console, lobby):
    from chalicelib.auth.principal import Principal
    from chalicelib.services import moderation

    owner = Principal(user_id=console.owner.user_id, kind="session")
    moderation.create_records(owner, console.ws["id"], "blacklist", ["forbidden"], exact_word=True)
    status, body = upload(
        console, "images", [("channelId", "lobby"), ("caption", "forbidden")], [("file", "a.png", "image/png", png())]
    )
    assert (status, body["type"], body["field"]) == (400, "E_MODERATION_BLOCKED", "caption")


def test_what_an_upload_and_a_download_cost(console, lobby):
    from bench.recorder import Recorder

    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as uploaded:
            status, body = upload(console, "images", [("channelId", "lobby")], [("file", "a.png", "image/png", png())])
        _process_queue()
        with recorder.recording() as downloaded:
            got = fetch(console, f"/api/v2/messages/{body['messages'][0]['messageId']}/images?size=small", "*/*")
    finally:
        recorder.uninstall()
    assert status == 200 and got.status_code == 200
    up = [c.operation for c in uploaded if c.phase == "handler"]
    down = [c.operation for c in downloaded if c.phase == "handler"]
    print("upload:", up, "download:", down)
    # the channel by name (3), the posting check, the engine's rules (a cold process: Query), the
    # file record, send (its access, the attachment, its share, the message), the profile
    assert up.count("PutItem") == 2 and "Scan" not in up  # the file record, the message
    assert len(up) == 11 and up.count("Query") == 1, up
    # admin check, the message by id (2), the file and the caller's membership (visible_file)
    assert down == ["BatchGetItem", "Query", "BatchGetItem", "GetItem", "GetItem"], down
