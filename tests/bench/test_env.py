"""The bench's environment is the tests' offline one plus quiet logs and metrics."""

from __future__ import annotations

import os

from bench import env
from devserver import offline


def test_builds_on_the_offline_environment():
    assert env.BENCH_ENV == {**offline.OFFLINE_ENV, **env.QUIET}
    assert env.QUIET["LOG_LEVEL"] == "WARNING"


def test_apply_sets_it_and_unsets_what_would_reach_aws(monkeypatch):
    for name in env.BENCH_ENV:  # restored after the test
        monkeypatch.setenv(name, "before")
    for name in offline.UNSET:
        monkeypatch.setenv(name, "http://localhost:1")
    env.apply()
    assert {name: os.environ[name] for name in env.BENCH_ENV} == env.BENCH_ENV
    assert not any(name in os.environ for name in offline.UNSET)


def test_child_environment(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    child = env.child_environment(PYTHONPATH="/x")
    assert "AWS_PROFILE" not in child
    assert child["LOG_LEVEL"] == "WARNING"
    assert child["PYTHONPATH"] == "/x"
    assert child["TABLE_NAME"] == offline.OFFLINE_ENV["TABLE_NAME"]
