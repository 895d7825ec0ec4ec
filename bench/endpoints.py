"""DynamoDB calls and capacity of one request per endpoint, against moto.

Requests go through ``chalice.test.Client`` (routing, authentication, validation and
the handler, as in Lambda); the backend is built like tests/conftest.py's
``aws_backend`` fixture. Setup (verifying the email, seeding memberships, a second
account) goes through the store and services directly, and the 10,000 channels and
100,000 messages of the listing budgets are written with raw BatchWriteItem
(bench/seed.py): none of it is recorded, only the measured request is. The files
endpoints (bench/uploads.py) are measured in the same backend, for a table of their own.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bench import ROOT, capacity
from bench.capacity import Capacity
from bench.recorder import ApiCall, Recorder
from bench.table import INFO, verdict

# --- what one request cost ------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    text: str
    check: Callable[[Measurement], bool]


AUTH_FREE = Budget("auth = 0", lambda m: m.auth_calls == 0)


def at_most(limit: int) -> Budget:
    return Budget(f"calls <= {limit}", lambda m: m.total_calls <= limit)


def auth_at_most(limit: int) -> Budget:
    return Budget(f"auth <= {limit}", lambda m: m.auth_calls <= limit)


def calls_and_writes(calls: int, wcu: float) -> Budget:
    return Budget(f"calls <= {calls}, WCU <= {wcu:g}", lambda m: m.total_calls <= calls and m.capacity.write <= wcu)


@dataclass(frozen=True)
class Measurement:
    endpoint: str
    case: str
    status: int
    expected_status: int
    calls: list[ApiCall]
    budget: Budget | None = None

    @property
    def total_calls(self) -> int:
        return len(self.calls)

    @property
    def auth_calls(self) -> int:
        return sum(1 for c in self.calls if c.phase == "auth")

    @property
    def capacity(self) -> Capacity:
        return sum((c.computed for c in self.calls), Capacity())

    @property
    def reported(self) -> float:
        return sum(c.reported for c in self.calls)

    @property
    def operations(self) -> str:
        """``BatchGet, Put, Delete``: the calls in order, failed ones marked."""
        names = [
            c.operation.removesuffix("Items").removesuffix("Item") + ("(failed)" if c.error else "") for c in self.calls
        ]
        return ", ".join(names) or "none"

    @property
    def result(self) -> str:
        if self.status != self.expected_status:
            return f"FAIL (HTTP {self.status}, expected {self.expected_status})"
        return verdict(self.budget.check(self)) if self.budget else INFO


@dataclass(frozen=True)
class Comparison:
    """The same request for a small and a large data set: the cost must not grow.

    ``judged``: the calls must be the same and the reads within ``tolerance``
    (only meaningful when both pages hold as many items). ``max_calls``: each side
    makes at most that many calls. Neither: informational."""

    label: str
    small: Measurement
    large: Measurement
    judged: bool = True
    tolerance: float = 1.1  # item sizes differ a little (names of other lengths)
    max_calls: int | None = None

    @property
    def call_ratio(self) -> float:
        return self.large.total_calls / max(1, self.small.total_calls)

    @property
    def read_ratio(self) -> float:
        return self.large.capacity.read / self.small.capacity.read if self.small.capacity.read else float("inf")

    @property
    def budget(self) -> str:
        parts = [f"calls <= {self.max_calls}"] if self.max_calls is not None else []
        if self.judged:
            parts.append(f"same calls, RCU x<={self.tolerance:g}")
        return ", ".join(parts) or INFO

    @property
    def result(self) -> str:
        for m in (self.small, self.large):
            if m.status != m.expected_status:
                return f"FAIL (HTTP {m.status})"
        if not self.judged and self.max_calls is None:
            return INFO
        ok = True
        if self.max_calls is not None:
            ok = max(self.small.total_calls, self.large.total_calls) <= self.max_calls
        if self.judged:
            ok = ok and self.call_ratio == 1 and self.read_ratio <= self.tolerance
        return verdict(ok)


@dataclass(frozen=True)
class ComparisonGroup:
    title: str
    small: str  # what the small data set is ("10 memberships")
    large: str
    rows: list[Comparison]
    note: str = ""


@dataclass(frozen=True)
class Report:
    measurements: list[Measurement]
    comparisons: list[ComparisonGroup]
    notes: list[str] = field(default_factory=list)  # printed under the measurements
    files: list[Measurement] = field(default_factory=list)  # the files endpoints (bench/uploads.py)
    files_notes: list[str] = field(default_factory=list)


# --- driving the app ----------------------------------------------------------------


class Runner:
    """The Chalice test client and the recorder: ``measure`` one request at a time."""

    def __init__(self, client: Any, recorder: Recorder):
        self.client = client
        self.recorder = recorder
        self.measurements: list[Measurement] = []

    def measure(self, endpoint: str, case: str, **options: Any) -> tuple[Measurement, dict[str, Any]]:
        """One request (``options`` as for ``request``); returns its cost and its ``data``."""
        measurement, answer = self.request(endpoint, case, **options)
        return measurement, answer.get("data") or {}

    def request(
        self,
        endpoint: str,
        case: str,
        *,
        path: str | None = None,
        token: str | None = None,
        body: dict[str, Any] | None = None,
        expect: int = 200,
        budget: Budget | None = None,
        keep: bool = True,
    ) -> tuple[Measurement, dict[str, Any]]:
        """One request; returns what it cost and the whole answer (``pagination``...)."""
        method, _, route = endpoint.partition(" ")
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""  # UTF-8, as clients send
        with self.recorder.recording() as calls:
            response = self.client.http.request(method, path or route, headers=headers, body=payload)
        measurement = Measurement(endpoint, case, response.status_code, expect, calls, budget)
        if keep:
            self.measurements.append(measurement)
        return measurement, json.loads(response.body) if response.body else {}


@contextmanager
def backend() -> Iterator[None]:
    """tests/conftest.py's ``aws_backend``: moto, the resources, rebound app modules."""
    import boto3
    from moto import mock_aws

    from chalicelib import aws, config
    from chalicelib.observability import logger
    from chalicelib.services import authn
    from chalicelib.store import db
    from devserver import moto_fixes, resources

    # As the tests and the local runtime run moto: without its fixes a Query reads the whole
    # table, and a 10,000-message close takes hours here (the calls and capacity are the same).
    moto_fixes.apply()
    saved = dict(os.environ)  # the cold-start subprocesses inherit it afterwards
    with tempfile.TemporaryDirectory(prefix="disqua-bench-") as outbox, mock_aws():
        os.environ["OUTBOX_DIR"] = outbox
        created = resources.create_all(boto3.session.Session(), prefix="disqua-test")
        os.environ.update(resources.app_environment(created))
        config.reset()
        aws.reset()
        db.bind()
        db.reset()
        authn.forget_cached_tokens()
        # The test client applies the chalice stage's variables (LOG_LEVEL=INFO, ...)
        # around each request: settings and logger are created now, from ours.
        config.get_settings()
        logger()
        try:
            yield
        finally:
            config.reset()
            aws.reset()
            db.reset()
            os.environ.clear()
            os.environ.update(saved)


