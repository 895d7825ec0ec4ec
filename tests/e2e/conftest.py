"""Fixtures: the local runtime, started once per session (see harness.py)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.harness import Devserver, launch

if TYPE_CHECKING:
    from playwright.sync_api import Browser


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


CHROMIUM = Path("/usr/bin/chromium")
# As root, Playwright already passes --no-sandbox; these keep Chromium off the network
# it would otherwise try (component updates, sync, field trials) on a closed machine.
QUIET = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium (Debian's, `make chromium`) driven by Playwright, per module;
    give each test its own context."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make chromium` (scripts/ensure-chromium.sh)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=QUIET)
        yield launched
        launched.close()
