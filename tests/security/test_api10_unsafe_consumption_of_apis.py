"""OWASP API10:2023 Unsafe Consumption of APIs.

What Disqua reads back from others and trusts too much:

- webhook endpoints' answers (webhook_delivery.post): a body is read up to 2 KB whatever its
  size or compression (a gzip bomb), undecodable bytes are replaced, a redirect is not
  followed (test_api7_ssrf.py), and a failure is told in words, never as the HTTP library's
  exception classes and internals (the delivery log is shown to the workspace's admins);
- uploaded bytes (the files processor): the declared size and type are not trusted (bytes
  larger than declared, HTML or SVG script posing as an image: rejected), and every download is
  an attachment of the checked type, never rendered inline from the bucket's origin.
"""

from __future__ import annotations

import dataclasses
import gzip
import http.server
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.config import get_settings
from chalicelib.services import webhook_delivery
from tests.functional.api.test_files import _file, _process_queue, _upload
from tests.helpers import create_workspace, register

BOMB = gzip.compress(b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros in ~20 KB


class _Endpoint(http.server.BaseHTTPRequestHandler):
    """A webhook receiver answering what ``answers[path]`` says."""

    answers: dict[str, tuple[dict[str, str], bytes]] = {}

    def do_POST(self):
        headers, body = self.answers[self.path]
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint(monkeypatch):
    """A loopback receiver, reachable as the local stage allows (no network needed)."""
    local = dataclasses.replace(get_settings(), stage="local")
    monkeypatch.setattr(webhook_delivery, "get_settings", lambda: local)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _deliver(url):
    return webhook_delivery.post(url, b"{}", {"Content-Type": "application/json"})


def test_a_webhook_answer_is_read_up_to_2_kb_whatever_it_is(endpoint):
    """API10, an endpoint answering 8 MB, a gzip bomb, or bytes that are not UTF-8: the
    attempt keeps at most 2 KB of text and reads no more."""
    _Endpoint.answers = {
        "/huge": ({"Content-Type": "text/plain"}, b"A" * (8 * 1024 * 1024)),
        "/bomb": ({"Content-Type": "text/plain", "Content-Encoding": "gzip"}, BOMB),
        "/binary": ({"Content-Type": "application/octet-stream"}, b"\xff\xfe\x00\xc3(" * 100),
    }
    for path in _Endpoint.answers:
        attempt = _deliver(endpoint + path)
        assert attempt.succeeded, (path, attempt)
        assert attempt.body is not None and len(attempt.body) <= webhook_delivery.RESPONSE_BODY_BYTES, path
    assert "\ufffd" in _deliver(endpoint + "/binary").body


def test_a_failed_delivery_is_told_without_internals(endpoint):
    """API10 / API8: a refused connection, or a TLS failure, is logged in words: no exception
    class, no connection pool or socket internals in what admins read."""
    closed = endpoint.rsplit(":", 1)[0] + ":9"  # discard port: nothing listens
    for url in (closed + "/hook", endpoint.replace("http://", "https://") + "/hook"):
        attempt = _deliver(url)
        assert not attempt.succeeded and attempt.error, url
        for internal in ("Error", "Exception", "HTTPConnectionPool", "urllib3", "Caused by", "object at 0x"):
            assert internal not in attempt.error, (url, attempt.error)


@pytest.fixture
def uploader(api):
    owner = register(api, "jane")
    return owner, create_workspace(api, owner)


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        pytest.param(b"<!doctype html><script>alert(document.domain)</script>", "image/png", id="html as png"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/png", id="svg as png"
        ),
    ],
)
def test_script_posing_as_an_image_is_rejected(api, uploader, data, declared):
    """API10, trusting the declared type: the processor reads the bytes, not the claim."""
    owner, ws = uploader
    file_id = _upload(api, owner, ws["id"], data, content_type=declared)
    _process_queue()
    shown = _file(api, owner, file_id).data
    assert (shown["status"], shown["reason"]) == ("rejected", "type_mismatch")


def test_every_download_is_an_attachment_of_the_checked_type(api, uploader):
    """API10, serving what was uploaded: an HTML file shared as text/html is downloaded as an
    attachment (the presigned URL pins Content-Disposition and Content-Type), never rendered."""
    owner, ws = uploader
    file_id = _upload(api, owner, ws["id"], b"<!doctype html><p>hi</p>", content_type="text/html", filename="page.html")
    _process_queue()
    download = api.get(f"/v1/files/{file_id}/download", token=owner.access_token)
    assert download.status == 302, download.body
    query = parse_qs(urlsplit(download.headers["Location"]).query)
    assert query["response-content-disposition"][0].startswith("attachment;")
    assert query["response-content-type"][0] == _file(api, owner, file_id).data["contentType"]
