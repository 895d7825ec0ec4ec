"""The HTTP Idempotency-Key contract: the same key and body within 24 h replays the
first (successful) response; the same key with another body is E_IDEMPOTENCY_MISMATCH;
a key whose first request is still running is E_IDEMPOTENCY_IN_PROGRESS. Failed
requests are not remembered, so a client may retry them with the same key.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import IdempotencyInProgress, IdempotencyMismatch
from chalicelib.store import claims

LEASE_SECONDS = 60  # longer than any API request may run (API Gateway stops at 29 s)


def begin(scope: str, key: str, request_hash: str) -> dict[str, Any] | None:
    """None: go ahead. Otherwise the stored response to replay."""
    record = claims.begin_request(scope, key, request_hash, LEASE_SECONDS)
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise IdempotencyMismatch()
    if record.status != "done" or record.response is None:
        raise IdempotencyInProgress()
    return dict(record.response)


def finish(scope: str, key: str, request_hash: str, response: dict[str, Any]) -> None:
    claims.finish_request(scope, key, request_hash, response)


def release(scope: str, key: str) -> None:
    claims.release_request(scope, key)
