"""Size of the Lambda deployment package.

Uses out/dev/deployment.zip when ``make package`` has produced a readable one;
otherwise runs ``chalice package --stage dev`` into a temporary folder (chalice
caches the vendored wheels under .chalice/deployments, so a rebuild is quick).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
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
    )


def _chalice() -> str:
    beside = Path(sys.executable).with_name("chalice")
    return str(beside) if beside.exists() else shutil.which("chalice") or "chalice"


def build_and_inspect() -> Package:
    with tempfile.TemporaryDirectory(prefix="disqua-package-") as out:
        env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
        subprocess.run(
            [_chalice(), "package", "--stage", "dev", out], cwd=ROOT, env=env, check=True, capture_output=True
        )
        return inspect(Path(out, "deployment.zip"), "chalice package --stage dev (temporary build)")


def measure(*, allow_build: bool) -> Package | str:
    """The package's figures, or why there are none."""
    if PACKAGED.exists():
        try:
            built = datetime.fromtimestamp(PACKAGED.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            return inspect(PACKAGED, f"{PACKAGED.relative_to(ROOT)} (make package, built {built})")
        except zipfile.BadZipFile:
            pass  # `make package` is writing it right now: build our own
    if not allow_build:
        return f"skipped (--quick, and no readable {PACKAGED.relative_to(ROOT)})"
    try:
        return build_and_inspect()
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        return f"chalice package failed: {detail[0]}"
