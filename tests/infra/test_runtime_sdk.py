"""infra/package.py drops the AWS SDK the Lambda runtime provides, on a synthetic zip."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra import package

DATE = (1980, 1, 1, 0, 0, 0)
FILE, EXECUTABLE = 0o100644 << 16, 0o100755 << 16
PYNAMODB_METADATA = """Metadata-Version: 2.1
Name: pynamodb
Version: 6.1.0
Requires-Dist: botocore>=1.12.54
Requires-Dist: typing-extensions>=4; python_version < "3.11"
Requires-Dist: blinker<2.0,>=1.3; extra == "signals"
"""
XRAY_METADATA = """Metadata-Version: 2.1
Name: aws-xray-sdk
Version: 2.15.0
Requires-Dist: botocore (>=1.11.3)
Requires-Dist: wrapt
"""
SDK = {
    "boto3/__init__.py": "",
    "boto3/session.py": "import botocore\n",
    "boto3-1.44.5.dist-info/METADATA": "Name: boto3\nRequires-Dist: botocore<1.45.0,>=1.44.5\n",
    "boto3-1.44.5.dist-info/RECORD": "",
    "botocore/__init__.py": "",
    "botocore/data/s3/2006-03-01/service-2.json.gz": "\0" * 64,
    "botocore-1.44.5.dist-info/METADATA": "Name: botocore\n",
    "s3transfer/__init__.py": "",
    "s3transfer-0.14.0.dist-info/METADATA": "Name: s3transfer\n",
}
KEPT = {
    "app.py": "import pynamodb\n",
    "chalicelib/__init__.py": "",
    "pynamodb/__init__.py": "",
    "pynamodb-6.1.0.dist-info/METADATA": PYNAMODB_METADATA,
    "aws_xray_sdk/__init__.py": "",
    "aws_xray_sdk-2.15.0.dist-info/METADATA": XRAY_METADATA,
    # botocore's own dependencies stay (powertools needs jmespath, for one).
    "jmespath/__init__.py": "",
    "dateutil/__init__.py": "",
    "urllib3/__init__.py": "",
    "six.py": "",
    # Look-alikes that are not the SDK.
    "botocore_stubs/__init__.py": "",
    "boto3_stubs-1.0.0.dist-info/METADATA": "Name: boto3-stubs\n",
    "mybotocore.py": "",
    "tool.py": "print('run me')\n",
}


def _bundle(path: Path, entries: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries.items():
            info = zipfile.ZipInfo(name, DATE)
            info.external_attr = EXECUTABLE if name == "tool.py" else FILE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return path


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """The SDK's entries among the others, as in a Chalice zip (sorted by name)."""
    return _bundle(tmp_path / "deployment.zip", dict(sorted({**KEPT, **SDK}.items())))


def test_the_sdk_goes_and_everything_else_stays_as_it_was(bundle: Path) -> None:
    before = {i.filename: i for i in zipfile.ZipFile(bundle).infolist()}
    size_before = bundle.stat().st_size
    result = package.strip_runtime_sdk(bundle)
    with zipfile.ZipFile(bundle) as archive:
        after = archive.infolist()
        assert archive.testzip() is None
        assert [i.filename for i in after] == [n for n in before if n in KEPT]  # order kept
        for info in after:
            old = before[info.filename]
            assert (info.date_time, info.external_attr, info.compress_type) == (
                old.date_time,
                old.external_attr,
                old.compress_type,
            )
            assert archive.read(info).decode() == KEPT[info.filename]
    assert result.dropped == {"boto3": "1.44.5", "botocore": "1.44.5", "s3transfer": "0.14.0"}
    assert result.entries == len(SDK)
    assert (result.size_before, result.size_after) == (size_before, bundle.stat().st_size)
    assert result.size_after < result.size_before
    assert not bundle.with_name("deployment.zip.partial").exists()


