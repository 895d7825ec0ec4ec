"""The local runtime's memory under load: the resident size (VmRSS) of a `python -m
devserver` process before and after N mixed requests over HTTP.

The mix is what a chat client does: sign-ups and logins, workspaces, channels,
messages, thread replies, edits, reactions added and removed, and the lists that
show them. Two teams make requests at once, each two users taking turns in their
own workspace, over keep-alive connections; every answer must be the expected 2xx.
A run warms up first (imports, caches, moto's first tables), then reads RSS, makes
N requests, lets the pumps finish the events they caused, and reads RSS again: the
growth is what N requests leave behind (the table holds the data they write, so
some growth is expected: a few MB per thousand requests).

`make bench` runs it (bench/__main__.py) and tests/e2e/test_soak.py asserts the
budget over 2,000 requests. Loopback only; every loop is bounded.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from bench import ROOT

REQUESTS = 2000
WARMUP = 200
CLIENTS = 2  # teams making requests at once (the runtime serves each on its own thread)
BUDGET_MB = 100.0  # RSS growth over REQUESTS requests, after warm-up
SETTLE_SECONDS = 2.0  # after the last request: the pumps finish the events it caused
READY_TIMEOUT = 60.0
EMAIL_TIMEOUT = 15.0
PASSWORD = "correct horse battery staple"
EMOJIS = ("👍", "🎉", ":rocket:", "❤️")
MB = 1024.0


def rss_kb(pid: int) -> int:
    """A process's resident set size (VmRSS in /proc/<pid>/status), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system, /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Soak:
    """One run: RSS before and after ``requests`` requests (after ``warmup`` more)."""

    requests: int
    warmup: int
    before_kb: int
    after_kb: int
    seconds: float
    cpu_seconds: float  # the server's, over the measured requests
    statuses: Counter[int] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)

    @property
    def growth_mb(self) -> float:
        return (self.after_kb - self.before_kb) / MB

    @property
    def per_1000_mb(self) -> float:
        return self.growth_mb * 1000 / self.requests

    @property
    def within_budget(self) -> bool:
        """Under BUDGET_MB per REQUESTS requests (scaled when fewer were made)."""
        return self.growth_mb * REQUESTS / self.requests < BUDGET_MB


class Unexpected(AssertionError):
    """An answer the workload did not expect (status and body in the message)."""