def run() -> Report:
    from chalice.test import Client

    from app import app
    from bench import large_messages, uploads

    recorder = Recorder()
    with backend(), Client(app, project_dir=str(ROOT)) as client:
        recorder.install()
        try:
            runner = Runner(client, recorder)
            jwt, workspace_id = _accounts_and_workspaces(runner)
            channel_id = _channels_members_invites(runner, jwt, workspace_id)
            notes = _messages(runner, jwt, channel_id)
            notes += large_messages.scenario(runner, jwt, workspace_id)
            files = Runner(client, recorder)  # a table of their own
            files_notes = uploads.scenario(files, jwt, workspace_id, channel_id)
            comparisons = [
                _listing_flatness(runner),
                _channel_listing_flatness(runner),
                _message_history_flatness(runner),
            ]
        finally:
            recorder.uninstall()
    return Report(runner.measurements, comparisons, notes, files.measurements, files_notes)


# --- the scenarios ------------------------------------------------------------------

EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple"


def _verify_email(user_id: str, email: str = EMAIL) -> None:
    """What following the emailed link does, minus the email."""
    from chalicelib.store import users as user_store

    user_store.save_verification(f"bench-verification-{user_id}", user_id, email)
    record = user_store.get_verification(f"bench-verification-{user_id}")
    assert record is not None
    user_store.mark_verified(record)


