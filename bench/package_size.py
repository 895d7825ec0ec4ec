"""Size of the Lambda deployment package.

Uses out/dev/deployment.zip when ``make package`` has produced a readable one;
otherwise runs ``python -m infra.package --stage dev`` (what ``make package`` runs,
bytecode included) into a temporary folder (chalice caches the vendored wheels
under .chalice/deployments, so a rebuild is quick).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench import ROOT

BUDGET_MB = 25.0
MB = 1024 * 1024
PACKAGED = ROOT / "out" / "dev" / "deployment.zip"


@dataclass(frozen=True)
class Entry:
    name: str  # top-level folder or module in the zip
    uncompressed: int
    compressed: int


@dataclass(frozen=True)
class Package:
    source: str
    size: int  # bytes of the zip file
    uncompressed: int
    files: int
    largest: list[Entry]
    top_level: frozenset[str]  # importable names at the zip's root (``app``, ``botocore``, ...)
    pyc_files: int = 0
    pyc_compressed: int = 0  # bytes the .pyc add to the zip

    @property
    def size_mb(self) -> float:
        return self.size / MB

    @property
    def within_budget(self) -> bool:
        return self.size_mb <= BUDGET_MB


def inspect(path: Path, source: str, top: int = 5) -> Package:
    """Raises zipfile.BadZipFile for a zip still being written."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
    for info in infos:
        entry = totals[info.filename.split("/", 1)[0]]
        entry[0] += info.file_size
        entry[1] += info.compress_size
    largest = sorted((Entry(name, u, c) for name, (u, c) in totals.items()), key=lambda e: e.uncompressed, reverse=True)
    return Package(
        source=source,
        size=path.stat().st_size,
        uncompressed=sum(i.file_size for i in infos),
        files=len(infos),
        largest=largest[:top],
        top_level=frozenset(name.split(".", 1)[0] for name in totals),
        pyc_files=sum(1 for i in infos if i.filename.endswith(".pyc")),
        pyc_compressed=sum(i.compress_size for i in infos if i.filename.endswith(".pyc")),
    )


@dataclass(frozen=True)
class Bundle:
    path: Path
    source: str  # where it comes from, for the report


def _build(folder: Path) -> Bundle:
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    command = [sys.executable, "-m", "infra.package", "--stage", "dev", "--out", str(folder)]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return Bundle(folder / "deployment.zip", "python -m infra.package --stage dev (temporary build)")


def locate(*, allow_build: bool, scratch: Path) -> Bundle | str:
    """The deployment zip to measure, or why there is none. A temporary build goes
    into ``scratch`` (the caller removes it)."""
    if PACKAGED.exists():
        try:
            with zipfile.ZipFile(PACKAGED):
                pass
            built = datetime.fromtimestamp(PACKAGED.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            return Bundle(PACKAGED, f"{PACKAGED.relative_to(ROOT)} (make package, built {built})")
        except zipfile.BadZipFile:
            pass  # `make package` is writing it right now: build our own
    if not allow_build:
        return f"skipped (--quick, and no readable {PACKAGED.relative_to(ROOT)})"
    try:
        return _build(scratch / "package")
    except subprocess.CalledProcessError as error:
        output = (error.stderr or b"").decode(errors="replace") + (error.stdout or b"").decode(errors="replace")
        detail = output.strip().splitlines()[-1:] or ["?"]
        return f"packaging failed: {detail[0]}"


def measure(bundle: Bundle | str) -> Package | str:
    """The package's figures, or why there are none."""
    if isinstance(bundle, str):
        return bundle
    return inspect(bundle.path, bundle.source)
