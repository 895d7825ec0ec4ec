"""The resources of devserver/resources.py, made once per test process and copied into
each test's fresh moto backend.

``resources.create_all`` makes ~35 AWS calls (the table, ~16 queues, the bucket, its
CORS and notifications), each through botocore and moto's request handling: ~0.2 s,
paid by every test that uses ``aws_backend``. Instead, the first test of a process
creates them with ``create_all`` as before, and we keep a deep copy of the moto objects
that call created: the DynamoDB tables (with their indexes, TTL and stream shard), the
SQS queues (with the s3:TestEvent the bucket notification sent), the S3 buckets (CORS,
notifications). Every test then starts a fresh ``mock_aws()`` (which resets every
backend) and gets its own deep copy of those objects: an empty table and an empty
stream shard, queues holding only the TestEvent, buckets without objects. Nothing is
shared between tests, and a test that changes a resource (a bucket's notification
configuration, a queue's attributes) changes only its copy.

tests/devserver/test_moto_snapshot.py checks that a restored copy describes the same
resources as ``create_all`` and that copies are independent.
"""

from __future__ import annotations

import copy
import copyreg
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# Where create_all's objects live in moto: (service, region or partition, attribute).
# A resource of another service in create_all needs its store here (a test checks).
STORES = (("dynamodb", None, "tables"), ("sqs", None, "queues"), ("s3", "aws", "buckets"))


@dataclass(frozen=True)
class Snapshot:
    env: dict[str, str]
    objects: dict[str, dict[str, Any]]  # attribute -> {name: moto object}, never handed out

    def restore(self) -> dict[str, str]:
        """Copy the objects into the current (fresh) moto backends; returns the
        environment create_all returned."""
        from moto.backends import get_backend

        copies = _deep_copy(self.objects)
        for service, region, attribute in STORES:
            getattr(_backend(service, region), attribute).update(copies[attribute])
        # S3 finds a bucket's account through this registry (see moto's create_bucket).
        accounts = get_backend("s3").bucket_accounts
        for name in copies["buckets"]:
            accounts[name] = ("aws", _account_id())
        return dict(self.env)


def take(env: dict[str, str]) -> Snapshot:
    """A copy of what create_all made in the current moto backends (call it right
    after create_all, before anything else writes)."""
    objects = {attribute: dict(getattr(_backend(service, region), attribute)) for service, region, attribute in STORES}
    return Snapshot(dict(env), _deep_copy(objects))


def _backend(service: str, region: str | None) -> Any:
    import os

    from moto.backends import get_backend

    return get_backend(service)[_account_id()][region or os.environ["AWS_DEFAULT_REGION"]]


def _account_id() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID

    return DEFAULT_ACCOUNT_ID


def _deep_copy(value: Any) -> Any:
    with _fresh_locks():
        return copy.deepcopy(value)


@contextmanager
def _fresh_locks() -> Iterator[None]:
    """While copying, a lock or condition (an SQS queue has one, an S3 object another)
    is copied as a new one: locks cannot be copied, and none is held between tests."""
    fresh = {
        type(threading.Lock()): lambda _lock: (threading.Lock, ()),
        type(threading.RLock()): lambda _lock: (threading.RLock, ()),
        threading.Condition: lambda _condition: (threading.Condition, ()),
    }
    saved = {kind: copyreg.dispatch_table.get(kind) for kind in fresh}
    copyreg.dispatch_table.update(fresh)
    try:
        yield
    finally:
        for kind, reducer in saved.items():
            if reducer is None:
                copyreg.dispatch_table.pop(kind, None)
            else:
                copyreg.dispatch_table[kind] = reducer