def test_it_says_who_still_needs_the_sdk_and_at_which_version(bundle: Path) -> None:
    result = package.strip_runtime_sdk(bundle)
    assert result.required_by == ["aws_xray_sdk 2.15.0: botocore >=1.11.3", "pynamodb 6.1.0: botocore >=1.12.54"]
    summary = result.summary()
    assert "dropped boto3 1.44.5, botocore 1.44.5, s3transfer 0.14.0 (9 entries)" in summary
    assert "MB ->" in summary
    assert "pynamodb 6.1.0: botocore >=1.12.54" in summary


def test_a_zip_without_the_sdk_is_left_alone(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "deployment.zip", KEPT)
    result = package.strip_runtime_sdk(bundle)
    assert result.dropped == {} and result.entries == 0
    assert [i.filename for i in zipfile.ZipFile(bundle).infolist()] == list(KEPT)
    assert "nothing dropped" in result.summary()


def test_bytecode_is_compiled_for_what_remains(bundle: Path) -> None:
    package.strip_runtime_sdk(bundle)
    compiled = package.add_bytecode(bundle)
    names = set(zipfile.ZipFile(bundle).namelist())
    sources = [n for n in KEPT if n.endswith(".py")]
    assert compiled.compiled == len(sources)
    assert {package.pyc_name(n) for n in sources} <= names
    assert not any(n.startswith(("boto3/", "botocore/", "s3transfer/")) for n in names)


@pytest.mark.parametrize(
    ("entry", "owner"),
    [
        ("botocore/client.py", "botocore"),
        ("botocore-1.44.5.dist-info/RECORD", "botocore"),
        ("boto3/", "boto3"),
        ("s3transfer-0.14.0.dist-info/METADATA", "s3transfer"),
        ("botocore_stubs/__init__.py", None),
        ("boto3_stubs-1.0.0.dist-info/METADATA", None),
        ("python_dateutil-2.9.0.post0.dist-info/METADATA", None),
        ("chalicelib/botocore/x.py", None),
        ("app.py", None),
    ],
)
def test_which_entries_are_the_sdk(entry: str, owner: str | None) -> None:
    assert package.runtime_provided(entry) == owner


def test_bundle_sdk_keeps_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def fake_package(stage: str, out: Path, **options: Any) -> Path:
        calls.append({"stage": stage, **options})
        out.mkdir(parents=True, exist_ok=True)
        (out / "sam.json").write_text('{"Resources": {}}')
        _bundle(out / "deployment.zip", KEPT)
        return out / "sam.json"

    monkeypatch.setattr(package, "package", fake_package)
    package.main(["--stage", "dev", "--out", str(tmp_path / "a")])
    package.main(["--stage", "prod", "--out", str(tmp_path / "b"), "--bundle-sdk", "--no-bytecode"])
    assert calls == [
        {"stage": "dev", "bytecode": True, "bundle_sdk": False},
        {"stage": "prod", "bytecode": False, "bundle_sdk": True},
    ]


def test_the_stripped_zip_imports_with_the_sdk_after_it_as_in_lambda(tmp_path: Path) -> None:
    """Lambda puts its SDK after /var/task on sys.path; runtime_sdk_stand_in does the same here."""
    task = tmp_path / "task"
    task.mkdir()
    (task / "handler.py").write_text("import botocore.exceptions, boto3, six\nprint(botocore.__file__)\n")
    code = "import handler"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONPYCACHEPREFIX")}

    def run(*path: Path) -> subprocess.CompletedProcess[str]:
        where = os.pathsep.join(map(str, path))
        command = [sys.executable, "-S", "-c", code]
        return subprocess.run(command, env={**env, "PYTHONPATH": where}, capture_output=True, text=True, check=False)

    assert "No module named 'botocore'" in run(task).stderr
    runtime = package.runtime_sdk_stand_in(tmp_path / "runtime")
    assert package.runtime_sdk_stand_in(runtime) == runtime  # idempotent
    ran = run(task, runtime)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith(str(runtime / "botocore"))
