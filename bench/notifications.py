"""``make bench``'s notifications rows: what a notification costs, and ``@channel`` in a
10,000-member channel through the real pipeline (stream -> ``app.route_events`` ->
the notifications queue -> ``app.notify``, continuations included), against moto.

- WCU per notified recipient: the worker's DynamoDB writes (bench/recorder.py, table and
  index units) divided by the notifications it wrote, for one ``@mention`` and for the
  fan-out.
- The fan-out: Lambda invocations of ``notify`` (batches of up to 10 messages, as the
  event source mapping sends them), SQS messages it handled, total WCU and RCU, and the
  longest invocation in seconds. Capacity is recorded in one run; the times come from a
  second ``@channel`` to the same members in another channel with the recorder off (it
  reads every written item back to size it, which would inflate the times). Times are
  this machine's with moto in the process: DynamoDB answers a BatchWriteItem in ~10 ms.
- The send with a mention must stay within its budget: 2 DynamoDB calls, 4 WCU.

The 10,000 members are written with raw BatchWriteItem (bench/seed.py): not recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.table import INFO, heading, render, verdict

MEMBERS = 10_000
QUICK_MEMBERS = 2_000
SEND_CALLS, SEND_WCU = 2, 4  # DynamoDB write calls and their units in the request
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
LAMBDA_TIMEOUT_S = 30  # .chalice/config.json's default for notify
TIME_BUDGET_S = LAMBDA_TIMEOUT_S / 3  # "never near the timeout"
# What one DynamoDB or SQS call takes from Lambda in the same region (a BatchWriteItem of
# 25 small items, a BatchGetItem of 100, a Query page): a round figure for the estimate.
AWS_CALL_S = 0.010
FULL_VCPU_MB = 1769  # Lambda's CPU share grows with memory: a full vCPU at 1,769 MB


def _memory_mb() -> int:
    """notify's memory: .chalice/config.json's default (infra/merge.py sizes it no other way)."""
    from bench import ROOT

    return int(json.loads((ROOT / ".chalice" / "config.json").read_text()).get("lambda_memory_size", 128))


@dataclass
class Drain:
    """What draining the notifications queue took."""

    invocations: int = 0
    messages: int = 0
    longest_s: float = 0.0  # wall time here, moto's emulation included
    longest_calls: int = 0  # AWS API calls of that invocation
    longest_estimate_s: float = 0.0  # in Lambda: its CPU time scaled to the function's share, AWS_CALL_S a call
    calls: list[Any] = field(default_factory=list)

    @property
    def wcu(self) -> float:
        return sum(c.computed.write for c in self.calls)

    @property
    def rcu(self) -> float:
        return sum(c.computed.read for c in self.calls)


class Pipeline:
    """The stream and the notifications queue, pumped into the app's handlers."""

    def __init__(self) -> None:
        import boto3

        from chalicelib.config import get_settings

        self.sqs = boto3.client("sqs")
        self.queue = get_settings().queue_url("notifications")
        streams = self.streams = boto3.client("dynamodbstreams")
        table = boto3.client("dynamodb").describe_table(TableName=get_settings().table_name)["Table"]
        arn = table["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.arn, self.shard = arn, shard
        self.skip()

    def skip(self) -> None:
        """Start reading the stream from now: the seeded items and the notifications
        written so far carry no event this bench needs (and moto is slow to serve them)."""
        self.iterator = self.streams.get_shard_iterator(
            StreamArn=self.arn, ShardId=self.shard, ShardIteratorType="LATEST"
        )["ShardIterator"]

    def route(self) -> None:
        from app import route_events

        while True:
            answer = self.streams.get_records(ShardIterator=self.iterator)
            self.iterator = answer["NextShardIterator"]
            if not answer["Records"]:
                return
            records = [{**r, "eventSourceARN": self.arn} for r in answer["Records"]]
            route_events({"Records": records}, _Context())

    def drain(self, recorder: Any | None) -> Drain:
        from app import notify

        done = Drain()
        while True:
            received = self.sqs.receive_message(
                QueueUrl=self.queue, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not received:
                return done
            event = {"Records": [_record(m) for m in received]}
            started = time.perf_counter()
            if recorder is not None:
                with recorder.recording() as calls:
                    result = notify(event, _Context())
                done.calls += calls
            else:
                with _timed_calls() as timing:
                    result = notify(event, _Context())
                wall = time.perf_counter() - started
                cpu = (wall - timing.seconds) * FULL_VCPU_MB / _memory_mb()  # Lambda's share of a vCPU
                estimate = cpu + timing.calls * AWS_CALL_S
                if wall > done.longest_s:
                    done.longest_s, done.longest_calls, done.longest_estimate_s = wall, timing.calls, estimate
            assert result == {"batchItemFailures": []}, result
            done.invocations += 1
            done.messages += len(received)
            for message in received:
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])


