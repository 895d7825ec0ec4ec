"""`make package`: the app and infra/ as one SAM template, ready for CloudFormation.

    python -m infra.package --stage prod --out out/prod

1. writes the merge template (infra/merge.py) to <out>/merge-template.json;
2. runs ``chalice package --stage <stage> --merge-template ... <out>`` with this
   venv's chalice: <out>/sam.json (SAM/CloudFormation) and <out>/deployment.zip
   (app.py, chalicelib/ and requirements.txt as Lambda (manylinux) wheels);
3. checks the packaged template (infra.merge.check_packaged);
4. drops from <out>/deployment.zip the AWS SDK that the Lambda Python runtime
   already provides (``RUNTIME_PROVIDED``: boto3, botocore, s3transfer and their
   .dist-info; ``--bundle-sdk`` keeps them). pynamodb pulls botocore in (~16 MB of a
   ~23 MB zip); the functions then import the runtime's copy, at the version AWS
   ships in that runtime and region (docs/deploy.md: the trade-off). The packages
   that still need it, and the versions they ask for, are printed;
5. adds compiled bytecode to <out>/deployment.zip (``--no-bytecode`` to skip): a
   Chalice zip ships sources only, so every cold start compiles the app and its
   dependencies again (/var/task is read-only: nothing is cached), about 2/3 of
   ``import app`` (``make bench``). Each ``x.py`` gets ``__pycache__/x.cpython-311.pyc``
   next to it, compiled by this interpreter, which must be the template's Runtime
   (bytecode is specific to a major.minor). They are *unchecked-hash* pycs (PEP 552):
   CPython uses them without comparing them with the source (zip mtimes are fixed
   at 1980 and /var/task is read-only, so timestamp pycs could be rejected). The .py
   stay (tracebacks show source lines). The template needs no change: CodeUri is the
   zip's path, and ``aws cloudformation package`` uploads the zip as it is.

No AWS credentials are needed: the region defaults to us-east-1 when none is set
(it only picks service principals; the template itself is region-neutral).
Deploying is docs/deploy.md.
"""

from __future__ import annotations

import argparse
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from infra import merge

ROOT = merge.ROOT
BUNDLE_BUDGET_MB = 25.0  # the zip, as bench/package_size.py judges it
MB = 1024 * 1024
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def chalice_command() -> list[str]:
    """This venv's chalice (the one requirements-dev.txt pins)."""
    beside = Path(sys.executable).with_name("chalice")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("chalice")
    if found is None:
        raise SystemExit("chalice is not installed: run `make install`")
    return [found]


def package(stage: str, out: Path, *, bytecode: bool = True, bundle_sdk: bool = False) -> Path:
    """Package the app for ``stage`` into ``out``; returns the template's path."""
    out = out if out.is_absolute() else ROOT / out
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("sam.json", "deployment.zip"):
        (out / stale).unlink(missing_ok=True)

    from app import app

    merge_template = out / "merge-template.json"
    merge_template.write_text(json.dumps(merge.build(app, stage), indent=2) + "\n")

    env = dict(os.environ)
    if not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
        env["AWS_DEFAULT_REGION"] = "us-east-1"
    command = [
        *chalice_command(),
        "--project-dir",
        str(ROOT),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge_template),
        str(out),
    ]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT, env=env)  # noqa: S603 - our own argv

    template_path = out / "sam.json"
    # Compact: CloudFormation takes a template of at most 1 MB (cfn-lint E1002), and every route's
    # methods (the envelope's 405s, Disqus's formats and preflights) are spelled out in it.
    packaged = merge.for_api_gateway(json.loads(template_path.read_text()))
    template_path.write_text(json.dumps(packaged, separators=(",", ":")) + "\n")
    problems = merge.check_packaged(json.loads(template_path.read_text()), app)
    if problems:
        raise SystemExit("packaged template is not wired correctly:\n  " + "\n  ".join(problems))
    bundle = out / "deployment.zip"
    print(f"chalice package: deployment.zip {bundle.stat().st_size / MB:.1f} MB", flush=True)
    if bundle_sdk:
        print("--bundle-sdk: the AWS SDK stays in deployment.zip (the runtime's copy is shadowed)", flush=True)
    else:
        print(strip_runtime_sdk(bundle).summary(), flush=True)
    if bytecode:
        version = runtime_version(json.loads(template_path.read_text()))
        check_interpreter(version)
        added = add_bytecode(out / "deployment.zip")
        print(added.summary(), flush=True)
    return template_path


