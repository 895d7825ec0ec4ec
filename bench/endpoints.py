"""DynamoDB calls and capacity of one request per endpoint, against moto.

Requests go through ``chalice.test.Client`` (routing, authentication, validation and
the handler, as in Lambda); the backend is built like tests/conftest.py's
``aws_backend`` fixture. Setup (verifying the email, seeding memberships) goes
through the store directly and is not recorded: only the measured request is.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench import ROOT
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
    """The same request for a small and a large data set: the cost must not grow."""

    label: str
    small: Measurement
    large: Measurement
    judged: bool = True
    tolerance: float = 1.1  # item sizes differ a little (names of other lengths)

    @property
    def call_ratio(self) -> float:
        return self.large.total_calls / max(1, self.small.total_calls)

    @property
    def read_ratio(self) -> float:
        return self.large.capacity.read / self.small.capacity.read if self.small.capacity.read else float("inf")

    @property
    def result(self) -> str:
        for m in (self.small, self.large):
            if m.status != m.expected_status:
                return f"FAIL (HTTP {m.status})"
        if not self.judged:
            return INFO
        return verdict(self.call_ratio == 1 and self.read_ratio <= self.tolerance)


@dataclass(frozen=True)
class Report:
    measurements: list[Measurement]
    comparisons: list[Comparison]


# --- driving the app ----------------------------------------------------------------


class Runner:
    """The Chalice test client and the recorder: ``measure`` one request at a time."""

    def __init__(self, client: Any, recorder: Recorder):
        self.client = client
        self.recorder = recorder
        self.measurements: list[Measurement] = []

    def measure(
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
        method, _, route = endpoint.partition(" ")
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else b""
        with self.recorder.recording() as calls:
            response = self.client.http.request(method, path or route, headers=headers, body=payload)
        measurement = Measurement(endpoint, case, response.status_code, expect, calls, budget)
        if keep:
            self.measurements.append(measurement)
        answer = json.loads(response.body) if response.body else {}
        return measurement, answer.get("data") or {}


@contextmanager
def _backend() -> Iterator[None]:
    """tests/conftest.py's ``aws_backend``: moto, the resources, rebound app modules."""
    import boto3
    from moto import mock_aws

    from chalicelib import aws, config
    from chalicelib.observability import logger
    from chalicelib.services import authn
    from chalicelib.store import db
    from devserver import resources

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

    recorder = Recorder()
    with _backend(), Client(app, project_dir=str(ROOT)) as client:
        recorder.install()
        try:
            runner = Runner(client, recorder)
            _accounts_and_workspaces(runner)
            comparisons = _listing_flatness(runner)
        finally:
            recorder.uninstall()
    return Report(runner.measurements, comparisons)


# --- the scenarios ------------------------------------------------------------------

EMAIL = "bench@example.com"
PASSWORD = "correct horse battery staple"


def _verify_email(user_id: str) -> None:
    """What following the emailed link does, minus the email."""
    from chalicelib.store import users as user_store

    user_store.save_verification("bench-verification", user_id, EMAIL)
    record = user_store.get_verification("bench-verification")
    assert record is not None
    user_store.mark_verified(record)


def _accounts_and_workspaces(s: Runner) -> None:
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
        "POST /v1/workspaces", "access token", token=jwt, body={"name": "Bench Workspace"}, expect=201, budget=AUTH_FREE
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


def _listing_flatness(s: Runner) -> list[Comparison]:
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

    return [
        Comparison("GET /v1/workspaces?limit=10 (same page size)", listing(10, 10), listing(200, 10)),
        # Informational: the pages hold 10 and 50 items, so reads differ by design.
        Comparison("GET /v1/workspaces (default page of 50)", listing(10, 50), listing(200, 50), judged=False),
    ]