@dataclass
class User:
    name: str
    email: str
    id: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class Workload:
    """A deterministic mix of requests against one server, counted one by one."""

    def __init__(self, base_url: str, outbox: Path, team: str = "a", timeout: float = 30.0) -> None:
        self.api = base_url
        self.outbox = outbox
        self.timeout = timeout
        self.http = requests.Session()
        self.statuses: Counter[int] = Counter()
        self.operations: Counter[str] = Counter()
        self.suffix = f"{team}{os.getpid():x}{int(time.time() * 1000) % 100000:x}"
        self.users: list[User] = []
        self.workspace = ""
        self.channels: list[str] = []
        self.messages: list[tuple[str, str]] = []  # (message id, author's name), newest last
        self.reacted: list[tuple[int, str, str]] = []  # (user index, message id, emoji) still on
        self.sent = 0

    # -- plumbing ------------------------------------------------------------------
    def call(self, op: str, method: str, path: str, user: User | None = None, expect: int = 200, **kw: Any) -> Any:
        headers = user.headers if user else {}
        response = self.http.request(method, self.api + path, headers=headers, timeout=self.timeout, **kw)
        self.statuses[response.status_code] += 1
        self.operations[op] += 1
        if response.status_code != expect:
            raise Unexpected(f"{op}: {method} {path} -> {response.status_code} {response.text[:500]}")
        return response.json()["data"] if response.content else None

    # -- setup ---------------------------------------------------------------------
    def setup(self) -> None:
        """Two verified users in one workspace with two channels."""
        for name in ("ana", "ben"):
            self.users.append(self.sign_up(f"{name}{self.suffix}"))
        owner, member = self.users
        self.create_workspace(owner)
        invite = self.call("invite", "POST", f"/v1/workspaces/{self.workspace}/invites", owner, 201, json={})
        code = invite["url"].rsplit("/", 1)[-1]
        self.call("accept invite", "POST", f"/v1/invites/{code}/accept", member)
        self.create_channel(owner)

    def sign_up(self, name: str) -> User:
        user = User(name, f"{name}@example.com")
        body = {"email": user.email, "password": PASSWORD, "username": name, "displayName": name.title()}
        user.id = self.call("register", "POST", "/v1/auth/register", expect=201, json=body)["userId"]
        link = verification_link(self.outbox, user.email)
        self.call("verify", "GET", link.removeprefix(self.api))
        self.login(user)
        return user

    def login(self, user: User) -> None:
        tokens = self.call("login", "POST", "/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        user.headers = {"Authorization": f"Bearer {tokens['accessToken']}"}

    def create_workspace(self, user: User) -> None:
        created = self.call("create workspace", "POST", "/v1/workspaces", user, 201, json={"name": f"Soak {self.sent}"})
        if not self.workspace:
            self.workspace = created["id"]
            channels = self.call("list channels", "GET", f"/v1/workspaces/{self.workspace}/channels", user)
            self.channels.extend(c["id"] for c in channels)

    def create_channel(self, user: User) -> None:
        """A public channel; the team's other user joins it."""
        name = f"soak-{len(self.channels)}-{self.suffix}"
        created = self.call(
            "create channel", "POST", f"/v1/workspaces/{self.workspace}/channels", user, 201, json={"name": name}
        )
        self.channels.append(created["id"])
        for other in self.users:
            if other is not user:
                self.join(other, created["id"])

    def join(self, user: User, channel: str) -> None:
        self.call("join channel", "POST", f"/v1/channels/{channel}/members", user, json={"userIds": [user.id]})

    # -- the mix -------------------------------------------------------------------
    def run(self, n: int) -> None:
        """``n`` requests, each one step of the cycle below (bounded: one request each)."""
        for _ in range(n):
            self.step()

    def step(self) -> None:
        i = self.sent
        self.sent += 1
        user = self.users[i % 2]
        channel = self.channels[(i // 7) % len(self.channels)]
        if i % 500 == 499:
            self.create_workspace(user)
        elif i % 500 == 249:  # sign-ups are capped at 10 an hour per address: a few only
            name = f"new{i}{self.suffix}"
            body = {"email": f"{name}@example.com", "password": PASSWORD, "username": name, "displayName": "New"}
            self.call("register", "POST", "/v1/auth/register", expect=201, json=body)
        elif i % 250 == 124:
            self.login(user)
        elif i % 400 == 333:
            self.create_channel(user)
        elif i % 100 == 57:
            self.join(user, channel)  # already a member: a cancelled transaction, nothing added
        elif not self.messages or i % 10 == 0:
            self.send(user, channel)
        else:
            STEPS[i % 10](self, user, channel)

    def send(self, user: User, channel: str, thread: str | None = None) -> None:
        body: dict[str, Any] = {"content": f"Message {self.sent} from @{user.name}: **hello** `code` ~~x~~"}
        op = "send message"
        if thread:
            body["threadId"], op = thread, "reply in thread"
        sent = self.call(op, "POST", f"/v1/channels/{channel}/messages", user, 201, json=body)
        if not thread:
            self.messages.append((sent["id"], user.name))
            del self.messages[:-50]  # react to and edit the recent ones

    def react(self, user: User, _channel: str) -> None:
        index = self.users.index(user)
        on = {(m, e) for u, m, e in self.reacted if u == index}
        for message, _author in reversed(self.messages):
            for emoji in EMOJIS:
                if (message, emoji) not in on:
                    self.call("add reaction", "POST", f"/v1/messages/{message}/reactions", user, json={"emoji": emoji})
                    self.reacted.append((index, message, emoji))
                    return
        self.unreact(user, _channel)

    def unreact(self, user: User, channel: str) -> None:
        index = self.users.index(user)
        mine = [r for r in self.reacted if r[0] == index]
        if not mine:
            return self.react(user, channel)
        taken = mine[0]
        self.reacted.remove(taken)
        _, message, emoji = taken
        self.call("remove reaction", "DELETE", f"/v1/messages/{message}/reactions/{quote(emoji, safe='')}", user)

    def edit(self, user: User, channel: str) -> None:
        own = [m for m, author in self.messages if author == user.name]
        if not own:
            return self.send(user, channel)
        self.call("edit message", "PATCH", f"/v1/messages/{own[-1]}", user, json={"content": f"edited {self.sent}"})

    def reply(self, user: User, _channel: str) -> None:
        message = self.messages[-1 - self.sent % len(self.messages)][0]
        parent = self.call("get message", "GET", f"/v1/messages/{message}", user)
        self.send(user, parent["channelId"], thread=message)

    def history(self, user: User, channel: str) -> None:
        self.call("list messages", "GET", f"/v1/channels/{channel}/messages", user, params={"limit": 20})

    def thread(self, user: User, _channel: str) -> None:
        message = self.messages[-1 - self.sent % len(self.messages)][0]
        self.call("get thread", "GET", f"/v1/messages/{message}/thread", user, params={"limit": 20})

    def listings(self, user: User, _channel: str) -> None:
        paths = ("/v1/users/me", "/v1/workspaces", f"/v1/workspaces/{self.workspace}/channels")
        path = paths[self.sent % len(paths)]
        self.call("list channels" if path.endswith("channels") else "me / workspaces", "GET", path, user)

    def my_threads(self, user: User, _channel: str) -> None:
        self.call("list threads", "GET", f"/v1/workspaces/{self.workspace}/threads", user)


# Steps 1-9 of every ten (step 0 sends a message).
STEPS: dict[int, Callable[[Workload, User, str], None]] = {
    1: Workload.react,
    2: Workload.history,
    3: Workload.edit,
    4: Workload.reply,
    5: Workload.unreact,
    6: Workload.react,
    7: Workload.thread,
    8: Workload.listings,
    9: Workload.my_threads,
}


def verification_link(outbox: Path, to: str, timeout: float = EMAIL_TIMEOUT) -> str:
    """The link in the verification email to ``to`` (it arrives asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml")):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if message["To"] == to:
                found = re.search(r"https?://\S+/v1/auth/verify\?token=[\w-]+", message.get_content())
                if found:
                    return found.group(0)
        time.sleep(0.1)
    raise Unexpected(f"no verification email to {to} in {outbox} after {timeout} s")


def measure(
    pid: int, base_url: str, outbox: Path, requests_: int = REQUESTS, warmup: int = WARMUP, clients: int = CLIENTS
) -> Soak:
    """Warm up, then RSS of ``pid`` before and after ``requests_`` requests, made by
    ``clients`` teams at once (each its own two users and workspace, its share of
    the requests in sequence)."""
    teams = [Workload(base_url, outbox, team=chr(ord("a") + i)) for i in range(clients)]
    for team in teams:
        team.setup()
    _together(teams, warmup // clients)
    time.sleep(SETTLE_SECONDS)
    before, cpu = rss_kb(pid), cpu_seconds(pid)
    started = time.monotonic()
    _together(teams, requests_ // clients)
    seconds = time.monotonic() - started
    time.sleep(SETTLE_SECONDS)
    statuses: Counter[int] = sum((t.statuses for t in teams), Counter())
    operations: Counter[str] = sum((t.operations for t in teams), Counter())
    made = requests_ // clients * clients
    return Soak(made, warmup, before, rss_kb(pid), seconds, cpu_seconds(pid) - cpu, statuses, operations)


def _together(teams: list[Workload], n: int) -> None:
    """``n`` requests from each team, the teams in parallel threads; re-raises the
    first failure."""
    failures: list[BaseException] = []

    def run(team: Workload) -> None:
        try:
            team.run(n)
        except BaseException as exc:  # re-raised below, in the caller's thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(t,), name=f"soak-{t.suffix}") for t in teams]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


# -- a server of our own (the bench; the e2e test uses tests/e2e/harness.py) --------
@dataclass
class Server:
    process: subprocess.Popen[str]
    base_url: str
    outbox: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def devserver() -> Iterator[Server]:
    """`python -m devserver` in a scratch directory, with a clean environment."""
    with tempfile.TemporaryDirectory(prefix="disqua-soak-") as scratch:
        workdir = Path(scratch)
        port = _free_port()
        env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
        outbox, log = workdir / "outbox", workdir / "devserver.log"
        env.update(PORT=str(port), WS_PORT=str(_free_port()), DISQUA_VAR_DIR=str(workdir / "var"))
        env.update(OUTBOX_DIR=str(outbox), PYTHONUNBUFFERED="1")
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "devserver"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
            )
        server = Server(process, f"http://127.0.0.1:{port}", outbox, log)
        try:
            line = _first_line(process, READY_TIMEOUT)
            if line != f"Disqua API ready at {server.base_url}\n":
                raise RuntimeError(f"devserver did not get ready ({line!r}):\n{log.read_text()[-2000:]}")
            yield server
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str | None:
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else None


NO_PROC = "RSS of the local runtime: skipped (no /proc on this system)."


def run(requests_: int = REQUESTS, warmup: int = WARMUP) -> Soak | str:
    """A fresh local runtime, measured; a sentence instead when it cannot run here."""
    if not Path("/proc/self/status").exists():
        return NO_PROC
    try:
        with devserver() as server:
            return measure(server.process.pid, server.base_url, server.outbox, requests_, warmup)
    except (RuntimeError, Unexpected, requests.RequestException) as exc:
        return f"RSS of the local runtime: could not run ({exc})"


BENCH_REQUESTS = 1000  # make bench: the budget is per REQUESTS, scaled (the test makes 2,000)
QUICK_REQUESTS = 400


def section(quick: bool = False) -> list[tuple[str, str]]:
    """``make bench``'s rows: RSS before and after N requests, and the budget."""
    from bench.table import FAIL, heading, render, verdict

    n = QUICK_REQUESTS if quick else BENCH_REQUESTS
    print(heading(f"5. The local runtime's memory: `python -m devserver` over {n:,} mixed requests"))
    result = run(n)
    label = f"local runtime: RSS growth < {BUDGET_MB:.0f} MB over {REQUESTS:,} requests"
    if isinstance(result, str):
        print(result)
        return [] if result == NO_PROC else [(label, FAIL)]
    status = verdict(result.within_budget)
    scaled = result.growth_mb * REQUESTS / result.requests
    rows = [
        [
            f"{result.requests:,} requests, {CLIENTS} clients",
            f"{result.before_kb / MB:.0f}",
            f"{result.after_kb / MB:.0f}",
            f"{result.growth_mb:+.1f}",
            f"{result.per_1000_mb:+.1f}",
            f"{scaled:+.1f} < {BUDGET_MB:.0f}",
            status,
        ]
    ]
    headers = ["Load", "RSS before MB", "after MB", "growth MB", "per 1000", f"per {REQUESTS:,} (budget)", "Result"]
    print(render(headers, rows, right=(1, 2, 3, 4)))
    mix = ", ".join(f"{operation} {count}" for operation, count in result.operations.most_common())
    print(
        f"VmRSS of the server process after {result.warmup} warm-up requests, then after the load and "
        f"{SETTLE_SECONDS:.0f} s for the pumps.\n{result.requests:,} requests in {result.seconds:.0f} s "
        f"({result.requests / result.seconds:.0f}/s; the server used {result.cpu_seconds:.0f} s of CPU); "
        f"every answer as expected.\nMix (warm-up included): {mix}.\n"
        "tests/e2e/test_soak.py asserts the same scaled budget over 600 requests."
    )
    return [(label, status)]


if __name__ == "__main__":  # python -m bench.soak [N]: the figure alone
    n = int(sys.argv[1]) if len(sys.argv) > 1 else REQUESTS
    result = run(n)
    if isinstance(result, str):
        print(result)
    else:
        print(
            f"RSS {result.before_kb / MB:.0f} -> {result.after_kb / MB:.0f} MB over {result.requests} requests "
            f"(+{result.growth_mb:.1f} MB, {result.per_1000_mb:.1f} MB per 1000) in {result.seconds:.0f} s "
            f"(server CPU {result.cpu_seconds:.0f} s); "
            f"statuses {dict(result.statuses)}"
        )
        print(dict(result.operations))
