"""Fixtures: the local runtime, started once per session (see harness.py)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.harness import Devserver, launch


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devserver]:
    """One running devserver for the session; stopping it with SIGTERM must exit 0."""
    running = launch(tmp_path_factory.mktemp("devserver"))
    yield running
    code = running.stop(signal.SIGTERM)
    assert code == 0, f"devserver exited with {code} on SIGTERM\n{running.log_tail()}"
    assert running.rest_of_stdout() == "", "stdout must carry the ready line only"


@pytest.fixture(scope="session")
def start_devserver() -> Callable[..., Devserver]:
    """For tests that need a server of their own (stop it yourself)."""
    return launch
