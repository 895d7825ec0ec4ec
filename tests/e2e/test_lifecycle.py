"""Starting and stopping the local runtime (SIGTERM is checked by the `server`
fixture's teardown; Ctrl-C here)."""

from __future__ import annotations

import signal
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.harness import Devserver

pytestmark = pytest.mark.e2e


def test_signing_keys_are_private_and_reused_across_restarts(
    server: Devserver, start_devserver: Callable[..., Devserver], tmp_path: Path
) -> None:
    secrets = server.var_dir / "local-secrets.json"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    before = secrets.read_text()

    again = start_devserver(tmp_path, var_dir=server.var_dir)
    code = again.stop(signal.SIGINT)  # what Ctrl-C sends

    assert code == 0, again.log_tail()
    assert again.rest_of_stdout() == ""
    assert secrets.read_text() == before
