"""Files over HTTP against the local runtime: presign, PUT the bytes straight to
(moto's) S3, confirm, and let the runtime's pump deliver the files queue (S3's
ObjectCreated notification and confirm's nudges) to the real processor: thumbnails,
ClamAV, type sniffing, size checks, promotion, attachments and downloads."""

from __future__ import annotations

import io
import time
import uuid
from dataclasses import dataclass

import pytest
import requests
from PIL import Image

from tests.e2e.harness import Devserver, wait_for_verification_link

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
PROCESSING_TIMEOUT = 20.0
# The EICAR test file, assembled at run time so no scanner flags this repository.
EICAR = (r"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + r"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()


@dataclass(frozen=True)
class Owner:
    api: str
    headers: dict[str, str]
    workspace: dict


@pytest.fixture(scope="module")
def owner(server: Devserver) -> Owner:
    """A verified user, logged in, with a workspace of their own."""
    api = server.base_url
    name = f"filer{uuid.uuid4().hex[:8]}"
    email = f"{name}@example.com"
    registered = requests.post(
        f"{api}/v1/auth/register",
        json={"email": email, "password": PASSWORD, "username": name, "displayName": "Fay Filer"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    verified = requests.get(wait_for_verification_link(server.outbox, email), timeout=10)
    assert verified.status_code == 200, verified.text
    login = requests.post(f"{api}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}
    workspace = requests.post(f"{api}/v1/workspaces", json={"name": f"Files {name}"}, headers=headers, timeout=10)
    assert workspace.status_code == 201, workspace.text
    return Owner(api, headers, workspace.json()["data"])


def _png(width: int = 1200, height: int = 900, *, exif: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), "teal")
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "PhoneMaker"  # Make
        tags[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPSInfo
        image.save(out, "PNG", exif=tags.tobytes())
    else:
        image.save(out, "PNG")
    return out.getvalue()


def _presign(
    owner: Owner, *, size: int, filename: str = "shot.png", content_type: str = "image/png"
) -> dict[str, object]:
    made = requests.post(
        f"{owner.api}/v1/files/presign",
        json={"filename": filename, "contentType": content_type, "size": size, "workspaceId": owner.workspace["id"]},
        headers=owner.headers,
        timeout=10,
    )
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    assert data["method"] == "PUT" and data["uploadUrl"].startswith("http")
    return data


def _put(made: dict, data: bytes) -> requests.Response:
    """A plain PUT to the presigned URL, with the returned headers and no auth header."""
    return requests.put(made["uploadUrl"], data=data, headers=made["headers"], timeout=10)


def _confirm(owner: Owner, file_id: str) -> requests.Response:
    return requests.post(f"{owner.api}/v1/files/{file_id}/confirm", headers=owner.headers, timeout=10)


def _upload(owner: Owner, data: bytes, **kw: str) -> str:
    """Presign, PUT, confirm: the file id."""
    made = _presign(owner, size=len(data), **kw)
    put = _put(made, data)
    assert put.status_code == 200, put.text
    confirmed = _confirm(owner, made["fileId"])
    assert confirmed.status_code == 200, confirmed.text
    return made["fileId"]


def _get(owner: Owner, file_id: str) -> dict:
    shown = requests.get(f"{owner.api}/v1/files/{file_id}", headers=owner.headers, timeout=10)
    assert shown.status_code == 200, shown.text
    return shown.json()["data"]


def _until_processed(owner: Owner, file_id: str, timeout: float = PROCESSING_TIMEOUT) -> dict:
    """Poll until the processor has decided (ready or rejected)."""
    deadline = time.monotonic() + timeout
    while True:
        shown = _get(owner, file_id)
        if shown["status"] in ("ready", "rejected"):
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"file {file_id} still {shown['status']!r} after {timeout} s: {shown}")
        time.sleep(0.2)


def _download(owner: Owner, path_or_url: str) -> requests.Response:
    """The API's download route without following the redirect."""
    url = path_or_url if path_or_url.startswith("http") else f"{owner.api}{path_or_url}"
    return requests.get(url, headers=owner.headers, allow_redirects=False, timeout=10)


def _fetch(location: str) -> bytes:
    """The presigned URL the API redirected to, fetched with no auth header."""
    got = requests.get(location, timeout=10)
    assert got.status_code == 200, got.text
    return got.content


def _never_served(owner: Owner, file_id: str) -> None:
    for size in ("", "?size=full", "?size=small"):
        answer = _download(owner, f"/v1/files/{file_id}/download{size}")
        assert answer.status_code == 404, (size, answer.status_code, answer.text)
        assert "Location" not in answer.headers


def test_an_image_is_processed_attached_and_served(owner: Owner) -> None:
    data = _png(exif=True)
    assert Image.open(io.BytesIO(data)).getexif()  # the upload carries EXIF (with GPS)
    made = _presign(owner, size=len(data))
    assert made["headers"] == {"Content-Type": "image/png", "Content-Length": str(len(data))}
    assert "quarantine/" in made["uploadUrl"]
    put = _put(made, data)
    assert put.status_code == 200, put.text
    file_id = made["fileId"]
    confirmed = _confirm(owner, file_id)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["data"]["url"] == f"{owner.api}/v1/files/{file_id}/download"

    shown = _until_processed(owner, file_id)
    assert (shown["status"], shown["reason"], shown["kind"], shown["contentType"]) == (
        "ready",
        None,
        "image",
        "image/png",
    ), shown
    assert shown["processedAt"]
    assert shown["thumbnails"] == {
        size: f"{owner.api}/v1/files/{file_id}/download?size={size}" for size in ("small", "medium", "large")
    }

    thumb = _download(owner, f"/v1/files/{file_id}/download?size=small")
    assert thumb.status_code == 302, thumb.text
    assert thumb.headers["Location"] == thumb.json()["data"]["url"]
    assert thumb.headers.get("Cache-Control") == "no-store"
    small = Image.open(io.BytesIO(_fetch(thumb.headers["Location"])))
    small.load()
    assert max(small.size) <= 160, small.size

    sent = requests.post(
        f"{owner.api}/v1/channels/{owner.workspace['generalChannelId']}/messages",
        json={"content": "the screenshot", "attachmentIds": [file_id]},
        headers=owner.headers,
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    (attached,) = sent.json()["data"]["attachments"]
    assert attached["id"] == file_id
    assert (attached["filename"], attached["contentType"], attached["status"]) == ("shot.png", "image/png", "ready")
    assert attached["size"] == shown["size"]
    assert attached["url"] == f"{owner.api}/v1/files/{file_id}/download"
    assert attached["thumbnails"] == shown["thumbnails"]

    full = _download(owner, attached["url"])
    assert full.status_code == 302, full.text
    assert f"files/{owner.workspace['id']}/{file_id}" in full.headers["Location"]
    served = _fetch(full.headers["Location"])
    assert len(served) == shown["size"]
    image = Image.open(io.BytesIO(served))
    assert (image.format, image.size) == ("PNG", (1200, 900))
    assert not image.getexif() and "exif" not in image.info


def test_eicar_is_rejected_as_infected_and_never_served(owner: Owner) -> None:
    file_id = _upload(owner, EICAR, filename="eicar.txt", content_type="text/plain")
    shown = _until_processed(owner, file_id)
    assert (shown["status"], shown["reason"]) == ("rejected", "infected"), shown
    assert shown["thumbnails"] == {}
    _never_served(owner, file_id)


def test_a_png_header_on_a_non_image_is_a_type_mismatch(owner: Owner) -> None:
    file_id = _upload(owner, b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 10)
    shown = _until_processed(owner, file_id)
    assert (shown["status"], shown["reason"]) == ("rejected", "type_mismatch"), shown
    _never_served(owner, file_id)


def test_a_body_larger_than_declared_is_refused_or_rejected(owner: Owner) -> None:
    made = _presign(owner, size=10, filename="a.txt", content_type="text/plain")
    file_id = made["fileId"]
    # requests sends the real Content-Length (5000), not the signed one (10).
    put = _put(made, b"x" * 5000)
    if 400 <= put.status_code < 500:
        # S3 refused the body: nothing arrived, so there is nothing to confirm or serve.
        confirmed = _confirm(owner, file_id)
        assert (confirmed.status_code, confirmed.json()["error"]["code"]) == (409, "E_CONFLICT")
        assert _get(owner, file_id)["status"] == "pending"
    else:
        assert put.status_code == 200, put.text  # moto took it: the processor must not
        shown = _until_processed(owner, file_id)
        assert (shown["status"], shown["reason"]) == ("rejected", "too_large"), shown
    _never_served(owner, file_id)


def test_a_duplicate_notification_processes_once(owner: Owner) -> None:
    data = _png(200, 200)
    made = _presign(owner, size=len(data))
    put = _put(made, data)  # S3's own ObjectCreated notification
    assert put.status_code == 200, put.text
    file_id = made["fileId"]
    for _ in range(2):  # each one, while the file is still pending, queues another notification
        answer = _confirm(owner, file_id)
        assert answer.status_code == 200, answer.text
    shown = _until_processed(owner, file_id)
    assert shown["status"] == "ready", shown
    assert shown["processedAt"]
    # Let every queued copy reach the processor (the pump long-polls for 1 s).
    time.sleep(3)
    again = _get(owner, file_id)
    assert (again["status"], again["processedAt"], again["size"]) == ("ready", shown["processedAt"], shown["size"])
    assert again["thumbnails"] == shown["thumbnails"]
    full = _download(owner, again["url"])
    assert full.status_code == 302, full.text
    assert Image.open(io.BytesIO(_fetch(full.headers["Location"]))).size == (200, 200)