def _verified_user(email: str, username: str) -> str:
    """Another account, registered and verified through the services (not recorded);
    returns an access token of it."""
    from chalicelib.auth import tokens
    from chalicelib.ids import new_id
    from chalicelib.services import accounts

    user_id = accounts.register(email, PASSWORD, username, username.title(), client_ip=f"bench-{username}")
    _verify_email(user_id, email)
    return tokens.issue_access_token(user_id, new_id(), email_verified=True)


def _accounts_and_workspaces(s: Runner) -> tuple[str, str]:
    """Returns the access token of the account and the id of its workspace."""
    from chalicelib.services import authn

    registration = {"email": EMAIL, "password": PASSWORD, "username": "bench", "displayName": "Bench"}
    _, created = s.measure("POST /v1/auth/register", "new account", body=registration, expect=201)
    _verify_email(created["userId"])

    login = {"email": EMAIL, "password": PASSWORD}
    s.measure("POST /v1/auth/login", "success", body=login, budget=at_most(4))
    s.measure(
        "POST /v1/auth/login", "wrong password", body={**login, "password": "wrong"}, expect=401, budget=at_most(4)
    )
    _, tokens = s.measure("POST /v1/auth/login", "success after a failure", body=login, budget=at_most(4))
    _, tokens = s.measure(
        "POST /v1/auth/refresh", "rotate", body={"refreshToken": tokens["refreshToken"]}, budget=at_most(2)
    )
    jwt = tokens["accessToken"]

    s.measure("GET /v1/users/me", "access token (JWT)", token=jwt, budget=AUTH_FREE)
    _, workspace = s.measure(
        "POST /v1/workspaces",
        "access token (+ #general)",
        token=jwt,
        body={"name": "Bench Workspace"},
        expect=201,
        budget=AUTH_FREE,
    )
    one = f"/v1/workspaces/{workspace['id']}"
    s.measure("GET /v1/workspaces", "first page, 1 workspace", token=jwt, budget=AUTH_FREE)
    s.measure("GET /v1/workspaces/{id}", "access token", path=one, token=jwt, budget=AUTH_FREE)
    _, minted = s.measure(
        "POST /v1/workspaces/{id}/tokens",
        "access token",
        path=f"{one}/tokens",
        token=jwt,
        body={"name": "bench", "scopes": ["messages:read"]},
        expect=201,
        budget=AUTH_FREE,
    )
    s.measure("GET /v1/workspaces/{id}/tokens", "access token", path=f"{one}/tokens", token=jwt, budget=AUTH_FREE)

    authn.forget_cached_tokens()  # a fresh container: the token is not cached yet
    api_token = minted["token"]
    s.measure("GET /v1/workspaces/{id}", "API token, cold cache", path=one, token=api_token, budget=auth_at_most(1))
    s.measure("GET /v1/workspaces/{id}", "API token, warm cache", path=one, token=api_token, budget=AUTH_FREE)
    return jwt, workspace["id"]


def _channels_members_invites(s: Runner, jwt: str, workspace_id: str) -> str:
    """Channels, invites and members of the workspace the account just created;
    a second account joins it through a link invite. Returns the public channel's id
    (the account created it: a member)."""
    one = f"/v1/workspaces/{workspace_id}"
    _, public = s.measure(
        "POST /v1/workspaces/{id}/channels",
        "public",
        path=f"{one}/channels",
        token=jwt,
        body={"name": "bench-public", "topic": "Benchmarks"},
        expect=201,
    )
    _, private = s.measure(
        "POST /v1/workspaces/{id}/channels",
        "private",
        path=f"{one}/channels",
        token=jwt,
        body={"name": "bench-private", "type": "private"},
        expect=201,
    )
    _, link = s.measure(
        "POST /v1/workspaces/{id}/invites", "link invite", path=f"{one}/invites", token=jwt, body={}, expect=201
    )
    s.measure(
        "POST /v1/workspaces/{id}/invites",
        "email invite",
        path=f"{one}/invites",
        token=jwt,
        body={"email": "invited@example.com"},
        expect=201,
    )
    guest = _verified_user("guest@example.com", "guest")
    s.measure(
        "POST /v1/invites/{code}/accept",
        "link invite (+ #general)",
        path=f"/v1/invites/{link.get('code')}/accept",
        token=guest,
    )
    channel = "/v1/channels/{}"
    s.measure(
        "GET /v1/channels/{id}",
        "public, not a channel member",
        path=channel.format(public.get("id")),
        token=guest,
        budget=at_most(2),
    )
    s.measure(
        "GET /v1/channels/{id}",
        "private, channel member",
        path=channel.format(private.get("id")),
        token=jwt,
        budget=at_most(2),
    )
    s.measure("POST /v1/channels/{id}/join", "public", path=f"{channel.format(public.get('id'))}/join", token=guest)
    s.measure("GET /v1/workspaces/{id}/members", "first page, 2 members", path=f"{one}/members", token=jwt)
    return str(public.get("id"))