@dataclass
class _Timing:
    calls: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this thread's CPU time inside moto (bench/costs.py subtracts it)


@contextmanager
def _timed_calls() -> Iterator[_Timing]:
    """How many AWS API calls the block made, and how long moto spent answering them
    (botocore's own work on requests and responses stays counted: Lambda does it too)."""
    from moto.core.botocore_stubber import BotocoreStubber

    original, timing = BotocoreStubber.__call__, _Timing()

    def timed(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(stubber, event_name, request, **kwargs)
        finally:
            timing.calls += 1
            timing.seconds += time.perf_counter() - started
            timing.cpu_seconds += time.thread_time() - cpu

    BotocoreStubber.__call__ = timed  # type: ignore[method-assign]
    try:
        yield timing
    finally:
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]


class _Context:
    function_name = "notify"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:notify"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return LAMBDA_TIMEOUT_S * 1000


def _record(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:notifications",
        "awsRegion": "us-east-1",
    }


def _notifications() -> int:
    """Notification items in the table (a Scan with Select=COUNT: nothing is serialized)."""
    from chalicelib.store import db
    from chalicelib.store.models import Entity

    client, total, start = db.connection().client, 0, None
    while True:
        page = client.scan(
            TableName=Entity.Meta.table_name,
            Select="COUNT",
            FilterExpression="#t = :n",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":n": {"S": "Notification"}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return total


def _seed_members(channel_ids: list[str], count: int) -> None:
    from bench.seed import write_items
    from chalicelib.ids import new_id, now_iso
    from chalicelib.store import channels as channel_store
    from chalicelib.store import users as user_store

    channels = [channel_store.get(c) for c in channel_ids]
    now = now_iso()

    def items() -> Any:
        for index in range(count):
            user_id = new_id()
            yield user_store.new_user(user_id, f"n{index}@example.com", f"fan{index:05d}", f"Fan {index}", now)
            for channel in channels:
                assert channel is not None
                yield channel_store.new_member(channel, user_id, "member", now)

    write_items(items())


def _join(workspace_id: str, general_id: str, user_id: str) -> None:
    from chalicelib.ids import now_iso
    from chalicelib.store import channels as channel_store
    from chalicelib.store import workspaces as workspace_store
    from chalicelib.store.models import Channel
    from chalicelib.store.outbox import new_event

    general = channel_store.get(general_id)
    workspace_store.join(
        workspace_store.new_membership(workspace_id, user_id, "member", now_iso()),
        [(general, [Channel.member_count.add(1)], Channel.PK.exists())],
        [channel_store.new_member(general, user_id, "member", now_iso())],
        new_event("member.joined", {"workspaceId": workspace_id, "userId": user_id}, workspace_id=workspace_id),
    )


def _request(client: Any, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    payload = json.dumps(body).encode() if body is not None else b""
    response = client.http.request(method, path, headers=headers, body=payload)
    return response.status_code, json.loads(response.body) if response.body else {}


@dataclass(frozen=True)
class Figures:
    send_calls: int
    send_writes: int
    send_operations: str
    send_wcu: float
    mention_wcu: float
    mention_written: int
    members: int
    fanout: Drain
    fanout_written: int
    timed: Drain
    timed_written: int


def measure(members: int) -> Figures:
    from chalice.test import Client

    from app import app
    from bench import ROOT
    from bench.endpoints import _verified_user, backend
    from bench.recorder import Recorder

    recorder = Recorder()
    with backend(), Client(app, project_dir=str(ROOT)) as client:
        jane = _verified_user("jane@example.com", "jane")
        _verified_user("bob@example.com", "bob")
        _, created = _request(client, "POST", "/v1/workspaces", jane, {"name": "Bench notifications"})
        ws = created["data"]
        bob_id = _user_id("bob")
        _join(ws["id"], ws["generalChannelId"], bob_id)
        _, made = _request(client, "POST", f"/v1/workspaces/{ws['id']}/channels", jane, {"name": "all-hands"})
        hall = made["data"]["id"]
        _, made = _request(client, "POST", f"/v1/workspaces/{ws['id']}/channels", jane, {"name": "all-hands-2"})
        hall_timed = made["data"]["id"]
        pipeline = Pipeline()
        recorder.install()
        try:
            pipeline.skip()
            with recorder.recording() as send_calls:
                status, _ = _request(
                    client, "POST", f"/v1/channels/{ws['generalChannelId']}/messages", jane, {"content": "hi @bob"}
                )
            assert status == 201
            pipeline.route()
            mention = pipeline.drain(recorder)
            mention_written = _notifications()

            _seed_members([hall, hall_timed], members)
            pipeline.skip()
            status, _ = _request(client, "POST", f"/v1/channels/{hall}/messages", jane, {"content": "@channel hello"})
            assert status == 201
            pipeline.route()
            fanout = pipeline.drain(recorder)
            fanout_written = _notifications() - mention_written
        finally:
            recorder.uninstall()
        pipeline.skip()
        status, _ = _request(client, "POST", f"/v1/channels/{hall_timed}/messages", jane, {"content": "@channel again"})
        assert status == 201
        pipeline.route()
        timed = pipeline.drain(None)
        timed_written = _notifications() - mention_written - fanout_written
    send = [c for c in send_calls if c.phase == "handler"]
    return Figures(
        send_calls=len(send),
        send_writes=sum(1 for c in send if c.operation in WRITES),
        send_operations=", ".join(c.operation.removesuffix("Item") for c in send),
        send_wcu=sum(c.computed.write for c in send),
        mention_wcu=mention.wcu,
        mention_written=mention_written,
        members=members,
        fanout=fanout,
        fanout_written=fanout_written,
        timed=timed,
        timed_written=timed_written,
    )


def _user_id(username: str) -> str:
    from chalicelib.store import users as user_store

    return user_store.user_ids_for_usernames([username])[username]


def section(quick: bool = False) -> list[tuple[str, str]]:
    from chalicelib.services.notifications import STEP_RECIPIENTS

    members = QUICK_MEMBERS if quick else MEMBERS
    print(heading(f"Notifications: one @mention, and @channel to {members:,} members (the worker's cost)"))
    started = time.perf_counter()
    f = measure(members)
    fan = f.fanout
    send_ok = f.send_writes <= SEND_CALLS and f.send_wcu <= SEND_WCU
    exactly_once = f.fanout_written == f.timed_written == members
    fast = f.timed.longest_estimate_s <= TIME_BUDGET_S
    memory = _memory_mb()
    rows = [
        [
            "send with a @mention (the request)",
            f"{f.send_writes} write calls, {f.send_wcu:g} WCU",
            f"writes <= {SEND_CALLS}, WCU <= {SEND_WCU}",
            verdict(send_ok),
        ],
        [f"  its calls ({f.send_calls}): notifications add none", f.send_operations, INFO, INFO],
        ["@mention: WCU per notified recipient", f"{f.mention_wcu / max(1, f.mention_written):.2f}", INFO, INFO],
        [
            f"@channel: notifications written ({members:,} members)",
            f"{f.fanout_written:,}",
            f"= {members:,}",
            verdict(exactly_once),
        ],
        ["@channel: WCU per notified recipient", f"{fan.wcu / max(1, f.fanout_written):.2f}", INFO, INFO],
        ["@channel: invocations of notify", f"{fan.invocations}", INFO, INFO],
        ["@channel: SQS messages handled", f"{fan.messages}", INFO, INFO],
        ["@channel: total WCU / RCU", f"{fan.wcu:,.0f} / {fan.rcu:,.0f}", INFO, INFO],
        ["@channel: DynamoDB calls", f"{len(fan.calls):,}", INFO, INFO],
        [
            "@channel: longest invocation here (moto in the process)",
            f"{f.timed.longest_s:.2f} s, {f.timed.longest_calls} AWS calls",
            INFO,
            INFO,
        ],
        [
            f"  in Lambda ({memory} MB: CPU x{FULL_VCPU_MB / memory:.1f}, {AWS_CALL_S * 1000:g} ms a call; estimate)",
            f"{f.timed.longest_estimate_s:.2f} s",
            f"<= {TIME_BUDGET_S:g} s (timeout {LAMBDA_TIMEOUT_S} s)",
            verdict(fast),
        ],
    ]
    print(render(["Measure", "Value", "Budget", "Result"], rows, right=(1,)))
    print(
        "WCU: the worker's table and index write units (bench/capacity.py): each notification is an item and its\n"
        "GSI1 entry (the per-workspace list), plus the per-step list of recipients (NOTIFSRC, for edits and\n"
        f"deletion). Steps notify at most {STEP_RECIPIENTS:,} members; a step sends the next one through the queue.\n"
        f"Measured in {time.perf_counter() - started:.0f} s."
    )
    return [
        (f"send with a @mention: <= {SEND_CALLS} write calls, <= {SEND_WCU} WCU", verdict(send_ok)),
        ("@channel fan-out: every member exactly once", verdict(exactly_once)),
        (f"@channel fan-out: longest invocation <= {TIME_BUDGET_S:g} s", verdict(fast)),
    ]
