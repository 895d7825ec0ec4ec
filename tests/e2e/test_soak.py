"""The local runtime's memory under load: 600 mixed requests over HTTP (bench/soak.py)
against a server of this test's own, whose resident size (VmRSS of its process) may
grow by less than 100 MB per 2,000 requests after the warm-up (`make bench` runs the
full 2,000). Before the fix in devserver/moto_fixes.py each TransactWriteItems kept
10-30 MB (300 requests took it from 0.47 to 1.9 GB)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import soak
from tests.e2e.harness import Devserver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status"),
]


REQUESTS = 600


def test_rss_stays_flat_over_600_mixed_requests(start_devserver: Callable[..., Devserver], tmp_path: Path) -> None:
    server = start_devserver(tmp_path / "soak")
    try:
        result = soak.measure(server.process.pid, server.base_url, server.outbox, requests_=REQUESTS)
    finally:
        code = server.stop(signal.SIGTERM)

    assert code == 0, server.log_tail()
    assert result.requests == REQUESTS
    assert set(result.statuses) <= {200, 201}  # every answer was the expected one (else Unexpected)
    assert result.operations["add reaction"] > 90 and result.operations["remove reaction"] > 45
    assert result.within_budget, (
        f"RSS {result.before_kb / 1024:.0f} -> {result.after_kb / 1024:.0f} MB over {result.requests} requests"
    )
