"""Realtime fan-out: one ``message.created`` to a channel with 1,000 open WebSocket connections
(docs/realtime.md, "Costs"): DynamoDB calls and RCU of the realtime worker for that event, the
Management API posts, and the time, against moto and the local runtime's WebSocket gateway with
in-memory clients behind its Management API stand-in on 127.0.0.1 (tests/realtime_standin.py:
the same HTTP calls boto3 makes to API Gateway).

Cases: a public channel (every connection subscribed to the channel); the same event again (a
redelivery: the claim answers, nothing is posted); a private channel of 1,000 members (+ the
members' Query); a public channel where 10% of the connections are dead (410 -> deleted).
The clients connect through $connect (an access token each); their subscriptions are written
through the store (the subscribe frame's path is measured by the tests).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from bench.table import INFO, PASS, heading, render

CONNECTIONS = 1_000
# The worker's reads for one event: the claim (PutItem), the message (GetItem), the channel's
# and the workspace's subscribers (one Query each: 1,000 small items in one page), the claim's
# completion; a private channel adds its members' Query.
PUBLIC_BUDGET_CALLS = 5
PRIVATE_BUDGET_CALLS = 6


@dataclass
class Row:
    case: str
    calls: int
    operations: str
    rcu: float
    wcu: float
    posts: int
    posted: int
    gone: int
    seconds: float
    budget: int | None

    @property
    def result(self) -> str:
        if self.budget is None:
            return INFO
        return PASS if self.calls <= self.budget else "FAIL"


def _summary(calls: list[Any]) -> str:
    """``Put, Get, Query x2, ...``: the operations in order, runs of the same one counted."""
    from bench.recorder import operations

    names = operations(calls).split(", ") if calls else []
    runs: list[list[Any]] = []
    for name in names:
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    if len(runs) > 8:  # interleaved (a 410's GetItem and BatchWriteItem): totals per operation
        totals: dict[str, int] = {}
        for name in names:
            totals[name] = totals.get(name, 0) + 1
        return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in totals.items())
    return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in runs)


def _subscribe_all(store: Any, workspace_id: str, channel_id: str, clients: list[Any], users: list[str]) -> None:
    for client, user_id in zip(clients, users, strict=True):
        store.subscribe(client.id, user_id, workspace_id, channel_id, authority=None)


def _members(channel: Any, users: list[str]) -> None:
    from chalicelib.store import channels as channel_store
    from chalicelib.store.models import ChannelMember

    with ChannelMember.batch_write() as batch:
        for user_id in users:
            batch.save(channel_store.new_member(channel, user_id, "member", "2026-12-02T12:00:00Z"))


def run(connections: int = CONNECTIONS) -> list[Row]:
    from chalice.test import Client

    from app import app
    from bench.endpoints import PASSWORD, ROOT, _verify_email, backend
    from bench.recorder import Recorder, total_capacity
    from chalicelib import aws, config
    from chalicelib.auth import tokens
    from chalicelib.ids import new_id
    from chalicelib.services import accounts, channels, messages, workspaces
    from chalicelib.store import realtime as store
    from chalicelib.workers import realtime as worker
    from tests.realtime_standin import LocalRealtime, StandInServer

    rows: list[Row] = []
    server = StandInServer()  # the local runtime's Management API stand-in, on 127.0.0.1
    try:
        with backend(), Client(app, project_dir=str(ROOT)):
            os.environ["REALTIME_ENDPOINT"] = server.endpoint
            config.reset()
            config.get_settings()
            aws._clients.pop(aws.MANAGEMENT_API, None)
            gateway = LocalRealtime(app, server)
            recorder = Recorder()
            recorder.install()
            try:
                email = "realtime-bench@example.com"
                owner = accounts.register(email, PASSWORD, "rtbench", "RT Bench", client_ip="bench-realtime")
                _verify_email(owner, email)
                principal = _principal(owner, new_id)
                workspace = workspaces.create(principal, "Realtime bench", None)
                workspace_id = workspace.workspace.id
                general = workspace.workspace.general_channel_id
                users = [new_id() for _ in range(connections)]
                # each its own user, connected through $connect with an access token (no read)
                clients = [
                    gateway.connect({"token": tokens.issue_access_token(u, new_id(), email_verified=True)})
                    for u in users
                ]

                def fan_out(case: str, channel_id: str, budget: int | None, event: Any = None) -> Any:
                    if event is None:
                        sent = messages.send(principal, channel_id, f"hello {case}", None, [])
                        event = {
                            "id": f"evt_bench_{new_id()}",
                            "type": "message.created",
                            "workspaceId": workspace_id,
                            "createdAt": sent.created_at,
                            "data": messages.event_payload(sent),
                        }
                    for client in clients:
                        client.take()
                    started = time.perf_counter()
                    with recorder.recording() as calls:
                        worker.handle(event)
                    seconds = time.perf_counter() - started
                    delivered = sum(1 for c in clients if c.take())
                    gone = sum(1 for c in clients if c.peer.closed and store.get_connection(c.id) is None)
                    capacity = total_capacity(calls)
                    rows.append(
                        Row(
                            case,
                            len(calls),
                            _summary(calls),
                            capacity.read,
                            capacity.write,
                            delivered + gone,  # each gone connection's post was answered 410
                            delivered,
                            gone,
                            seconds,
                            budget,
                        )
                    )
                    return event

                _subscribe_all(store, workspace_id, general, clients, users)
                event = fan_out(f"public channel, {connections} connections", general, PUBLIC_BUDGET_CALLS)
                fan_out("the same event redelivered", general, 2, event=event)

                private = channels.create(principal, workspace_id, "bench-private", "private", None, None)
                _members(private, users)
                _subscribe_all(store, workspace_id, private.id, clients, users)
                fan_out(f"private channel, {connections} members and connections", private.id, PRIVATE_BUDGET_CALLS)

                third = channels.create(principal, workspace_id, "bench-dead", "public", None, None)
                _subscribe_all(store, workspace_id, third.id, clients, users)
                dead = clients[::10]
                for client in dead:
                    client.drop()  # gone, its $disconnect lost: the post answers 410
                fan_out(f"public, {len(dead)} of {connections} dead (410)", third.id, None)
            finally:
                recorder.uninstall()
                os.environ.pop("REALTIME_ENDPOINT", None)
                aws._clients.pop(aws.MANAGEMENT_API, None)
                config.reset()
    finally:
        server.shutdown()
        server.server_close()
    return rows


def _principal(user_id: str, new_id: Any) -> Any:
    from chalicelib.auth.principal import Principal

    return Principal(user_id=user_id, kind="session", email_verified=True, session_id=new_id())


def section(quick: bool = False) -> list[tuple[str, str]]:
    """Print the realtime fan-out rows; returns the budget checks (1,000 connections either way)."""
    rows = run()
    print(heading(f"Realtime: one event fanned out to {CONNECTIONS:,} WebSocket connections"))
    table = [
        [
            r.case,
            r.calls,
            r.operations,
            f"{r.rcu:g}",
            f"{r.wcu:g}",
            r.posts,
            r.posted,
            r.gone,
            f"{r.seconds:.2f}",
            f"calls <= {r.budget}" if r.budget is not None else INFO,
            r.result,
        ]
        for r in rows
    ]
    headers = ["Case", "Calls", "Operations", "RCU", "WCU", "Posts", "Delivered", "Gone", "Seconds", "Budget", "Result"]
    print(render(headers, table, right=(1, 3, 4, 5, 6, 7, 8)))
    print(
        "Calls: DynamoDB calls of the realtime worker for the event (claim, the message, one Query per scope:\n"
        "the channel's and the workspace's subscribers, never a scan; a private channel adds its members' Query).\n"
        "Posts: Management API PostToConnection calls, 32 at a time, to a stand-in on 127.0.0.1 (in AWS each\n"
        "takes ~10-30 ms: ~0.3-1 s for 1,000). Gone: 410 answers, each deleting its connection (BatchWriteItem)."
    )
    return [(f"realtime: {r.case}", r.result) for r in rows if r.budget is not None]
