"""boto3 clients created on first use and cached per process.

Creating a client costs ~100 ms, and importing boto3 ~200 ms: neither happens
until a request needs it (see bench/ for the cold-start figures).
"""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}

MANAGEMENT_API = "apigatewaymanagementapi"  # posts to WebSocket connections
REALTIME_CONCURRENCY = 32  # concurrent posts of one fan-out (chalicelib/workers/realtime.py)
_lock = threading.Lock()


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        if service not in _clients:
            import boto3
            from botocore.config import Config

            from chalicelib.config import get_settings

            # S3 presigned URLs must be SigV4: S3 refuses SigV2 on buckets made since
            # 2020, and SigV2 would not sign Content-Type and Content-Length.
            config = Config(signature_version="s3v4") if service == "s3" else None
            extra: dict[str, Any] = {}
            if service == MANAGEMENT_API:
                # The WebSocket API's own endpoint (REALTIME_ENDPOINT); the realtime worker
                # posts from REALTIME_CONCURRENCY threads: as many pooled connections, short
                # timeouts (a stuck post must not hold a fan-out), one retry.
                endpoint = get_settings().realtime_endpoint
                if not endpoint:
                    raise RuntimeError("realtime is not configured (REALTIME_ENDPOINT)")
                extra["endpoint_url"] = endpoint
                config = Config(
                    max_pool_connections=REALTIME_CONCURRENCY,
                    connect_timeout=2,
                    read_timeout=5,
                    retries={"max_attempts": 2, "mode": "standard"},
                )
            _clients[service] = boto3.session.Session().client(
                service, region_name=get_settings().region, config=config, **extra
            )
        return _clients[service]


def reset() -> None:
    """Drop cached clients (tests start a fresh moto backend per test)."""
    with _lock:
        _clients.clear()
