"""Cold start: how long ``import app`` takes in a fresh interpreter.

Each sample is a new process that times only the import (interpreter start-up is
the same for everyone and Lambda's anyway). The baseline is the least any Python
Lambda talking to DynamoDB pays: ``import chalice, boto3`` and one DynamoDB client.

Bytecode: a Chalice zip ships sources only, so on a real cold start every module of
the app and its vendored dependencies is compiled on import, while the runtime's
standard library has its .pyc. Both cases use their own PYTHONPYCACHEPREFIX (the
repository's __pycache__ folders play no part): "warm" is a prefix filled by one
unmeasured import; "no .pyc" is a prefix holding only the standard library's
.pyc, with PYTHONDONTWRITEBYTECODE=1 so every run compiles the rest again.

``measure_packaged`` times the same ``import app`` from the deployment zip itself,
extracted twice: as shipped (with the .pyc ``make package`` adds) and without any
``__pycache__`` entry. Those runs use ``python -S``: nothing but the standard library
and the zip's contents, as on Lambda (a dependency missing from the zip fails).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from bench import ROOT
from bench.env import child_environment
from infra.package import RUNTIME_PROVIDED  # the SDK that the Lambda runtime supplies

BUDGET_RATIO = 1.5

_TIMED = "import time\nstarted = time.perf_counter()\n{code}\nprint(time.perf_counter() - started)\n"
APP = _TIMED.format(code="import app")
BASELINE = _TIMED.format(code='import chalice, boto3\nboto3.client("dynamodb", region_name="us-east-1")')


@dataclass(frozen=True)
class Samples:
    seconds: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def min_ms(self) -> float:
        return min(self.seconds) * 1000

    @property
    def max_ms(self) -> float:
        return max(self.seconds) * 1000


@dataclass(frozen=True)
class Import:
    name: str
    parent: str  # the module whose import triggered this one
    self_ms: float
    cumulative_ms: float


@dataclass(frozen=True)
class ColdStart:
    runs: int
    app: Samples
    baseline: Samples
    app_no_pyc: Samples
    baseline_no_pyc: Samples
    imports: list[Import]

    @property
    def ratio(self) -> float:
        return self.app.median_ms / self.baseline.median_ms

    @property
    def within_budget(self) -> bool:
        return self.ratio <= BUDGET_RATIO


def _python(
    code: str, prefix: Path, *, write_bytecode: bool, importtime: bool = False
) -> subprocess.CompletedProcess[str]:
    env = child_environment(PYTHONPYCACHEPREFIX=str(prefix))
    if write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def _seconds(code: str, prefix: Path, *, write_bytecode: bool) -> float:
    output = _python(code, prefix, write_bytecode=write_bytecode).stdout
    return float(output.strip().splitlines()[-1])


def _stdlib_only(warm: Path, target: Path) -> None:
    """Copy the standard library's .pyc out of a primed prefix (the prefix mirrors
    absolute source paths)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    source = warm / stdlib.relative_to(stdlib.anchor)
    shutil.copytree(source, target / stdlib.relative_to(stdlib.anchor), ignore=shutil.ignore_patterns("site-packages"))


_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def parse_importtime(stderr: str, root: str = "app") -> list[Import]:
    """The ``-X importtime`` lines of ``import <root>``'s subtree (not the
    interpreter's start-up), once per module: a module imported through its own
    package is listed twice (its self times add up; the outer line's cumulative
    time and importer are kept).

    Lines come children first, indented two spaces per level: a line's parent is
    the next line one level up, and a top-level import ends its subtree."""
    lines = [
        (len(indent) // 2, name, int(self_us) / 1000, int(cumulative_us) / 1000)
        for self_us, cumulative_us, indent, name in _IMPORTTIME.findall(stderr)
    ]
    ends = [n for n, (depth, name, _, _) in enumerate(lines) if depth == 0 and name == root]
    if not ends:
        return []
    starts = [n for n, (depth, *_rest) in enumerate(lines[: ends[0]]) if depth == 0]
    subtree = lines[(starts[-1] + 1 if starts else 0) : ends[0] + 1]
    parents: dict[int, str] = {}  # line -> the module that imported it
    waiting: dict[int, list[int]] = {}  # depth -> lines still looking for their parent
    for n, (depth, name, _, _) in enumerate(subtree):
        for child in waiting.pop(depth + 1, []):
            parents[child] = name
        waiting.setdefault(depth, []).append(n)
    found: dict[str, Import] = {}
    for n, (_, name, self_ms, cumulative_ms) in enumerate(subtree):
        seen = found.get(name)
        if seen is None or cumulative_ms > seen.cumulative_ms:
            found[name] = Import(name, parents.get(n, ""), self_ms, cumulative_ms)
        if seen is not None:  # the module's own time is split over its lines
            found[name] = replace(found[name], self_ms=seen.self_ms + self_ms)
    return list(found.values())


def slowest(imports: list[Import], top: int) -> list[Import]:
    """Slowest cumulative first, without the root (the total)."""
    return sorted((i for i in imports if i.parent), key=lambda i: i.cumulative_ms, reverse=True)[:top]


def by_package(imports: list[Import], top: int | None = None) -> list[tuple[str, float]]:
    """Self time summed per top-level package: where the import time really goes."""
    totals: dict[str, float] = {}
    for i in imports:
        package = i.name.split(".", 1)[0]
        totals[package] = totals.get(package, 0.0) + i.self_ms
    return sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:top]


