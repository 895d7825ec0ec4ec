"""Shared fixtures: every test gets a fresh in-process moto backend with the
resources of infra/resources.yaml, and the app bound to it."""

from __future__ import annotations

# Before anything imports boto3/pynamodb: region, fake credentials, test settings.
from devserver import offline

offline.apply()

import gc
import os
from typing import Any

import boto3
import pytest
from argon2 import PasswordHasher
from moto import mock_aws

from chalicelib import aws, config
from chalicelib.auth import passwords
from chalicelib.services import authn
from chalicelib.store import db
from chalicelib.store.models import Entity
from devserver import moto_fixes, resources
from tests import moto_snapshot

moto_fixes.apply()  # DynamoDB's atomicity and stream semantics (see the module)


class _SearchPaths(list):
    """A loader's search paths: boto3 appends its data folder once per Session, and
    with one shared loader that would add a path per session."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def _share_botocore_loader() -> None:
    """One botocore data loader per process instead of one per session.

    Every botocore session loads and parses the JSON service models (S3's is 2 MB)
    and lists the data folders again; each test makes several sessions (resources,
    chalicelib.aws, PynamoDB's connection), so that was most of a test's setup
    (~0.3-0.5 s). The models never change and a loader only reads them (clients of
    one session already share them), so the sessions of a test process can share
    one. Tests only: the Lambda and the local runtime make their sessions once."""
    import botocore.session

    original = botocore.session.create_loader
    loaders: dict[str | None, object] = {}

    def shared_loader(search_path_string: str | None = None) -> object:
        loader = loaders.get(search_path_string)
        if loader is None:
            loader = loaders[search_path_string] = original(search_path_string)
            loader._search_paths = _SearchPaths(loader._search_paths)
        return loader

    botocore.session.create_loader = shared_loader


_share_botocore_loader()


# What create_all made in this process's first test, per region (tests/moto_snapshot.py).
_snapshots: dict[str, moto_snapshot.Snapshot] = {}


def _create_resources() -> dict[str, str]:
    """The table, queues and buckets in the current (fresh) moto backend: made by
    create_all once per process, then copied from what it made."""
    region = os.environ["AWS_DEFAULT_REGION"]
    snapshot = _snapshots.get(region)
    if snapshot is not None:
        return snapshot.restore()
    created = resources.create_all(boto3.session.Session(), prefix="disqua-test")
    _snapshots[region] = moto_snapshot.take(created)
    _freeze_what_lives()  # now with the service models and the snapshot
    return created


def _freeze_what_lives() -> None:
    """Leave the objects alive now (modules, botocore's service models, the snapshot:
    ~130,000) out of later garbage collections. The tests allocate enough for Python
    to run a full collection every few tests, each walking all of them again: freezing
    them saves ~25% of the CPU time of a test's setup (measured on a team fixture)."""
    gc.collect()
    gc.freeze()


def pytest_collection_finish(session: pytest.Session) -> None:
    _freeze_what_lives()


# Argon2id at its cheapest for the tests that run the app: a sign-up and a login cost
# ~80 ms at the production parameters and most tests sign up two users or more.
# tests/unit/auth/test_passwords.py (no aws_backend) checks the production parameters.
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16)


# The app's boto3 clients and PynamoDB's connection (per region, table and endpoint),
# kept from one test to the next. Each test's aws.reset()/db.reset() drops them, and
# making them again costs a botocore session and a client each (~30-50 ms a test, and
# garbage to collect); they hold no AWS state: moto answers any client while mocking.
_kept_clients: dict[tuple[str, str, str], dict[str, Any]] = {}


def _settings_key() -> tuple[str, str, str]:
    settings = config.get_settings()
    return settings.region, settings.table_name, os.environ.get("AWS_ENDPOINT_URL", "")


def _reuse_clients() -> None:
    kept = _kept_clients.get(_settings_key())
    if kept:
        aws._clients.update(kept["aws"])
        if kept["table"] is not None:
            Entity._connection = kept["table"]


def _keep_clients() -> None:
    kept = _kept_clients.setdefault(_settings_key(), {"aws": {}, "table": None})
    kept["aws"].update(aws._clients)
    if Entity._connection is not None:
        kept["table"] = Entity._connection


@pytest.fixture
def aws_backend(tmp_path, monkeypatch):
    """A fresh moto backend holding the table, queues and buckets."""
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setattr(passwords, "_hasher", _TEST_HASHER)
    passwords._dummy_hash.cache_clear()  # made again with the hasher in use
    with mock_aws():
        created = _create_resources()
        for name, value in resources.app_environment(created).items():
            monkeypatch.setenv(name, value)
        config.reset()
        aws.reset()
        db.bind()
        db.reset()
        _reuse_clients()
        authn.forget_cached_tokens()
        yield created
        _keep_clients()
        config.reset()
        aws.reset()
        db.reset()
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def client(aws_backend):
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def api(client):
    from tests.helpers import Api

    return Api(client)


@pytest.fixture
def recorder():
    """bench/recorder.py counting every DynamoDB call (and its capacity) while a test runs."""
    from bench.recorder import Recorder

    recording = Recorder()
    recording.install()
    yield recording
    recording.uninstall()


@pytest.fixture(scope="session")
def realtime_standin():
    """The Management API stand-in of the local runtime, one port per test process."""
    from tests.realtime_standin import StandInServer

    server = StandInServer()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def realtime(aws_backend, realtime_standin, monkeypatch):
    """The app's WebSocket API in-process, as the local runtime serves it
    (tests/realtime_standin.py): ``realtime.connect({"token": ...})`` runs $connect and
    gives a client whose ``frames()`` are what the app posted to it; REALTIME_ENDPOINT
    points the app's unchanged boto3 Management API client at the stand-in."""
    from app import app
    from tests.realtime_standin import LocalRealtime

    monkeypatch.setenv("REALTIME_ENDPOINT", realtime_standin.endpoint)
    config.reset()
    # Read now, outside a request: chalice's test client patches the environment with
    # .chalice/config.json's dev stage while it handles one, and a first read there would
    # cache the dev settings (SES mail, ...) for the test.
    assert config.get_settings().realtime_endpoint == realtime_standin.endpoint
    aws._clients.pop(aws.MANAGEMENT_API, None)  # made for another endpoint, or none
    yield LocalRealtime(app, realtime_standin)
    realtime_standin.gateway = None
