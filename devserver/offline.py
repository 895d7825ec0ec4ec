"""The offline AWS environment shared by the tests and the bench: fake credentials,
one region, fixed test keys, and nothing that could reach a real AWS account.

Applied before anything imports boto3 or pynamodb (they read region and credentials
once)."""

from __future__ import annotations

import json
import os

OFFLINE_ENV: dict[str, str] = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # botocore >= 1.36 resolves account-id endpoints that moto does not route
    # (DynamoDB Streams among them).
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "DISQUA_STAGE": "test",
    "TABLE_NAME": "disqua-test-table",
    "SIGNING_KEYS": json.dumps({"active": "t1", "t1": "t" * 48, "t0": "o" * 48}),
    "EMAIL_TRANSPORT": "outbox",
    "POWERTOOLS_METRICS_NAMESPACE": "DisquaTest",
}

# Would point boto3 at a real endpoint or account instead of moto.
UNSET = ("AWS_ENDPOINT_URL", "AWS_PROFILE")


def apply(**extra: str) -> None:
    os.environ.update({**OFFLINE_ENV, **extra})
    for name in UNSET:
        os.environ.pop(name, None)
