"""Shared fixtures: every test gets a fresh in-process moto backend with the
resources of infra/resources.yaml, and the app bound to it."""

from __future__ import annotations

# Before anything imports boto3/pynamodb: region, fake credentials, test settings.
from devserver import offline

offline.apply()

import os

import boto3
import pytest
from argon2 import PasswordHasher
from moto import mock_aws

from chalicelib import aws, config
from chalicelib.auth import passwords
from chalicelib.services import authn
from chalicelib.store import db
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
    return created


# Argon2id at its cheapest for the tests that run the app: a sign-up and a login cost
# ~80 ms at the production parameters and most tests sign up two users or more.
# tests/unit/auth/test_passwords.py (no aws_backend) checks the production parameters.
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16)


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
        authn.forget_cached_tokens()
        yield created
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
