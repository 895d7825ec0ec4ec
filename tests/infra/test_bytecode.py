"""infra/package.py's bytecode step, on a small synthetic zip (no `chalice package`)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import package

DATE = (1980, 1, 1, 0, 0, 0)
FILE, EXECUTABLE = 0o100644 << 16, 0o100755 << 16
TAG = sys.implementation.cache_tag

SOURCES = {
    "mod.py": 'VALUE = "compiled"\n',
    "pkg/__init__.py": "",
    "pkg/sub.py": 'def boom():\n    raise ValueError("from sub")\n',
    "tool.py": "print('run me')\n",
    "broken.py": "def (:\n",  # does not compile: shipped as source only
}
OTHERS = {
    "pkg/data.json": "{}",
    # What Chalice copies from a developer's chalicelib/: timestamp pycs, replaced.
    f"pkg/__pycache__/sub.{TAG}.pyc": "stale",
    "pkg/__pycache__/sub.cpython-399.pyc": "stale",
}


def _bundle(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in {**SOURCES, **OTHERS}.items():
            info = zipfile.ZipInfo(name, DATE)
            info.external_attr = EXECUTABLE if name == "tool.py" else FILE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return path


@pytest.fixture
def bundle(tmp_path):
    return _bundle(tmp_path / "deployment.zip")


def _python(code: str, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPYCACHEPREFIX", "PYTHONPATH")}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(folder))
    return subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=folder, env=env, capture_output=True, text=True, check=False
    )


def test_a_pyc_beside_every_py_and_everything_else_kept(bundle):
    before = {i.filename: i for i in zipfile.ZipFile(bundle).infolist()}
    result = package.add_bytecode(bundle)

    with zipfile.ZipFile(bundle) as archive:
        assert archive.testzip() is None
        after = {i.filename: i for i in archive.infolist()}
        contents = {name: archive.read(name) for name in after}
    compiled = ["mod.py", "pkg/__init__.py", "pkg/sub.py", "tool.py"]
    pycs = {package.pyc_name(name) for name in compiled}
    assert pycs == {f"__pycache__/mod.{TAG}.pyc", f"pkg/__pycache__/__init__.{TAG}.pyc"} | {
        f"pkg/__pycache__/sub.{TAG}.pyc",
        f"__pycache__/tool.{TAG}.pyc",
    }
    kept = set(SOURCES) | {"pkg/data.json"}
    assert set(after) == kept | pycs
    for name in kept:  # same content, date, permissions and compression
        assert contents[name] == zipfile.ZipFile(_bundle(bundle.with_name("again.zip"))).read(name)
        assert (after[name].date_time, after[name].external_attr, after[name].compress_type) == (
            before[name].date_time,
            before[name].external_attr,
            before[name].compress_type,
        )
    assert after[f"__pycache__/tool.{TAG}.pyc"].external_attr == EXECUTABLE  # the source's mode
    for pyc in pycs:
        data = contents[pyc]
        assert data[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(data[4:8], "little") == 0b01  # hash-based, unchecked (PEP 552)

    assert result.compiled == 4
    assert result.failed == ["broken.py"]
    assert sorted(result.dropped) == sorted(n for n in OTHERS if "__pycache__" in n)
    assert result.size_after == bundle.stat().st_size
    assert "4 unchecked-hash .pyc" in result.summary()
    assert not bundle.with_name("deployment.zip.partial").exists()


def test_running_twice_gives_the_same_entries(bundle):
    package.add_bytecode(bundle)
    first = sorted(zipfile.ZipFile(bundle).namelist())
    second = package.add_bytecode(bundle)
    assert sorted(zipfile.ZipFile(bundle).namelist()) == first
    assert len(second.dropped) == second.compiled == 4


def test_imports_use_the_pyc_even_when_the_source_differs(bundle, tmp_path):
    """Unchecked-hash pycs are used as they are: change the extracted source after
    compiling, and the compiled value is what runs. The .py still serves tracebacks."""
    package.add_bytecode(bundle)
    folder = tmp_path / "task"
    zipfile.ZipFile(bundle).extractall(folder)
    (folder / "mod.py").write_text('VALUE = "source"\n')

    ran = _python("import mod; print(mod.VALUE)", folder)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "compiled"

    failed = _python("import pkg.sub; pkg.sub.boom()", folder)
    assert "ValueError: from sub" in failed.stderr
    assert str(folder / "pkg" / "sub.py") in failed.stderr
    assert 'raise ValueError("from sub")' in failed.stderr  # the source line, read from the .py

    # Control: without the pycs, the (changed) source is what runs.
    for pyc in folder.rglob("*.pyc"):
        pyc.unlink()
    assert _python("import mod; print(mod.VALUE)", folder).stdout.strip() == "source"


def test_runtime_version_from_the_template():
    function = {"Type": "AWS::Serverless::Function", "Properties": {"Runtime": "python3.11"}}
    assert package.runtime_version({"Resources": {"A": function, "B": function, "C": {"Type": "AWS::SQS::Queue"}}}) == (
        3,
        11,
    )
    globals_only = {
        "Globals": {"Function": {"Runtime": "python3.12"}},
        "Resources": {"A": {**function, "Properties": {}}},
    }
    assert package.runtime_version(globals_only) == (3, 12)
    mixed = {"Resources": {"A": function, "B": {**function, "Properties": {"Runtime": "python3.12"}}}}
    with pytest.raises(SystemExit, match="one Python runtime"):
        package.runtime_version(mixed)
    with pytest.raises(SystemExit, match="one Python runtime"):
        package.runtime_version({"Resources": {"A": {**function, "Properties": {"Runtime": "nodejs20.x"}}}})


def test_bytecode_needs_the_runtime_python():
    package.check_interpreter((3, 11), running=(3, 11))
    with pytest.raises(SystemExit, match=r"runtime is python3\.11 but this is Python 3\.12.*--no-bytecode"):
        package.check_interpreter((3, 11), running=(3, 12))


def test_no_bytecode_flag(monkeypatch, tmp_path):
    seen = {}

    def fake_package(stage, out, *, bytecode, bundle_sdk=False):
        seen.update(stage=stage, bytecode=bytecode)
        out.mkdir(parents=True)
        (out / "sam.json").write_text('{"Resources": {}}')
        (out / "deployment.zip").write_bytes(b"PK")
        return out / "sam.json"

    monkeypatch.setattr(package, "package", fake_package)
    package.main(["--stage", "dev", "--out", str(tmp_path / "a"), "--no-bytecode"])
    assert seen == {"stage": "dev", "bytecode": False}
    package.main(["--stage", "dev", "--out", str(tmp_path / "b")])
    assert seen == {"stage": "dev", "bytecode": True}
