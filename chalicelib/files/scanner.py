"""Malware scanning of an uploaded file with ClamAV: ``clamscan``, the real engine.

``clamscan`` (env ``CLAMSCAN_PATH``, default ``clamscan`` on ``PATH``) runs against the
signature database in env ``CLAMAV_DATABASE``: in AWS, the current definitions of the
ClamAV layer (kept fresh by freshclam); by default the project's ``infra/clamav/``,
which knows only the EICAR test file (for tests and local runs: see its README).

Only an answer is a verdict: exit code 0 is clean, 1 is infected (the signature name
from the ``<path>: <name> FOUND`` line). Anything else (a missing binary, an unreadable
database or file, a crash, a run past ``TIMEOUT_SECONDS``) raises ScannerUnavailable:
a file that could not be scanned is never reported clean, and the processor leaves it
for a retry.

``--alert-exceeds-max=yes``: a file past clamscan's size or recursion limits (100 MB,
archives nested 17 deep by default) is reported as ``Heuristics.Limits.Exceeded.*``
rather than skipped and called clean, since it was not fully scanned.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_SECONDS = 120.0
DEFAULT_DATABASE = Path(__file__).resolve().parent.parent.parent / "infra" / "clamav"

_CLEAN, _INFECTED = 0, 1
_FOUND = " FOUND"


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str | None = None  # the ClamAV signature name when not clean


class ScannerUnavailable(Exception):
    """The file could not be scanned (no verdict): retry later, never treat it as clean."""


def scan(path: str, *, timeout: float = TIMEOUT_SECONDS) -> Verdict:
    """Scan one file. ScannerUnavailable when clamscan gives no verdict."""
    clamscan = os.environ.get("CLAMSCAN_PATH") or "clamscan"
    database = os.environ.get("CLAMAV_DATABASE") or str(DEFAULT_DATABASE)
    target = os.path.abspath(path)  # never starts with "-": cannot be read as an option
    command = [
        clamscan,
        "--no-summary",
        "--stdout",
        f"--database={database}",
        "--alert-exceeds-max=yes",
        target,
    ]
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            command, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise ScannerUnavailable(f"clamscan timed out after {timeout:g} s on {target}") from exc
    except OSError as exc:  # not found, not executable
        raise ScannerUnavailable(f"cannot run {clamscan}: {exc}") from exc
    output = done.stdout.decode("utf-8", "replace")
    if done.returncode == _CLEAN:
        return Verdict(clean=True)
    if done.returncode == _INFECTED:
        return Verdict(clean=False, signature=_signature(output))
    detail = (output + done.stderr.decode("utf-8", "replace")).strip()[-500:]
    raise ScannerUnavailable(f"clamscan exited with {done.returncode}: {detail}")


def _signature(output: str) -> str | None:
    """The name in clamscan's ``<path>: <name> FOUND`` line (the path may hold ``: ``)."""
    for line in output.splitlines():
        if line.endswith(_FOUND) and ": " in line:
            return line[: -len(_FOUND)].rsplit(": ", 1)[1].strip() or None
    return None
