"""The environment the bench runs the app in: tests/conftest.py's settings, plus
quiet logs and metrics so the report stays readable.

Applied before anything imports boto3 or pynamodb (they read the region and
credentials once), and passed to the cold-start subprocesses so they import the app
exactly as measured in-process.
"""

from __future__ import annotations

import json
import os

BENCH_ENV: dict[str, str] = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # botocore >= 1.36 would otherwise try to resolve an account id for the endpoint.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "DISQUA_STAGE": "test",
    "TABLE_NAME": "disqua-test-table",
    "SIGNING_KEYS": json.dumps({"active": "t1", "t1": "t" * 48, "t0": "o" * 48}),
    "EMAIL_TRANSPORT": "outbox",
    "POWERTOOLS_METRICS_NAMESPACE": "DisquaTest",
    # Every request logs a JSON line and flushes EMF metrics to stdout: noise here.
    "LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}

# Would point boto3 at a real endpoint or account instead of moto.
UNSET = ("AWS_ENDPOINT_URL", "AWS_PROFILE")


def apply() -> None:
    os.environ.update(BENCH_ENV)
    for name in UNSET:
        os.environ.pop(name, None)


def child_environment(**extra: str) -> dict[str, str]:
    """A subprocess's environment: ours, the bench settings, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(BENCH_ENV)
    env.update(extra)
    return env