# 1,024 plain characters (ASCII: 1,024 bytes): no markdown, no mentions.
PLAIN_1KB = ("Plain text for the bench, with nothing to render or to resolve. " * 17)[:1024]
SEND = "POST /v1/channels/{id}/messages"


def _messages(s: Runner, jwt: str, channel_id: str) -> list[str]:
    """Sending, reading, threads, edits, reactions and pins in the public channel
    (the account is a member). Returns notes on the sizes of the items a send writes."""
    from chalicelib.store import keys

    channel = f"/v1/channels/{channel_id}"
    message = "/v1/messages/{}"
    _, sent = s.measure(
        SEND,
        "plain 1 KB, no mentions, no Idempotency-Key",
        path=f"{channel}/messages",
        token=jwt,
        body={"content": PLAIN_1KB},
        expect=201,
        budget=calls_and_writes(3, 5),
    )
    one = message.format(sent.get("id"))
    notes = [
        "Items the plain 1 KB send writes (bench/capacity.py sizes; an index entry is written as a whole):",
        _item_note("the message (PutItem)", keys.channel(channel_id), keys.message(str(sent.get("id")))),
        _item_note("its channel (UpdateItem of last_message_at)", keys.channel(channel_id), keys.META),
    ]
    s.measure("GET /v1/messages/{id}", "channel member", path=one, token=jwt, budget=at_most(2))
    _, reply = s.measure(
        SEND,
        "reply in a thread (short)",
        path=f"{channel}/messages",
        token=jwt,
        body={"content": "A reply in the thread.", "threadId": sent.get("id")},
        expect=201,
    )
    s.measure("GET /v1/messages/{id}/thread", "1 reply", path=f"{one}/thread", token=jwt)
    s.measure(
        "PATCH /v1/messages/{id}",
        "1 KB -> 1 KB, no mentions",
        path=one,
        token=jwt,
        body={"content": PLAIN_1KB[::-1]},
    )
    s.measure(
        "POST /v1/messages/{id}/reactions",
        "first reaction (shortcode)",
        path=f"{one}/reactions",
        token=jwt,
        body={"emoji": ":thumbsup:"},
    )
    s.measure(
        "DELETE /v1/messages/{id}/reactions/{emoji}",
        "the only reaction",
        path=f"{one}/reactions/:thumbsup:",
        token=jwt,
    )
    s.measure(
        "POST /v1/channels/{id}/pins",
        "channel member (+ system message)",
        path=f"{channel}/pins",
        token=jwt,
        body={"messageId": sent.get("id")},
        expect=201,
    )
    s.measure("GET /v1/channels/{id}/pins", "1 pin", path=f"{channel}/pins", token=jwt)
    s.measure(
        "DELETE /v1/messages/{id}",
        "thread reply (parent's count)",
        path=message.format(reply.get("id")),
        token=jwt,
        expect=204,
    )
    _, short = s.measure(
        SEND, "short", path=f"{channel}/messages", token=jwt, body={"content": "To be deleted."}, expect=201, keep=False
    )
    s.measure(
        "DELETE /v1/messages/{id}", "top-level, no replies", path=message.format(short.get("id")), token=jwt, expect=204
    )
    return notes