# --- the AWS SDK: the Lambda runtime's --------------------------------------------------

# What every Lambda Python runtime provides, later on sys.path than the function's
# own code (/var/task): shipping them only shadows the runtime's copy. Their own
# dependencies (jmespath, python-dateutil, urllib3, six) stay in the zip: other
# packages require some of them, and botocore accepts the bundled versions.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# ...and what they import, which the runtime provides as well.
RUNTIME_SDK_DEPENDENCIES = ("jmespath", "dateutil", "urllib3", "six")


def _normalized(name: str) -> str:
    """A distribution's name as PEP 503 compares them (``Python_Dateutil`` -> ``python-dateutil``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_provided(entry: str, names: tuple[str, ...] = RUNTIME_PROVIDED) -> str | None:
    """The distribution of ``names`` a zip entry belongs to, else None: a package
    folder (``botocore/...``) or its metadata (``botocore-1.44.5.dist-info/...``)."""
    top = PurePosixPath(entry).parts[0]
    wanted = {_normalized(n) for n in names}
    if top in names:
        return top
    found = re.fullmatch(r"(.+?)-[^-]+\.dist-info", top)
    if found and _normalized(found[1]) in wanted:
        return _normalized(found[1])
    return None


def _requirements(metadata: str) -> list[tuple[str, str]]:
    """(normalized name, specifier) of a METADATA's unconditional Requires-Dist lines
    (those under an ``extra`` are optional)."""
    found = []
    for line in metadata.splitlines():
        match = re.match(r"Requires-Dist:\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^]]*\])?\s*([^;]*)(?:;(.*))?", line)
        if match and "extra" not in (match[3] or ""):
            found.append((_normalized(match[1]), match[2].strip().strip("()") or "any version"))
    return found


@dataclass(frozen=True)
class Stripped:
    """What ``strip_runtime_sdk`` did to a zip."""

    dropped: dict[str, str]  # distribution -> version (from its .dist-info; "?" without one)
    entries: int  # zip entries removed
    size_before: int
    size_after: int
    required_by: list[str] = field(default_factory=list)  # "pynamodb 6.1.0: botocore>=1.12.54"

    def summary(self) -> str:
        if not self.dropped:
            return "runtime SDK: none of boto3/botocore/s3transfer in deployment.zip, nothing dropped"
        names = ", ".join(f"{n} {v}" for n, v in sorted(self.dropped.items()))
        text = (
            f"runtime SDK: dropped {names} ({self.entries} entries), which the Lambda runtime provides; "
            f"deployment.zip {self.size_before / MB:.1f} MB -> {self.size_after / MB:.1f} MB"
        )
        if self.required_by:
            text += "\n  still required (from the runtime's copy): " + "; ".join(self.required_by)
        return text


def strip_runtime_sdk(bundle: Path, names: tuple[str, ...] = RUNTIME_PROVIDED) -> Stripped:
    """Rewrite ``bundle`` without the distributions in ``names``, keeping every other
    entry as it was (name, order, date, permissions, content). Written beside the
    old zip, verified, then moved over it."""
    size_before = bundle.stat().st_size
    partial = bundle.with_name(bundle.name + ".partial")
    dropped: dict[str, str] = {}
    removed = 0
    kept: list[tuple[str, int]] = []
    metadata: dict[str, str] = {}  # dist-info folder -> METADATA text, of what stays
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(partial, "w") as target:
        for info in source.infolist():
            owner = runtime_provided(info.filename, names)
            if owner is not None:
                removed += 1
                dropped.setdefault(owner, "?")
                version = re.fullmatch(r".+?-([^-]+)\.dist-info", PurePosixPath(info.filename).parts[0])
                if version:
                    dropped[owner] = version[1]
                continue
            data = source.read(info)
            target.writestr(_entry(info.filename, info), data)
            kept.append((info.filename, info.external_attr))
            parts = PurePosixPath(info.filename).parts
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                metadata[parts[0]] = data.decode("utf-8", "replace")
    try:
        with zipfile.ZipFile(partial) as archive:
            broken = archive.testzip()
            entries = [(i.filename, i.external_attr) for i in archive.infolist()]
        if broken or entries != kept:
            raise SystemExit(f"{bundle}: rewritten zip is invalid ({broken or 'entries changed'})")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, bundle)
    wanted = {_normalized(n) for n in names}
    required_by = []
    for folder, text in sorted(metadata.items()):
        who = re.fullmatch(r"(.+?)-([^-]+)\.dist-info", folder)
        label = f"{who[1]} {who[2]}" if who else folder
        required_by += [f"{label}: {name} {spec}" for name, spec in _requirements(text) if name in wanted]
    return Stripped(dropped, removed, size_before, bundle.stat().st_size, required_by)


def runtime_sdk_stand_in(folder: Path, names: tuple[str, ...] = RUNTIME_PROVIDED + RUNTIME_SDK_DEPENDENCIES) -> Path:
    """``folder`` holding this interpreter's copies of what the Lambda runtime provides
    (symlinks): put it after an extracted deployment.zip on PYTHONPATH to import the
    app the way Lambda does, the SDK coming from the runtime and the zip's own copies
    of its dependencies winning (e.g. a cold-start bench running ``python -S`` on the
    zip's contents)."""
    import importlib.util

    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise SystemExit(f"{name} is not installed here: run `make install`")
        source = Path(spec.origin)
        if spec.submodule_search_locations:  # a package: link its folder
            source = source.parent
        link = folder / source.name
        if not link.exists():
            link.symlink_to(source, target_is_directory=source.is_dir())
    return folder


# --- compiled bytecode in the zip -----------------------------------------------------


def runtime_version(template: dict[str, Any]) -> tuple[int, int]:
    """The Python version of the template's functions (``python3.11`` -> (3, 11));
    SystemExit unless they all have one and the same Python runtime."""
    runtimes = set()
    default = template.get("Globals", {}).get("Function", {}).get("Runtime")
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") in FUNCTION_TYPES:
            runtimes.add(resource.get("Properties", {}).get("Runtime", default))
    found = [re.fullmatch(r"python(\d+)\.(\d+)", str(r)) for r in runtimes]
    if len(runtimes) != 1 or found[0] is None:
        raise SystemExit(
            f"cannot add bytecode: expected one Python runtime in the template, found {sorted(map(str, runtimes))}"
        )
    return int(found[0][1]), int(found[0][2])


def check_interpreter(version: tuple[int, int], running: tuple[int, int] | None = None) -> None:
    """Bytecode only loads in the major.minor that compiled it: SystemExit otherwise."""
    running = running or (sys.version_info.major, sys.version_info.minor)
    if running != version:
        wanted, have = "python{}.{}".format(*version), "{}.{}".format(*running)
        raise SystemExit(
            f"cannot add bytecode: the Lambda runtime is {wanted} but this is Python {have}, and .pyc files are "
            f"specific to a Python version. Package with a {wanted} venv, or pass --no-bytecode."
        )


@dataclass(frozen=True)
class Bytecode:
    """What ``add_bytecode`` did to a zip."""

    compiled: int  # .pyc added, one per .py
    size_before: int  # bytes of the zip
    size_after: int
    pyc_bytes: int  # compressed size of the .pyc entries
    dropped: list[str] = field(default_factory=list)  # __pycache__ entries the zip held (replaced)
    failed: list[str] = field(default_factory=list)  # .py that do not compile (shipped as source only)

    def summary(self) -> str:
        within = "within" if self.size_after / MB <= BUNDLE_BUDGET_MB else "OVER"
        text = (
            f"bytecode: {self.compiled} unchecked-hash .pyc ({sys.implementation.cache_tag}) added, "
            f"{self.pyc_bytes / MB:.1f} MB compressed; deployment.zip {self.size_before / MB:.1f} MB -> "
            f"{self.size_after / MB:.1f} MB ({within} the {BUNDLE_BUDGET_MB:.0f} MB budget)"
        )
        if self.dropped:
            text += f"; replaced {len(self.dropped)} stale __pycache__ entries"
        if self.failed:
            text += f"; {len(self.failed)} .py left uncompiled (syntax errors): {', '.join(self.failed[:5])}"
        return text


def pyc_name(source: str) -> str:
    """``pkg/mod.py`` -> ``pkg/__pycache__/mod.cpython-311.pyc``: where CPython looks
    (importlib.util.cache_from_source, minus any PYTHONPYCACHEPREFIX of the build)."""
    path = PurePosixPath(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.{sys.implementation.cache_tag}.pyc")


def _is_cached_bytecode(name: str) -> bool:
    return "__pycache__" in PurePosixPath(name).parts[:-1]


def _entry(name: str, like: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A new entry with ``like``'s date, permissions and compression."""
    info = zipfile.ZipInfo(name, like.date_time)
    info.external_attr = like.external_attr
    info.create_system = like.create_system
    info.compress_type = like.compress_type
    return info


def add_bytecode(bundle: Path) -> Bytecode:
    """Rewrite ``bundle`` with an unchecked-hash .pyc beside every .py.

    Every other entry is kept as it was (name, order, date, permissions, content);
    ``__pycache__`` entries already in the zip (Chalice copies the project's local,
    timestamp-checked ones) are replaced. The new zip is written beside the old one,
    verified, then moved over it."""
    size_before = bundle.stat().st_size
    partial = bundle.with_name(bundle.name + ".partial")
    compiled, pyc_bytes, dropped, failed = 0, 0, [], []
    kept: list[tuple[str, int]] = []
    with tempfile.TemporaryDirectory(prefix="disqua-bytecode-") as tmp:
        work = Path(tmp)
        with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(partial, "w") as target:
            for info in source.infolist():
                if _is_cached_bytecode(info.filename):
                    dropped.append(info.filename)
                    continue
                data = source.read(info)
                target.writestr(_entry(info.filename, info), data)
                kept.append((info.filename, info.external_attr))
                if info.is_dir() or not info.filename.endswith(".py"):
                    continue
                code = _compile(info.filename, data, work)
                if code is None:
                    failed.append(info.filename)
                    continue
                pyc = _entry(pyc_name(info.filename), info)
                target.writestr(pyc, code)
                pyc_bytes += pyc.compress_size
                compiled += 1
        try:
            _verify(partial, kept, compiled)
        except Exception:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, bundle)
    return Bytecode(compiled, size_before, bundle.stat().st_size, pyc_bytes, dropped, failed)


def _compile(name: str, source: bytes, work: Path) -> bytes | None:
    """The .pyc of one source (None if it does not compile), via py_compile."""
    path = work / "src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(source)
    cfile = work / "out.pyc"
    try:
        py_compile.compile(
            str(path),
            cfile=str(cfile),
            dfile=name,  # CPython replaces it by the real path at import (tracebacks)
            doraise=True,
            optimize=0,  # Lambda runs without -O: plain .cpython-311.pyc
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    except py_compile.PyCompileError:
        return None
    return cfile.read_bytes()


def _verify(bundle: Path, kept: list[tuple[str, int]], compiled: int) -> None:
    """The rewritten zip reads back whole: the kept entries in order with their
    permissions, plus the .pyc, nothing twice."""
    with zipfile.ZipFile(bundle) as archive:
        broken = archive.testzip()
        infos = archive.infolist()
    problems = [f"bad CRC: {broken}"] if broken else []
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        problems.append("duplicate entries")
    others = [(i.filename, i.external_attr) for i in infos if not _is_cached_bytecode(i.filename)]
    if others != kept:
        problems.append("entries changed")
    if len(infos) - len(others) != compiled:
        problems.append(f"{len(infos) - len(others)} __pycache__ entries for {compiled} compiled sources")
    if problems:
        raise SystemExit(f"{bundle}: rewritten zip is invalid: {'; '.join(problems)}")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="chalice package + infra/ merged into one template")
    parser.add_argument("--stage", default="dev", help="a stage of .chalice/config.json (default: dev)")
    parser.add_argument("--out", type=Path, help="output directory (default: out/<stage>)")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="ship sources only (no compiled .pyc in deployment.zip)"
    )
    parser.add_argument(
        "--bundle-sdk",
        action="store_true",
        help="keep boto3/botocore/s3transfer in deployment.zip (default: use the Lambda runtime's; docs/deploy.md)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    template = package(
        args.stage, args.out or Path("out") / args.stage, bytecode=not args.no_bytecode, bundle_sdk=args.bundle_sdk
    )
    bundle = template.with_name("deployment.zip")
    print(
        f"{_shown(template)}: {len(json.loads(template.read_text())['Resources'])} resources; "
        f"{_shown(bundle)}: {bundle.stat().st_size / MB:.1f} MB; "
        f"{time.monotonic() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
