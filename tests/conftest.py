"""Shared fixtures: every test gets a fresh in-process moto backend with the
resources of infra/resources.yaml, and the app bound to it."""

from __future__ import annotations

import json
import os

# Before anything imports boto3/pynamodb: region, fake credentials, test settings.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "DISQUA_STAGE": "test",
        "TABLE_NAME": "disqua-test-table",
        "SIGNING_KEYS": json.dumps({"active": "t1", "t1": "t" * 48, "t0": "o" * 48}),
        "EMAIL_TRANSPORT": "outbox",
        "POWERTOOLS_METRICS_NAMESPACE": "DisquaTest",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

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
