"""``make bench``'s cost model: dollars per million message sends, per million page reads and
per thousand file uploads, all in, from figures measured here against moto.

Measured (this module runs the app, the stream and every queue as Lambda would, through
devserver/pump.py's pumps, one poll at a time):

- API Gateway: one REST request per send, read or API call of an upload;
- Lambda: every invocation the workload causes (the API handler, the stream router, every
  worker the events reach), its duration estimated as notifications.py does it (the CPU time
  it took here, moto's excluded, scaled to the function's share of a vCPU at its memory from
  .chalice/config.json or infra/merge.py SIZING, plus ``AWS_CALL_S`` per AWS call), billed per
  ms, and one request each. CPU time, not wall time: other work on the machine does not
  inflate it (clamscan's, a child process, is included);
- DynamoDB on-demand: read and write request units of every call (bench/recorder.py, in a
  second run of the same workload: sizing the items reads them back, which would skew times);
  the stream's GetRecords (free for Lambda triggers, counted for the record);
- SQS: every request the app makes (SendMessage...), the poller's ReceiveMessage (with
  messages) and DeleteMessageBatch per batch, and S3's notifications to the files queue;
- S3: the browser's presigned PUT, the processor's requests by price class, and a month of
  what stays stored (the file and its thumbnails);
- CloudWatch Logs: the app's own lines at the stages' LOG_LEVEL (INFO), and Lambda's
  START/END/REPORT lines per invocation (``PLATFORM_LOG_BYTES``, an estimate). EMF metrics are
  off in the bench: not counted.

The stack's defaults apply: rate limits on (a send's counter is a write), search off (the
router then sends the indexer nothing).

Not counted: the pollers' empty ReceiveMessage calls (a fixed ~$0.2 a month per queue, not per
send), cold starts, X-Ray (prod samples 1 request a second + 5%: ~$5 per million traces
recorded), data transfer, the table's storage, the search domain (a fixed monthly price).

Two ways to send are measured: a burst (Lambda batches: the router takes up to 100 records,
the workers 10 messages) and one send at a time, each alone in its batches (a quiet channel):
the goal is judged on the second, the dearer.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from bench import ROOT
from bench.notifications import AWS_CALL_S, FULL_VCPU_MB, _timed_calls, _Timing
from bench.table import heading, render, verdict

PRICES = Path(__file__).with_name("prices.json")
GOAL_PER_MILLION_SENDS = 6.0
STAGE = "prod"  # memory and timeouts are the same in every stage; prod is what is paid for
PLATFORM_LOG_BYTES = 350  # START, END and REPORT lines of one invocation (about 60 + 40 + 250 bytes)
GB = 1024**3
SENDS, QUICK_SENDS = 20, 10
READS, QUICK_READS = 20, 10
UPLOADS, QUICK_UPLOADS = 3, 2
PAGE = 50  # messages per page read (GET /v1/channels/{id}/messages?limit=50)
MESSAGE = ("A typical chat message: a sentence or two, no mentions, no attachment. " * 2)[:140]

# chalicelib/services/rate_limits.py classes the workloads would exceed at their real limits.
RATE_LIMITS = {"send": [100_000, 60], "upload": [100_000, 60]}
S3_TIER1 = frozenset({"PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2", "UploadPart"})
S3_TIER2 = frozenset({"GetObject", "HeadObject"})


# --- prices ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    usd: float
    per: str
    note: str
    source: str


@dataclass(frozen=True)
class PriceTable:
    region: str
    date: str
    prices: dict[str, Price]

    def __getitem__(self, key: str) -> float:
        return self.prices[key].usd


def load_prices(path: Path = PRICES) -> PriceTable:
    data = json.loads(path.read_text())
    prices = {key: Price(**value) for key, value in data["prices"].items()}
    return PriceTable(data["region"], data["date"], prices)


# --- what a workload used ------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    function: str
    memory_mb: int
    seconds: float  # estimated duration in Lambda

    @property
    def billed_ms(self) -> int:
        return max(1, math.ceil(self.seconds * 1000))

    @property
    def gb_seconds(self) -> float:
        return self.billed_ms / 1000 * self.memory_mb / 1024


@dataclass
class Usage:
    """Totals of one measured workload of ``units`` sends, reads or uploads."""

    label: str
    units: int
    api_requests: int = 0
    invocations: list[Invocation] = field(default_factory=list)
    read_units: float = 0.0
    write_units: float = 0.0
    stream_reads: int = 0
    sqs_requests: int = 0
    s3_tier1: int = 0
    s3_tier2: int = 0
    stored_bytes: int = 0  # kept for a month
    log_bytes: int = 0  # the app's own log lines, at the stage's LOG_LEVEL
    capacity_by_function: dict[str, tuple[float, float]] = field(default_factory=dict)  # (RRU, WRU)

    def capacity_shares(self, index: int) -> str:
        """``api_handler 5, track_activity 2``: RRU (0) or WRU (1) per unit, by function."""
        shares = sorted(((v[index] / self.units, f) for f, v in self.capacity_by_function.items()), reverse=True)
        return ", ".join(f"{f} {u:.3g}" for u, f in shares if u > 0)

    def by_function(self) -> dict[str, list[Invocation]]:
        found: dict[str, list[Invocation]] = {}
        for invocation in self.invocations:
            found.setdefault(invocation.function, []).append(invocation)
        return found


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float  # per unit of the workload
    unit: str
    usd: float  # per unit of the workload
    cut: str  # what would make it cheaper
    saves: float | None = None  # per unit of the workload, where the price table says it exactly


def _priced(item: str, quantity: float, unit: str, price: float, cut: str, saves: float | None = None) -> Line:
    """A line whose cost is its quantity at one list price."""
    return Line(item, quantity, unit, quantity * price, cut, saves)


def lines(usage: Usage, prices: PriceTable) -> list[Line]:
    """What one unit (a send, a read, an upload) of ``usage`` costs, item by item."""
    n = usage.units
    found = [
        _priced(
            "API Gateway REST requests",
            usage.api_requests / n,
            "request",
            prices["apigateway_rest_request"],
            f"an HTTP API costs {prices['apigateway_http_request'] * 1e6:.2f} instead of "
            f"{prices['apigateway_rest_request'] * 1e6:.2f} USD a million (chalice deploys REST only; "
            "usage plans and gateway responses are REST features)",
            usage.api_requests / n * (prices["apigateway_rest_request"] - prices["apigateway_http_request"]),
        ),
        _priced(
            "Lambda requests",
            len(usage.invocations) / n,
            "invocation",
            prices["lambda_request"],
            "fuller batches: MaximumBatchingWindowInSeconds on the queues' mappings, or one consumer "
            "for message.created instead of four",
        ),
    ]
    for function, invocations in sorted(usage.by_function().items()):
        gb_s = sum(i.gb_seconds for i in invocations)
        memory = invocations[0].memory_mb
        arm = prices["lambda_gb_second_arm"] / prices["lambda_gb_second"]
        found.append(
            _priced(
                f"Lambda compute: {function} ({memory} MB)",
                gb_s / n,
                "GB-s",
                prices["lambda_gb_second"],
                f"arm64 costs x{arm:.2f} per GB-s; {sum(i.billed_ms for i in invocations) / len(invocations):.0f} ms "
                "an invocation here: less memory only pays if the time does not grow as much",
                gb_s / n * (prices["lambda_gb_second"] - prices["lambda_gb_second_arm"]),
            )
        )
    found += [
        _priced(
            "DynamoDB write request units",
            usage.write_units / n,
            "WRU",
            prices["dynamodb_write_request_unit"],
            f"by function: {usage.capacity_shares(1)}; fewer or smaller index entries (KEYS_ONLY/INCLUDE "
            "projections), no per-send update of the channel item, no writes by workers that find nothing to do",
        ),
        _priced(
            "DynamoDB read request units",
            usage.read_units / n,
            "RRU",
            prices["dynamodb_read_request_unit"],
            f"by function: {usage.capacity_shares(0)}; eventually consistent reads (half), caching membership "
            "and channel lookups per container",
        ),
        _priced(
            "DynamoDB Streams GetRecords",
            usage.stream_reads / n,
            "request",
            prices["dynamodb_streams_read_request"],
            "free for Lambda triggers",
        ),
        _priced(
            "SQS requests",
            usage.sqs_requests / n,
            "request",
            prices["sqs_request"],
            "SendMessageBatch in the router (one request for up to 10 events per queue); fuller batches",
        ),
        _priced(
            "S3 PUT/COPY/LIST requests",
            usage.s3_tier1 / n,
            "request",
            prices["s3_tier1_request"],
            "fewer thumbnail sizes; promote by metadata instead of CopyObject to files/",
        ),
        _priced(
            "S3 GET/HEAD requests",
            usage.s3_tier2 / n,
            "request",
            prices["s3_tier2_request"],
            "one HeadObject fewer per processing",
        ),
        _priced(
            "S3 storage, one month",
            usage.stored_bytes / n / GB,
            "GB-month",
            prices["s3_storage_gb_month"],
            "smaller thumbnails; Intelligent-Tiering or a lifecycle rule for old files",
        ),
        _priced(
            "CloudWatch Logs (the app's lines)",
            usage.log_bytes / n / GB,
            "GB",
            prices["logs_ingested_gb"],
            "fewer INFO lines per request in prod (LOG_LEVEL=WARNING, or sampled debug)",
            usage.log_bytes / n / GB * prices["logs_ingested_gb"],
        ),
        _priced(
            "CloudWatch Logs (Lambda's platform lines, estimated)",
            len(usage.invocations) * PLATFORM_LOG_BYTES / n / GB,
            "GB",
            prices["logs_ingested_gb"],
            "Lambda's advanced logging controls: system log level WARN drops START/END/REPORT",
            len(usage.invocations) * PLATFORM_LOG_BYTES / n / GB * prices["logs_ingested_gb"],
        ),
    ]
    return [line for line in found if line.quantity > 0 or line.item.startswith(("API", "Lambda requests"))]


def total(items: list[Line]) -> float:
    return sum(line.usd for line in items)


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class ApiCount:
    service: str
    operation: str
    messages: int  # ReceiveMessage: how many came back


@contextmanager
def counting_calls() -> Iterator[list[ApiCount]]:
    """Every AWS API call made inside the block, by service and operation (botocore clients;
    the browser's presigned PUT is counted by the upload scenario itself)."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    counted: list[ApiCount] = []

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        response = original(client, operation, params)
        service = client.meta.service_model.service_name
        received = len(response.get("Messages", [])) if operation == "ReceiveMessage" else 0
        counted.append(ApiCount(service, operation, received))
        return response

    BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


class _Bytes:
    """A stream that only counts what is written to it (UTF-8 bytes)."""

    def __init__(self) -> None:
        self.count = 0

    def write(self, text: str) -> int:
        self.count += len(text.encode())
        return len(text)

    def flush(self) -> None:
        pass


@contextmanager
def app_log_bytes() -> Iterator[_Bytes]:
    """The bytes the app's logger writes inside the block, at the level the AWS stages log
    (.chalice/config.json's LOG_LEVEL; the bench itself runs at WARNING), as Lambda ships
    them to CloudWatch Logs. Metrics (EMF) are off in the bench: not counted."""
    from chalicelib.observability import logger

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    level = {**config.get("environment_variables", {}), **config["stages"][STAGE].get("environment_variables", {})}
    log, counted = logger(), _Bytes()
    handler, before = log.registered_handler, log.log_level
    stream = handler.setStream(counted)  # type: ignore[attr-defined]
    log.setLevel(level.get("LOG_LEVEL", "INFO"))
    try:
        yield counted
    finally:
        handler.setStream(stream)  # type: ignore[attr-defined]
        log.setLevel(before)


def lambda_seconds(cpu: float, calls: int, memory_mb: int) -> float:
    """An invocation's duration in Lambda: the CPU time it took here (moto's excluded) at the
    function's share of a vCPU, plus ``AWS_CALL_S`` per AWS call."""
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    return max(0.0, cpu) / share + calls * AWS_CALL_S


@contextmanager
def cpu_time() -> Iterator[_Timing]:
    """The block's CPU time without moto's, in ``cpu_seconds``, and its AWS calls: this
    thread's CPU time plus that of the processes it waited for (clamscan), so the figure does
    not grow when other work shares the machine, as a wall time would."""
    import resource

    def children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    spent = _Timing()
    started, started_children = time.thread_time(), children()
    with _timed_calls() as moto:
        yield spent
        spent.calls = moto.calls
        spent.cpu_seconds = time.thread_time() - started + children() - started_children - moto.cpu_seconds


@dataclass
class Run:
    invocations: list[Invocation] = field(default_factory=list)
    s3_notifications: int = 0  # messages S3 sent to a queue (SQS requests moto makes internally)
    recorder: Any = None  # while set, its calls are tagged with the function that made them

    @contextmanager
    def invoking(self, function: str) -> Iterator[None]:
        if self.recorder is None:
            yield
            return
        previous, self.recorder.phase = self.recorder.phase, function
        try:
            yield
        finally:
            self.recorder.phase = previous


class Pipeline:
    """The app's stream and queues, fed to its handlers as Lambda does (devserver/pump.py), one
    poll at a time; every invocation timed."""

    def __init__(self, run: Run) -> None:
        import boto3

        from app import app
        from devserver import pump

        config = json.loads((ROOT / ".chalice" / "config.json").read_text())
        self.pumps = pump.pumps_for(app, boto3.session.Session(), STAGE, config)
        self.run = run
        for p in self.pumps:
            p.invoke = self._timed(p, p.invoke)  # type: ignore[method-assign]

    def _timed(self, p: Any, invoke: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        def timed(event: dict[str, Any]) -> Any:
            self.run.s3_notifications += sum(1 for r in event["Records"] if '"aws:s3"' in r.get("body", ""))
            self.run.s3_notifications += sum(1 for r in event["Records"] if '"s3:TestEvent"' in r.get("body", ""))
            with cpu_time() as spent, self.run.invoking(p.function):
                result = invoke(event)
            seconds = lambda_seconds(spent.cpu_seconds, spent.calls, p._memory_mb)
            self.run.invocations.append(Invocation(p.function, p._memory_mb, seconds))
            return result

        return timed

    def settle(self) -> None:
        """Poll every source until none has work (what Lambda's pollers would deliver)."""
        from devserver import pump

        with mock.patch.object(pump, "SQS_WAIT_SECONDS", 0):
            busy = True
            while busy:
                busy = False
                for p in self.pumps:
                    while p.poll():
                        busy = True


class Api:
    """Requests through chalice's test client, each timed as an API handler invocation."""

    def __init__(self, client: Any, run: Run) -> None:
        from chalice.config import Config

        from infra import merge

        config = json.loads((ROOT / ".chalice" / "config.json").read_text())
        self.memory_mb = merge.limits("api_handler", Config(STAGE, config_from_disk=config)).memory_mb
        self.client, self.run = client, run

    def request(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        payload = json.dumps(body).encode() if body is not None else b""
        with cpu_time() as spent:
            response = self.client.http.request(method, path, headers=headers, body=payload)
        seconds = lambda_seconds(spent.cpu_seconds, spent.calls, self.memory_mb)
        self.run.invocations.append(Invocation("api_handler", self.memory_mb, seconds))
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code} {response.body[:300]!r}")
        return json.loads(response.body).get("data") or {} if response.body else {}


@dataclass
class Setting:
    jwt: str
    workspace_id: str
    channel_id: str


def _setting(client: Any) -> Setting:
    from bench.endpoints import _verified_user

    jwt = _verified_user("costs@example.com", "costs")
    api = Api(client, Run())
    workspace = api.request("POST", "/v1/workspaces", jwt, {"name": "Costs"})
    channel = api.request("POST", f"/v1/workspaces/{workspace['id']}/channels", jwt, {"name": "costs"})
    return Setting(jwt, workspace["id"], channel["id"])


Workload = Callable[[Api, Pipeline, Setting, int], None]  # does that many units


def sends_in_a_burst(api: Api, pipeline: Pipeline, s: Setting, count: int) -> None:
    for _ in range(count):
        api.request("POST", f"/v1/channels/{s.channel_id}/messages", s.jwt, {"content": MESSAGE})
    pipeline.settle()


def sends_one_at_a_time(api: Api, pipeline: Pipeline, s: Setting, count: int) -> None:
    for _ in range(count):
        api.request("POST", f"/v1/channels/{s.channel_id}/messages", s.jwt, {"content": MESSAGE})
        pipeline.settle()


def page_reads(api: Api, pipeline: Pipeline, s: Setting, count: int) -> None:
    for _ in range(count):
        api.request("GET", f"/v1/channels/{s.channel_id}/messages?limit={PAGE}", s.jwt)
    pipeline.settle()


def uploads(api: Api, pipeline: Pipeline, s: Setting, count: int) -> None:
    import requests

    from bench.processing import noise_jpeg

    data = noise_jpeg()
    for index in range(count):
        made = api.request(
            "POST",
            "/v1/files/presign",
            s.jwt,
            {
                "filename": f"photo{index}.jpg",
                "contentType": "image/jpeg",
                "size": len(data),
                "workspaceId": s.workspace_id,
            },
        )
        put = requests.put(str(made["uploadUrl"]), data=data, headers=made.get("headers") or {}, timeout=60)
        if put.status_code != 200:
            raise RuntimeError(f"presigned PUT answered {put.status_code}")
        api.request("POST", f"/v1/files/{made['fileId']}/confirm", s.jwt)
        pipeline.settle()


def _stored_bytes() -> int:
    """What stays in the uploads bucket (files/ and thumbnails/; quarantine/ expires in a day)."""
    from chalicelib.aws import client
    from chalicelib.store import objects

    s3, total_bytes = client("s3"), 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=objects.bucket()):
        total_bytes += sum(o["Size"] for o in page.get("Contents", []) if not o["Key"].startswith("quarantine/"))
    return total_bytes


def measure(label: str, workload: Workload, count: int, prepare: Callable[[Setting], None] | None = None) -> Usage:
    """``workload`` of ``count`` units, twice in fresh backends: once timed and counted, once
    with the recorder (capacity, by function). One unit first, unmeasured, in each: the
    process's first request and invocations import what they use lazily, which a Lambda
    container does once (a cold start, not counted here)."""
    from chalice.test import Client

    from app import app
    from bench.endpoints import backend
    from bench.recorder import Recorder
    from chalicelib import config

    usage = Usage(label, count)
    for recording in (False, True):
        with backend(), Client(app, project_dir=str(ROOT)) as client:
            # The stack's default SearchEngine=none: the indexer acknowledges its events (the
            # tests' embedded SQLite index is no AWS cost).
            os.environ["SEARCH_DB"] = ""
            # The limiter on, as in the AWS stages (its counter write is a cost), with room for
            # the measured bursts (a refused send would be a different workload).
            os.environ["RATE_LIMITS"] = json.dumps(RATE_LIMITS)
            config.reset()
            setting = _setting(client)
            if prepare is not None:
                prepare(setting)
            run = Run()
            pipeline = Pipeline(run)
            pipeline.settle()  # what setting up wrote, routed before measuring
            workload(Api(client, run), pipeline, setting, 1)  # warm-up
            run.invocations.clear()
            run.s3_notifications = 0
            stored_before = _stored_bytes()
            api = Api(client, run)
            if not recording:
                with counting_calls() as counted, app_log_bytes() as logged:
                    workload(api, pipeline, setting, count)
                usage.log_bytes = logged.count
                _count(usage, run, counted, browser_puts=count if workload is uploads else 0)
                usage.stored_bytes = _stored_bytes() - stored_before
            else:
                recorder = Recorder()
                recorder.install()
                run.recorder = recorder
                try:
                    with recorder.recording() as calls:
                        workload(api, pipeline, setting, count)
                finally:
                    recorder.uninstall()
                for call in calls:
                    function = "api_handler" if call.phase in ("auth", "handler") else call.phase
                    read, write = usage.capacity_by_function.get(function, (0.0, 0.0))
                    usage.capacity_by_function[function] = (read + call.computed.read, write + call.computed.write)
                usage.read_units = sum(c.computed.read for c in calls)
                usage.write_units = sum(c.computed.write for c in calls)
    return usage


def _count(usage: Usage, run: Run, counted: list[ApiCount], browser_puts: int) -> None:
    usage.invocations = run.invocations
    usage.api_requests = sum(1 for i in run.invocations if i.function == "api_handler")
    usage.stream_reads = sum(1 for c in counted if c.operation == "GetRecords")
    usage.sqs_requests = run.s3_notifications + sum(
        1
        for c in counted
        if c.service == "sqs"
        and (c.operation != "ReceiveMessage" or c.messages)
        and c.operation not in ("GetQueueAttributes", "GetQueueUrl")
    )
    usage.s3_tier1 = browser_puts + sum(1 for c in counted if c.service == "s3" and c.operation in S3_TIER1)
    usage.s3_tier2 = sum(1 for c in counted if c.service == "s3" and c.operation in S3_TIER2)


def _history(setting: Setting) -> None:
    """A page's worth of messages to read (BatchWriteItem: not measured)."""
    from bench import seed
    from chalicelib.services.authn import authenticate
    from chalicelib.store import channels as channel_store

    channel = channel_store.get(setting.channel_id)
    assert channel is not None
    author = authenticate(f"Bearer {setting.jwt}").user_id
    seed.messages(channel, PAGE + 10, author_id=author, content=MESSAGE)


# --- the report ---------------------------------------------------------------------------


@dataclass
class Model:
    prices: PriceTable
    quiet_sends: Usage
    burst_sends: Usage
    reads: Usage
    uploads: Usage | None
    uploads_note: str = ""


def build(quick: bool = False) -> Model:
    sends = QUICK_SENDS if quick else SENDS
    reads = QUICK_READS if quick else READS
    model = Model(
        prices=load_prices(),
        quiet_sends=measure("send, one at a time", sends_one_at_a_time, max(3, sends // 4)),
        burst_sends=measure(f"send, {sends} in a burst", sends_in_a_burst, sends),
        reads=measure(f"page read ({PAGE} messages)", page_reads, reads, prepare=_history),
        uploads=None,
    )
    if shutil.which(os.environ.get("CLAMSCAN_PATH") or "clamscan") is None:
        model.uploads_note = "clamscan is not installed: make clamav"
    else:
        model.uploads = measure("upload (1 MB JPEG)", uploads, QUICK_UPLOADS if quick else UPLOADS)
    return model


def _table(usage: Usage, prices: PriceTable, scale: int, per: str) -> tuple[str, float, list[Line]]:
    items = sorted(lines(usage, prices), key=lambda line: -line.usd)
    rows = [
        [line.item, f"{line.quantity:.4g} {line.unit}", f"{line.usd * scale:.4f}", f"{line.usd / total(items):.0%}"]
        for line in items
    ]
    text = render(["Item", "per unit", f"USD {per}", "share"], rows, right=(1, 2, 3))
    return text, total(items) * scale, items


def section(quick: bool = False) -> list[tuple[str, str]]:
    model = build(quick)
    p = model.prices
    print(heading("Costs: per million sends, per million page reads, per thousand uploads"))
    print(f"Prices: {p.region}, table of {p.date} (bench/prices.json: the source of each price).")
    checks = []
    for usage in (model.quiet_sends, model.burst_sends):
        text, cost, items = _table(usage, p, 1_000_000, "per million")
        functions = ", ".join(f"{f} x{len(i) / usage.units:.2f}" for f, i in sorted(usage.by_function().items()))
        print(f"\n{usage.label} (n={usage.units}): invocations per send: {functions}")
        print(text)
        ok = cost <= GOAL_PER_MILLION_SENDS
        print(f"Total: {cost:.2f} USD per million sends   goal <= {GOAL_PER_MILLION_SENDS:.2f}   {verdict(ok)}")
        print("Biggest items, and what would cut each:")
        for line in items[:4]:
            saving = f" [saves {line.saves * 1e6:.2f}]" if line.saves else ""
            print(f"  {line.item} ({line.usd * 1e6:.2f} USD){saving}: {line.cut}")
        checks.append((f"cost per million sends ({usage.label}) <= {GOAL_PER_MILLION_SENDS:g} USD", verdict(ok)))
    text, cost, items = _table(model.reads, p, 1_000_000, "per million")
    print(f"\n{model.reads.label} (n={model.reads.units})")
    print(text)
    print(f"Total: {cost:.2f} USD per million page reads")
    if model.uploads is None:
        print(f"\nUploads: not measured ({model.uploads_note})")
    else:
        text, cost, items = _table(model.uploads, p, 1_000, "per thousand")
        print(f"\n{model.uploads.label} (n={model.uploads.units}), storage for one month included")
        print(text)
        print(f"Total: {cost:.2f} USD per thousand uploads")
    print(
        "Lambda durations: the CPU time here (moto's excluded), at the function's vCPU share, "
        f"+{AWS_CALL_S * 1000:.0f} ms per AWS call.\n"
        "Not counted: idle pollers' empty receives, cold starts, EMF metrics, X-Ray, data transfer, table storage."
    )
    return checks
