"""The environment the bench runs the app in: the tests' offline environment
(devserver/offline.py: fake credentials, one region, test settings), plus quiet logs
and metrics so the report stays readable.

Applied before anything imports boto3 or pynamodb (they read the region and
credentials once), and passed to the cold-start subprocesses so they import the app
exactly as measured in-process.
"""

from __future__ import annotations

import os

from devserver import offline  # plain settings: imports neither the app nor boto3

# Every request logs a JSON line and flushes EMF metrics to stdout: noise here.
QUIET: dict[str, str] = {
    "LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}

BENCH_ENV: dict[str, str] = {**offline.OFFLINE_ENV, **QUIET}


def apply() -> None:
    offline.apply(**QUIET)


def child_environment(**extra: str) -> dict[str, str]:
    """A subprocess's environment: ours, the bench settings, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in offline.UNSET}
    env.update(BENCH_ENV)
    env.update(extra)
    return env
