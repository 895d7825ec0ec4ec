"""A webhook endpoint on 127.0.0.1 for tests: records every POST, answers from a
script (a status per request, the last one repeating), optionally slowly."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    drip: float = 0.0  # > 0: answer one header line every `drip` seconds, for ever
    received: list[Received] = field(default_factory=list)
    server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                index = len(receiver.received)
                receiver.received.append(Received(self.path, dict(self.headers.items()), body, time.monotonic()))
                status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.drip:
                    self._drip()
                    return
                payload = f'{{"received": {index + 1}}}'.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    if 300 <= status < 400:
                        self.send_header("Location", receiver.url + "/elsewhere")
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (a timeout test)

            def _drip(self) -> None:
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    for _ in range(200):
                        self.wfile.write(b"X-Slowly: y\r\n")
                        self.wfile.flush()
                        time.sleep(receiver.drip)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} deliveries after {timeout} s, expected {count}")
            time.sleep(0.05)
        return self.received
