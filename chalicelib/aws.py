"""boto3 clients created on first use and cached per process.

Creating a client costs ~100 ms, and importing boto3 ~200 ms: neither happens
until a request needs it (see bench/ for the cold-start figures).
"""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
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
            _clients[service] = boto3.session.Session().client(
                service, region_name=get_settings().region, config=config
            )
        return _clients[service]


def reset() -> None:
    """Drop cached clients (tests start a fresh moto backend per test)."""
    with _lock:
        _clients.clear()
