"""Structured logs (Powertools Logger, JSON with the requestId), metrics (Powertools
Metrics, CloudWatch EMF) and an opt-in Tracer.

What is logged is chosen field by field: never a body, a header, a query string or a
token. The Tracer pulls in aws_xray_sdk (~200 ms at import), so it is created only
when ``POWERTOOLS_TRACE_ENABLED=true`` and only on first use.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any

SERVICE = "disqua"
NAMESPACE = "Disqua"


@lru_cache(maxsize=1)
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL", "INFO"))


@lru_cache(maxsize=1)
def _metrics() -> Any:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)


_pending = False


def count(name: str, value: int = 1) -> None:
    """Add to a counter metric, published at the end of the invocation."""
    global _pending
    from aws_lambda_powertools.metrics import MetricUnit

    _metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)
    _pending = True


def flush_metrics() -> None:
    global _pending
    if _pending:
        _pending = False
        _metrics().flush_metrics()


@lru_cache(maxsize=1)
def tracer() -> Any | None:
    if os.environ.get("POWERTOOLS_TRACE_ENABLED", "false").lower() != "true":
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def quiet_libraries() -> None:
    """botocore at DEBUG would log request bodies, tokens included."""
    for name in ("botocore", "boto3", "urllib3", "pynamodb"):
        logging.getLogger(name).setLevel(logging.WARNING)