def _item_note(label: str, partition_key: str, sort_key: str) -> str:
    """An item as stored: its size, write units, and its entries in the indexes."""
    from chalicelib.store import db
    from chalicelib.store.models import Entity

    client = db.connection().client  # outside recording(): not counted
    table = Entity.Meta.table_name
    key = {"PK": {"S": partition_key}, "SK": {"S": sort_key}}
    item = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    if item is None:
        return f"  {label}: not found"
    schema = capacity.TableSchema.from_description(client.describe_table(TableName=table)["Table"])
    size = capacity.item_size(item)
    text = f"  {label}: item {size:,} bytes ({capacity.write_units(size)} WCU)"
    for index in schema.indexes:
        entry = index.entry(item)
        if entry is not None:
            entry_size = capacity.item_size(entry)
            text += (
                f"; in {index.name} ({index.projection}): entry {entry_size:,} bytes "
                f"({capacity.write_units(entry_size)} WCU per write)"
            )
    return text


def _seed_memberships(user_id: str, workspace_ids: list[str]) -> None:
    from chalicelib.ids import now_iso
    from chalicelib.store import workspaces as workspace_store
    from chalicelib.store.models import Entity

    now = now_iso()
    with Entity.batch_write() as batch:
        for n, workspace_id in enumerate(workspace_ids):
            batch.save(
                workspace_store.new_workspace(workspace_id, f"Workspace {n}", f"ws-{workspace_id}", user_id, now)
            )
            batch.save(workspace_store.new_membership(workspace_id, user_id, "member", now))


def _listing_flatness(s: Runner) -> ComparisonGroup:
    """GET /v1/workspaces for a member of 10 and of 200 workspaces: with the same
    page size the cost must be the same (it depends on the page, never the count)."""
    from chalicelib.auth import tokens
    from chalicelib.ids import new_id

    members: dict[int, str] = {}
    for count in (10, 200):
        user_id = new_id()
        _seed_memberships(user_id, [new_id() for _ in range(count)])
        members[count] = tokens.issue_access_token(user_id, new_id(), email_verified=True)

    def listing(count: int, limit: int) -> Measurement:
        path = f"/v1/workspaces?limit={limit}"
        return s.measure("GET /v1/workspaces", f"{count} memberships", path=path, token=members[count], keep=False)[0]

    rows = [
        Comparison("GET /v1/workspaces?limit=10 (same page size)", listing(10, 10), listing(200, 10)),
        # Informational: the pages hold 10 and 50 items, so reads differ by design.
        Comparison("GET /v1/workspaces (default page of 50)", listing(10, 50), listing(200, 50), judged=False),
    ]
    return ComparisonGroup("Listing workspaces vs number of memberships", "10 memberships", "200 memberships", rows)


SMALL_CHANNELS, LARGE_CHANNELS, PRIVATE_CHANNELS = 10, 10_000, 3
CHANNELS_LISTING = "GET /v1/workspaces/{id}/channels"


