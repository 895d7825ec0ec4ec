"""OWASP API7:2023 Server Side Request Forgery.

The server fetches two kinds of URL its users give it: webhook endpoints (services/webhooks.py
and webhook_delivery.py, requests-hardened) and Web Push endpoints (workers/push.py). Every
spelling of an internal address is refused when the URL is set (webhooks: literal addresses,
DNS names resolving to loopback, link-local metadata, RFC 1918, CGNAT, IPv6 loopback and ULA,
IPv4-mapped IPv6, integer and octal spellings, credentials, other schemes); a name that
resolves to a public address when set and to a private one at delivery (DNS rebinding) is
refused at delivery without connecting; redirects are never followed.
"""

from __future__ import annotations

import dataclasses
import http.server
import threading

import pytest

from chalicelib.config import get_settings
from chalicelib.services import webhook_delivery
from chalicelib.workers import push as push_worker
from tests.security.conftest import NAMES, PUBLIC_IP

INTERNAL_URLS = [
    "http://127.0.0.1/hook",
    "https://127.0.0.1/hook",
    "https://127.1/hook",
    "https://2130706433/hook",
    "https://0x7f000001/hook",
    "https://0177.0.0.1/hook",
    "https://localhost/hook",
    "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://[::1]/hook",
    "https://[fd00:ec2::254]/latest/meta-data/",
    "https://[::ffff:127.0.0.1]/hook",
    "https://10.0.0.5/hook",
    "https://192.168.1.1/hook",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://loopback.example.com/hook",
    "https://metadata.example.com/latest/meta-data/",
    "https://intranet.example.com/hook",
    "https://carrier.example.com/hook",
    "https://v6-loopback.example.com/hook",
    "https://v6-ula.example.com/hook",
    "https://mapped.example.com/hook",
    "https://user:secret@hooks.example.com/hook",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "ftp://hooks.example.com/hook",
    "http://hooks.example.com/hook",
    "https://hooks.example.com:99999/hook",
]


@pytest.fixture
def admin_of_a(api, tenant_a, dns):
    return tenant_a.owner.access_token, tenant_a.id


def test_a_webhook_to_an_internal_address_is_refused(api, admin_of_a):
    """API7, SSRF through a webhook URL: creating one that points inside (every spelling
    above) is a 400 naming url, and nothing is created."""
    token, workspace_id = admin_of_a
    wrong = []
    for url in INTERNAL_URLS:
        body = {"name": "x", "url": url, "events": ["message.created"]}
        answer = api.post(f"/v1/workspaces/{workspace_id}/webhooks", body, token=token)
        if (answer.status, answer.body["error"].get("field") if answer.status >= 400 else None) != (400, "url"):
            wrong.append((url, answer.status, answer.body))
    assert wrong == [], "\n".join(map(str, wrong))
    assert api.get(f"/v1/workspaces/{workspace_id}/webhooks", token=token).data == []


def test_changing_a_webhooks_url_to_an_internal_address_is_refused(api, admin_of_a):
    """API7, the same through PATCH (a URL checked only at creation would be a way around)."""
    token, workspace_id = admin_of_a
    body = {"name": "x", "url": "https://hooks.example.com/in", "events": ["message.created"]}
    made = api.post(f"/v1/workspaces/{workspace_id}/webhooks", body, token=token)
    assert made.status == 201, made.body
    for url in ("https://metadata.example.com/latest/meta-data/", "https://10.0.0.5/", "https://[::1]/"):
        answer = api.patch(f"/v1/webhooks/{made.data['id']}", {"url": url}, token=token)
        assert (answer.status, answer.error.get("field")) == (400, "url"), url
    assert api.get(f"/v1/webhooks/{made.data['id']}", token=token).data["url"] == "https://hooks.example.com/in"


def test_dns_rebinding_is_refused_at_delivery_without_connecting(dns, monkeypatch):
    """API7, DNS rebinding: the name was public when the webhook was set; at delivery it
    resolves to loopback. The delivery is refused before any connection is made."""
    import socket

    assert webhook_delivery.check_url("https://hooks.example.com/in") == "https://hooks.example.com/in"
    monkeypatch.setitem(NAMES, "hooks.example.com", "127.0.0.1")
    connections = []
    real_connect = socket.socket.connect
    monkeypatch.setattr(
        socket.socket, "connect", lambda self, addr: connections.append(addr) or real_connect(self, addr)
    )
    attempt = webhook_delivery.post("https://hooks.example.com/in", b"{}", {"Content-Type": "application/json"})
    assert not attempt.succeeded and attempt.error, attempt
    assert connections == []
    monkeypatch.setitem(NAMES, "hooks.example.com", PUBLIC_IP)


class _Redirecting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self):
        self.hits.append(self.path)
        self.send_response(302 if self.path == "/hook" else 200)
        self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/internal-admin")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *args):
        pass


def test_a_webhook_redirect_is_never_followed(monkeypatch):
    """API7, SSRF by redirect: an endpoint answering 302 to an internal URL gets a failed
    attempt; the redirect target is never requested. (A loopback receiver, as the local stage
    allows, so no network is needed.)"""
    local = dataclasses.replace(get_settings(), stage="local")
    monkeypatch.setattr(webhook_delivery, "get_settings", lambda: local)
    _Redirecting.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        attempt = webhook_delivery.post(url, b"{}", {"Content-Type": "application/json"})
    finally:
        server.shutdown()
        server.server_close()
    assert attempt.status_code == 302 and not attempt.succeeded
    assert _Redirecting.hits == ["/hook"]


INTERNAL_ADDRESSES = (
    "127.0.0.1",
    "169.254.169.254",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.0.1",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "fd00:ec2::254",
    "fe80::1",
    "::ffff:10.0.0.5",
    "::ffff:169.254.169.254",
)


def test_web_push_never_connects_inside():
    """API7, SSRF through a Web Push endpoint (any https URL is accepted at subscription: it
    is judged at every connection): internal addresses are refused where loopback is not
    allowed (every AWS stage)."""
    for address in INTERNAL_ADDRESSES:
        assert push_worker.address_allowed(address, allow_loopback=False) is False, address
    assert push_worker.address_allowed(PUBLIC_IP, allow_loopback=False) is True
