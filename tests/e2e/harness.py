"""Running the local runtime as a subprocess (`python -m devserver`) for e2e tests.

It runs from the repository like `make run`, with its port, var/ and outbox moved
to temporary places, and with a clean environment: nothing from the developer's
shell (or from tests/conftest.py's in-process settings) leaks into it.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0
EMAIL_TIMEOUT = 15.0


@dataclass
class Devserver:
    process: subprocess.Popen[str]
    base_url: str
    ws_url: str  # the WebSocket API, and its Management API stand-in over http://
    var_dir: Path
    outbox: Path
    log: Path

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Signal it and wait; returns the exit code (kills it if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"devserver ignored {sig.name} for {timeout} s\n{self.log_tail()}") from None

    def rest_of_stdout(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.read()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text()[-chars:] if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first_lines(process: subprocess.Popen[str], count: int, timeout: float) -> list[str] | None:
    """The first ``count`` stdout lines, or None after ``timeout`` (readline alone would block)."""
    lines: queue.Queue[list[str]] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: lines.put([process.stdout.readline() for _ in range(count)]), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return None


def launch(workdir: Path, var_dir: Path | None = None) -> Devserver:
    """Start `python -m devserver` and wait for its ready line."""
    workdir.mkdir(parents=True, exist_ok=True)
    port, ws_port = _free_port(), _free_port()
    var_dir = var_dir or workdir / "var"
    outbox = workdir / "outbox"
    log = workdir / "devserver.log"
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update(PORT=str(port), WS_PORT=str(ws_port), DISQUA_VAR_DIR=str(var_dir), OUTBOX_DIR=str(outbox))
    env.update(PYTHONUNBUFFERED="1")
    with log.open("w") as stderr:  # a file, not a pipe: a full pipe would block the server
        process = subprocess.Popen(
            [sys.executable, "-m", "devserver"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    server = Devserver(process, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{ws_port}", var_dir, outbox, log)
    lines = _first_lines(process, 2, READY_TIMEOUT)
    if lines != [f"Disqua API ready at {server.base_url}\n", f"Disqua realtime ready at {server.ws_url}\n"]:
        process.kill()
        process.wait()
        pytest.fail(f"devserver did not get ready (first lines {lines!r})\n{server.log_tail()}")
    return server


def wait_for_email(outbox: Path, to: str, subject: str, timeout: float = EMAIL_TIMEOUT) -> EmailMessage:
    """The first complete email to ``to`` with ``subject``: mail arrives
    asynchronously (table stream -> event router -> SQS -> email worker -> outbox)."""
    deadline = time.monotonic() + timeout
    while True:
        for path in sorted(outbox.glob("*.eml")):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            # A file still being written may lack its body: poll again.
            if message["To"] == to and message["Subject"] == subject and message.get_content().strip():
                return message
        if time.monotonic() > deadline:
            raise AssertionError(f"no email {subject!r} to {to} in {outbox} after {timeout} s")
        time.sleep(0.1)


def wait_for_verification_link(outbox: Path, to: str, timeout: float = EMAIL_TIMEOUT) -> str:
    """The link in the verification email to ``to``."""
    message = wait_for_email(outbox, to, "Verify your Disqua email address", timeout)
    found = re.search(r"https?://\S+/v1/auth/verify\?token=[\w-]+", message.get_content())
    assert found, f"no verification link in:\n{message.get_content()}"
    return found.group(0)
