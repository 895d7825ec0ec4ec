"""Shared fixtures: every test gets a fresh in-process moto backend with the
resources of infra/resources.yaml, and the app bound to it."""

from __future__ import annotations

# Before anything imports boto3/pynamodb: region, fake credentials, test settings.
from devserver import offline

offline.apply()

import boto3
import pytest
from moto import mock_aws

from chalicelib import aws, config
from chalicelib.services import authn
from chalicelib.store import db
from devserver import moto_fixes, resources

moto_fixes.apply()  # DynamoDB's atomicity and stream semantics (see the module)


@pytest.fixture
def aws_backend(tmp_path, monkeypatch):
    """A fresh moto backend holding the table, queues and buckets."""
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path / "outbox"))
    with mock_aws():
        created = resources.create_all(boto3.session.Session(), prefix="disqua-test")
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
