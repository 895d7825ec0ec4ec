"""Playing both ends of Web Push in tests: a browser (its own P-256 key pair and auth
secret, as PushManager makes them) and a push service on 127.0.0.1 that checks the
VAPID JWT with the key in the Authorization header, decrypts the body with http_ece
using the browser's private key, and answers with scripted statuses."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One browser profile: what PushManager.subscribe() would make."""

    private_key: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(raw)

    def subscription(self, endpoint: str) -> dict[str, Any]:
        keys = {"p256dh": self.p256dh, "auth": b64url(self.auth_secret)}
        return {"endpoint": endpoint, "expirationTime": None, "keys": keys}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm")
        return json.loads(plain)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    claims: dict[str, Any]
    vapid_key: str
    payload: dict[str, Any]
    size: int


class PushService:
    """A push service on loopback. ``browsers`` maps a path to the browser subscribed
    there; ``answers`` maps a path to the statuses to answer in turn (then 201);
    ``slow`` makes a path hang that long, then answer 504 (nothing delivered)."""

    def __init__(self) -> None:
        self.browsers: dict[str, Browser] = {}
        self.answers: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.slow: dict[str, float] = {}  # path -> seconds to wait before answering
        self.dripping: dict[str, float] = {}  # path -> seconds between the bytes of its answer
        self.received: list[Received] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path in service.dripping:  # its answer a byte at a time, forever
                    try:
                        for byte in b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n" * 100:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(service.dripping[self.path])
                    except OSError:  # the client gave up
                        pass
                    self.close_connection = True
                    return
                if self.path in service.slow:  # a hung push service: late, and it kept nothing
                    time.sleep(service.slow[self.path])
                    self.send_response(504)
                    self.end_headers()
                    return
                try:
                    received = service.check(self.path, dict(self.headers.items()), body)
                except Exception as exc:  # the test reads errors; the app sees a 400
                    with service.lock:
                        service.errors.append(f"{type(exc).__name__}: {exc}")
                    self.send_response(400)
                    self.end_headers()
                    return
                with service.lock:
                    queued = service.answers.get(self.path) or []
                    status, headers = queued.pop(0) if queued else (201, {})
                    if status < 300:
                        service.received.append(received)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def endpoint(self, browser: Browser, name: str | None = None) -> str:
        path = f"/push/{name or b64url(os.urandom(9))}"
        self.browsers[path] = browser
        return self.base + path

    def check(self, path: str, headers: dict[str, str], body: bytes) -> Received:
        """What a real push service and browser check: VAPID, encryption, headers."""
        lower = {k.lower(): v for k, v in headers.items()}
        scheme, _, params = lower["authorization"].partition(" ")
        assert scheme == "vapid", scheme
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(parts["k"]))
        claims = jwt.decode(parts["t"], key=key, algorithms=["ES256"], audience=self.base)
        assert 0 < claims["exp"] - time.time() <= 12 * 3600 + 5, claims
        assert claims["sub"].startswith(("mailto:", "https://")), claims
        assert lower["content-encoding"] == "aes128gcm", lower
        assert int(lower["ttl"]) > 0, lower
        assert lower["urgency"] in ("very-low", "low", "normal", "high"), lower
        assert len(body) <= 4096, len(body)
        payload = self.browsers[path].decrypt(body)
        return Received(path, lower, claims, parts["k"], payload, len(body))

    def __enter__(self) -> PushService:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def push_service() -> Iterator[PushService]:
    with PushService() as service:
        yield service
