"""Realtime over real sockets against the local runtime (websockets' client): the app's
WebSocket handlers behind devserver/realtime, events through stream -> router -> realtime
queue -> worker -> the Management API stand-in -> the client's socket.

Two users see each other's messages within a second of the send; typing is relayed to
the others, not echoed; no event after leaving a private channel; a reconnecting client
fills the gap with GET /v1/channels/:id/messages?after=; a dead connection (its
$disconnect lost) is pruned at its first GoneException; the live channel page in
headless Chromium.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser
from websockets.sync.client import ClientConnection, connect

from devserver.realtime.gateway import LOSE_DISCONNECT_HEADER
from tests.e2e.accounts import SignedUp, sign_up
from tests.e2e.harness import Devserver

pytestmark = pytest.mark.e2e
LATENCY = 1.0  # seconds from the send to the other user's socket (the bar)
WAIT = 10.0  # bound for anything else asynchronous
QUIET_WINDOW = 0.5  # how long "no event" is watched for, after a later event arrived


@dataclass(frozen=True)
class Team:
    ann: SignedUp
    ben: SignedUp
    workspace_id: str
    general_id: str


@pytest.fixture(scope="module")
def team(server: Devserver) -> Team:
    api, suffix = server.base_url, uuid.uuid4().hex[:8]
    ann, ben = sign_up(server, f"ann{suffix}", "Ann"), sign_up(server, f"ben{suffix}", "Ben")
    made = requests.post(f"{api}/v1/workspaces", json={"name": f"Live {suffix}"}, headers=ann.headers, timeout=10)
    assert made.status_code == 201, made.text
    workspace = made.json()["data"]
    link = requests.post(f"{api}/v1/workspaces/{workspace['id']}/invites", json={}, headers=ann.headers, timeout=10)
    assert requests.post(f"{link.json()['data']['url']}/accept", headers=ben.headers, timeout=10).status_code == 200
    return Team(ann, ben, workspace["id"], workspace["generalChannelId"])


def _token(user: SignedUp) -> str:
    return user.headers["Authorization"].removeprefix("Bearer ")


class Live:
    """One user's socket, with bounded waits for frames."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def send(self, frame: dict[str, Any]) -> None:
        self.ws.send(json.dumps(frame))

    def until(self, match: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> list[dict[str, Any]]:
        """The frames received up to the first that matches (the last); fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching frame in {timeout} s; saw {seen}")
            try:
                seen.append(json.loads(self.ws.recv(left)))
            except TimeoutError:
                continue
            if match(seen[-1]):
                return seen

    def next(self, match: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> dict[str, Any]:
        """The first frame that matches (others are skipped)."""
        return self.until(match, timeout)[-1]

    def frames_for(self, seconds: float) -> list[dict[str, Any]]:
        """Every frame that arrives within ``seconds``."""
        deadline, frames = time.monotonic() + seconds, []
        while (left := deadline - time.monotonic()) > 0:
            try:
                frames.append(json.loads(self.ws.recv(left)))
            except TimeoutError:
                break
        return frames

    def subscribe(self, channel_id: str) -> dict[str, Any]:
        self.send({"type": "subscribe", "channelId": channel_id})
        return self.next(lambda f: f["type"] in ("subscribed", "error"))

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def live(server: Devserver) -> Iterator[Callable[..., Live]]:
    """Open sockets for users (``?ticket=`` by default, ``?token=`` on request); all closed after."""
    opened = ExitStack()

    def open_socket(user: SignedUp, *, with_token: bool = False, lose_disconnect: bool = False) -> Live:
        if with_token:
            url = f"{server.ws_url}/?token={_token(user)}"
        else:
            issued = requests.post(f"{server.base_url}/v1/realtime/tickets", headers=user.headers, timeout=10)
            assert issued.status_code == 201, issued.text
            url = f"{issued.json()['data']['url']}?ticket={issued.json()['data']['ticket']}"
        headers = {LOSE_DISCONNECT_HEADER: "1"} if lose_disconnect else None
        return Live(opened.enter_context(connect(url, additional_headers=headers, open_timeout=WAIT)))

    with opened:
        yield open_socket


def _send(server: Devserver, user: SignedUp, channel_id: str, content: str) -> dict[str, Any]:
    url = f"{server.base_url}/v1/channels/{channel_id}/messages"
    sent = requests.post(url, json={"content": content}, headers=user.headers, timeout=10)
    assert sent.status_code == 201, sent.text
    return sent.json()["data"]


def _created(message_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f["type"] == "message.created" and f["data"]["id"] == message_id


def test_two_users_see_each_others_messages_within_a_second(server: Devserver, team: Team, live) -> None:
    ann, ben = live(team.ann), live(team.ben, with_token=True)
    assert ann.subscribe(team.general_id)["type"] == "subscribed"
    assert ben.subscribe(team.general_id)["type"] == "subscribed"

    # The first event of a fresh runtime pays the workers' lazy imports (a cold start): not timed.
    warm = _send(server, team.ann, team.general_id, "warming up")
    ben.next(_created(warm["id"]))

    for sender, receiver, text in ((team.ann, ben, "hello Ben"), (team.ben, ann, "hi Ann")):
        started = time.monotonic()
        sent = _send(server, sender, team.general_id, text)
        event = receiver.next(_created(sent["id"]), timeout=WAIT)
        took = time.monotonic() - started
        assert took < LATENCY, f"{text!r} took {took:.2f} s from the send to the other socket"
        assert event["data"] == sent  # the REST object, one view function
        assert (event["workspaceId"], event["channelId"]) == (team.workspace_id, team.general_id)
        assert event["id"] and event["createdAt"]


def test_typing_is_relayed_to_the_others_not_echoed(server: Devserver, team: Team, live) -> None:
    ann, ben = live(team.ann), live(team.ben)
    ann.subscribe(team.general_id)
    ben.subscribe(team.general_id)

    ann.send({"type": "typing", "channelId": team.general_id})
    relayed = ben.next(lambda f: f["type"] == "typing")
    assert relayed == {"type": "typing", "channelId": team.general_id, "userId": team.ann.user_id}
    # The relay is posted while Ann's frame is handled, so an echo would come before this pong.
    ann.send({"type": "ping"})
    assert [f for f in ann.until(lambda f: f["type"] == "pong") if f["type"] == "typing"] == []


def test_no_event_after_leaving_a_private_channel(server: Devserver, team: Team, live) -> None:
    api = server.base_url
    made = requests.post(
        f"{api}/v1/workspaces/{team.workspace_id}/channels",
        json={"name": f"secret-{uuid.uuid4().hex[:6]}", "type": "private"},
        headers=team.ann.headers,
        timeout=10,
    )
    assert made.status_code == 201, made.text
    secret = made.json()["data"]["id"]
    ben_id = team.ben.user_id
    added = requests.post(
        f"{api}/v1/channels/{secret}/members", json={"userIds": [ben_id]}, headers=team.ann.headers, timeout=10
    )
    assert added.status_code == 200, added.text
    ann, ben = live(team.ann), live(team.ben)
    assert ann.subscribe(secret)["type"] == "subscribed"
    assert ben.subscribe(secret)["type"] == "subscribed"
    before = _send(server, team.ann, secret, "before Ben leaves")
    ben.next(_created(before["id"]))

    left = requests.post(f"{api}/v1/channels/{secret}/leave", headers=team.ben.headers, timeout=10)
    assert left.status_code == 204, left.text
    after = _send(server, team.ann, secret, "after Ben left")
    ann.next(_created(after["id"]))  # the fan-out of that event has run

    late = [f for f in ben.frames_for(QUIET_WINDOW) if f.get("channelId") == secret and f["type"].startswith("message")]
    assert late == []
    again = ben.subscribe(secret)
    assert again["type"] == "error" and again["error"]["code"] == "E_NOT_FOUND"


def test_a_reconnecting_client_fills_the_gap(server: Devserver, team: Team, live) -> None:
    ben = live(team.ben)
    ben.subscribe(team.general_id)
    seen = _send(server, team.ann, team.general_id, "seen live")
    last = ben.next(_created(seen["id"]))["data"]["id"]
    ben.close()

    missed = [_send(server, team.ann, team.general_id, f"missed {n}")["id"] for n in range(3)]
    ben = live(team.ben)
    assert ben.subscribe(team.general_id)["type"] == "subscribed"
    gap = requests.get(
        f"{server.base_url}/v1/channels/{team.general_id}/messages",
        params={"after": last},
        headers=team.ben.headers,
        timeout=10,
    )
    assert gap.status_code == 200, gap.text
    assert sorted(m["id"] for m in gap.json()["data"]) == sorted(missed)
    after = _send(server, team.ann, team.general_id, "live again")
    ben.next(_created(after["id"]))


def _calls(server: Devserver) -> list[dict[str, Any]]:
    return requests.get(f"{server.ws_url.replace('ws://', 'http://')}/@local/calls", timeout=10).json()


def test_a_dead_connection_is_pruned_at_its_first_gone_exception(server: Devserver, team: Team, live) -> None:
    ann = live(team.ann)
    ann.subscribe(team.general_id)
    known = {c["connectionId"] for c in _calls(server)}
    ghost = live(team.ben, lose_disconnect=True)  # its $disconnect will be lost
    assert ghost.subscribe(team.general_id)["type"] == "subscribed"
    (dead_id,) = {c["connectionId"] for c in _calls(server)} - known  # the post of "subscribed"
    ghost.close()

    first = _send(server, team.ann, team.general_id, "to a dead socket")
    ann.next(_created(first["id"]))
    deadline = time.monotonic() + WAIT
    while not any(c["connectionId"] == dead_id and c["status"] == 410 for c in _calls(server)):
        assert time.monotonic() < deadline, "the worker never posted to the dead connection"
        time.sleep(0.05)

    second = _send(server, team.ann, team.general_id, "after the prune")
    ann.next(_created(second["id"]))
    time.sleep(QUIET_WINDOW)  # a post to it would have been made with Ann's
    to_dead = [c["status"] for c in _calls(server) if c["connectionId"] == dead_id]
    assert to_dead == [200, 410]  # "subscribed", then the one GoneException: its records are gone


def test_the_live_channel_page_shows_a_new_message(
    server: Devserver, team: Team, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 900, "height": 600})
    page = context.new_page()
    page.set_default_timeout(int(WAIT * 1000))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        http_base = server.ws_url.replace("ws://", "http://")
        response = page.goto(f"{http_base}/realtime?channel={team.general_id}")
        assert response is not None and response.status == 200
        page.get_by_label("Token").fill(_token(team.ann))
        page.get_by_role("button", name="Connect").click()
        page.locator("#status", has_text="Live").wait_for()

        text = f"seen in a browser {uuid.uuid4().hex[:6]}"
        _send(server, team.ben, team.general_id, text)
        item = page.locator("#messages li", has_text=text)
        item.wait_for()
        shot = tmp_path / "realtime-page.png"
        page.screenshot(path=str(shot), full_page=True)

        assert item.locator(".author").inner_text() == team.ben.user_id
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5_000
        assert problems == []  # no CSP violation, no script error
    finally:
        context.close()