def _channel_listing_flatness(s: Runner) -> ComparisonGroup:
    """A member of two workspaces, one with 10 and one with 10,000 public channels,
    and 3 private channels in each that the member belongs to: a page of channels
    must cost <= 2 calls, and as much in both when the pages hold as many items."""
    from bench import seed
    from chalicelib.auth import tokens
    from chalicelib.ids import new_id

    owner, caller = new_id(), new_id()
    token = tokens.issue_access_token(caller, new_id(), email_verified=True)
    workspaces: dict[int, str] = {}
    for count in (SMALL_CHANNELS, LARGE_CHANNELS):
        workspace_id = workspaces[count] = new_id()
        seed.workspace(workspace_id, owner, [caller])
        seed.channels(workspace_id, count, created_by=owner)
        seed.channels(workspace_id, PRIVATE_CHANNELS, created_by=owner, channel_type="private", members=[owner, caller])

    def listing(count: int, query: str, *, cursor_of: str | None = None) -> Measurement:
        path = f"/v1/workspaces/{workspaces[count]}/channels?{query}"
        case = f"{count} channels"
        if cursor_of is not None:  # the second page: follow the first page's cursor (not recorded)
            first_path = f"/v1/workspaces/{workspaces[count]}/channels?{cursor_of}"
            _, first = s.request(CHANNELS_LISTING, case, path=first_path, token=token, keep=False)
            cursor = (first.get("pagination") or {}).get("nextCursor")
            path += f"&cursor={quote(cursor or '', safe='')}"
        return s.request(CHANNELS_LISTING, case, path=path, token=token, keep=False)[0]

    def both(label: str, query: str, *, judged: bool, cursor_of: str | None = None) -> Comparison:
        return Comparison(
            label,
            listing(SMALL_CHANNELS, query, cursor_of=cursor_of),
            listing(LARGE_CHANNELS, query, cursor_of=cursor_of),
            judged=judged,
            max_calls=2,
        )

    rows = [
        # Pages that read as many items in both workspaces (a page reads limit + 1 items to
        # know whether there is more): calls and reads must match.
        both("type=public&limit=9, first page", "type=public&limit=9", judged=True),
        both(
            "type=public&limit=4, second page (cursor)",
            "type=public&limit=4",
            judged=True,
            cursor_of="type=public&limit=4",
        ),
        both("type=private&limit=50, first page (3 private)", "type=private&limit=50", judged=True),
        both("limit=9 (no type), first page", "limit=9", judged=True),
        # The default page of 50 holds 10 vs 50 public channels: reads differ by design.
        both("type=public&limit=50, first page", "type=public&limit=50", judged=False),
        both("limit=50 (no type), first page", "limit=50", judged=False),
        # With 10 channels the second page is the private phase; with 10,000, public channels 51-100.
        both("limit=50 (no type), second page (cursor)", "limit=50", judged=False, cursor_of="limit=50"),
    ]
    return ComparisonGroup(
        "Listing channels vs number of public channels in the workspace (+3 private ones the caller is in)",
        f"{SMALL_CHANNELS} channels",
        f"{LARGE_CHANNELS:,} channels",
        rows,
        note=(
            "Same calls and RCU x<=1.1 are judged where both pages read as many items (a page reads limit + 1\n"
            f"items: limit=9 reads all {SMALL_CHANNELS} channels of the small workspace). A page of 50 holds "
            f"{SMALL_CHANNELS} vs 50\npublic channels, and the second page of 50 with no type is the private phase "
            f"for {SMALL_CHANNELS} channels\nbut public channels 51-100 for {LARGE_CHANNELS:,}: calls only."
        ),
    )


SMALL_HISTORY, LARGE_HISTORY = 100, 100_000
# Seeding 100,000 messages takes about a minute in moto, whatever their size: both
# channels hold minimal messages of the same size so their pages are comparable.
SEED_CONTENT = "a seeded message"  # 16 characters
HISTORY = "GET /v1/channels/{id}/messages"


def _message_history_flatness(s: Runner) -> ComparisonGroup:
    """A member of two channels, one with 100 and one with 100,000 messages: a page of
    50 must cost <= 2 calls and as much in both (it reads 51 items either way)."""
    from bench import seed
    from chalicelib.auth import tokens
    from chalicelib.ids import new_id

    owner, caller = new_id(), new_id()
    token = tokens.issue_access_token(caller, new_id(), email_verified=True)
    workspace_id = new_id()
    seed.workspace(workspace_id, owner, [caller])
    small, large = seed.channels(workspace_id, 2, created_by=owner, members=[caller], name_format="history-{:d}")
    started = time.perf_counter()
    seed.messages(small, SMALL_HISTORY, author_id=owner, content=SEED_CONTENT)
    seed.messages(large, LARGE_HISTORY, author_id=owner, content=SEED_CONTENT)
    seeded = time.perf_counter() - started

    def page(channel_id: str, count: int) -> Measurement:
        path = f"/v1/channels/{channel_id}/messages?limit=50"
        return s.request(HISTORY, f"{count:,} messages", path=path, token=token, keep=False)[0]

    rows = [
        Comparison(
            "GET /v1/channels/{id}/messages?limit=50, first page",
            page(small.id, SMALL_HISTORY),
            page(large.id, LARGE_HISTORY),
            max_calls=2,
        )
    ]
    return ComparisonGroup(
        "Message history vs number of messages in the channel (caller: a channel member)",
        f"{SMALL_HISTORY} messages",
        f"{LARGE_HISTORY:,} messages",
        rows,
        note=(
            f"Both channels hold messages of {len(SEED_CONTENT)} characters (seeding {SMALL_HISTORY + LARGE_HISTORY:,} "
            f"with BatchWriteItem took {seeded:.0f} s in moto,\nwhatever their size), so both pages of 50 read as many "
            "bytes: same calls and RCU x<=1.1 are judged."
        ),
    )