def measure(runs: int) -> ColdStart:
    with tempfile.TemporaryDirectory(prefix="disqua-pyc-") as tmp:
        warm, no_pyc = Path(tmp, "warm"), Path(tmp, "stdlib-only")
        for code in (APP, BASELINE):  # prime the warm prefix, unmeasured
            _python(code, warm, write_bytecode=True)
        _stdlib_only(warm, no_pyc)
        # Interleaved, so drift (CPU frequency, page cache) hits every series alike.
        series: dict[tuple[str, bool], list[float]] = {}
        for _ in range(runs):
            for code in (APP, BASELINE):
                for compiled in (True, False):
                    prefix = warm if compiled else no_pyc
                    series.setdefault((code, compiled), []).append(_seconds(code, prefix, write_bytecode=compiled))
        profile = _python("import app", warm, write_bytecode=True, importtime=True).stderr
    return ColdStart(
        runs=runs,
        app=Samples(series[APP, True]),
        baseline=Samples(series[BASELINE, True]),
        app_no_pyc=Samples(series[APP, False]),
        baseline_no_pyc=Samples(series[BASELINE, False]),
        imports=parse_importtime(profile),
    )


def not_shipped(imports: list[Import], shipped: frozenset[str], at_least_ms: float = 1.0) -> list[tuple[str, float]]:
    """Third-party packages ``import app`` loads here (dev dependencies present in
    the venv, imported optionally by a library) that the zip lacks: the local
    figure includes them, a Lambda cold start would not."""
    return [
        (name, ms)
        for name, ms in by_package(imports)
        if ms >= at_least_ms
        and name not in shipped
        and name not in sys.stdlib_module_names
        and name not in RUNTIME_PROVIDED  # the Lambda runtime supplies the SDK
    ]


# --- from the deployment zip ----------------------------------------------------------


@dataclass(frozen=True)
class PackagedColdStart:
    runs: int
    with_pyc: Samples
    without_pyc: Samples
    from_pyc: int  # modules of the zip that `import app` loaded from their .pyc...
    from_source: int  # ...and those it compiled (should be none with the .pyc)
    shipped_pyc: bool  # False: the zip had none (--no-bytecode), the bench compiled them

    @property
    def saved_ms(self) -> float:
        return self.without_pyc.median_ms - self.with_pyc.median_ms

    @property
    def all_from_pyc(self) -> bool:
        return self.from_pyc > 0 and self.from_source == 0


def _in_zip_python(code: str, folder: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    # The zip leaves the AWS SDK to the Lambda runtime: a stand-in of it follows the
    # zip's folder on the path, as the runtime's copy does on Lambda.
    from infra.package import runtime_sdk_stand_in

    runtime = runtime_sdk_stand_in(folder.parent / f"{folder.name}-runtime")
    # PYTHONPYCACHEPREFIX would send CPython to another folder than __pycache__.
    env = child_environment(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=f"{folder}{os.pathsep}{runtime}")
    env.pop("PYTHONPYCACHEPREFIX", None)
    return subprocess.run(
        [sys.executable, "-S", *flags, "-c", code], cwd=folder, env=env, capture_output=True, text=True, check=True
    )


def _has_bytecode(names: list[str]) -> bool:
    from infra.package import pyc_name

    shipped = set(names)
    sources = [n for n in names if n.endswith(".py")]
    return bool(sources) and all(pyc_name(n) in shipped for n in sources)


def loaded_from(verbose: str, folder: Path) -> tuple[int, int]:
    """(from .pyc, compiled from source) among the modules under ``folder``, from
    ``python -v``'s "code object from" lines (a .pyc path is quoted, a source not)."""
    prefix = str(folder)
    from_pyc = from_source = 0
    for line in verbose.splitlines():
        if not line.startswith("# code object from "):
            continue
        path = line.removeprefix("# code object from ").strip("'\"")
        if path.startswith(prefix):
            if path.endswith(".pyc"):
                from_pyc += 1
            else:
                from_source += 1
    return from_pyc, from_source


def measure_packaged(bundle: Path, runs: int) -> PackagedColdStart:
    """Median ``import app`` from the zip extracted with and without its .pyc."""
    from infra.package import add_bytecode

    with tempfile.TemporaryDirectory(prefix="disqua-zip-") as tmp:
        with_pyc, without_pyc = Path(tmp, "with-pyc"), Path(tmp, "without-pyc")
        with zipfile.ZipFile(bundle) as archive:
            shipped = _has_bytecode(archive.namelist())
        if not shipped:  # packaged with --no-bytecode: compile a copy as `make package` would
            copy = Path(tmp, "deployment.zip")
            shutil.copyfile(bundle, copy)
            add_bytecode(copy)
            bundle = copy
        with zipfile.ZipFile(bundle) as archive:
            archive.extractall(with_pyc)
            sources = [n for n in archive.namelist() if "__pycache__" not in PurePosixPath(n).parts]
            archive.extractall(without_pyc, members=sources)
        verbose = _in_zip_python("import app", with_pyc.resolve(), "-v").stderr
        from_pyc, from_source = loaded_from(verbose, with_pyc.resolve())
        series: dict[Path, list[float]] = {with_pyc: [], without_pyc: []}
        for _ in range(runs):  # interleaved, as in measure()
            for folder, seconds in series.items():
                seconds.append(float(_in_zip_python(APP, folder).stdout.strip().splitlines()[-1]))
    return PackagedColdStart(
        runs, Samples(series[with_pyc]), Samples(series[without_pyc]), from_pyc, from_source, shipped
    )
