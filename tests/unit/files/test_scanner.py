import hashlib
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from chalicelib.files import scanner
from chalicelib.files.scanner import DEFAULT_DATABASE, ScannerUnavailable, Verdict, scan

ROOT = Path(__file__).resolve().parents[3]
DATABASE = ROOT / "infra" / "clamav"

# The EICAR test file, built here from two halves so that no file of the repository
# holds it (and no scanner flags the repository).
_EICAR_HEAD = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$"
_EICAR_TAIL = "EICAR-STANDARD-ANTIVIRUS-" + "TEST-FILE!$H+H*"


def eicar() -> bytes:
    return (_EICAR_HEAD + _EICAR_TAIL).encode("ascii")


@pytest.fixture(autouse=True)
def clamav(monkeypatch):
    if shutil.which("clamscan") is None:
        pytest.fail("clamscan is not installed: run scripts/ensure-clamav.sh")
    monkeypatch.delenv("CLAMSCAN_PATH", raising=False)
    monkeypatch.delenv("CLAMAV_DATABASE", raising=False)


@pytest.fixture
def infected(tmp_path):
    path = tmp_path / "eicar.com"
    path.write_bytes(eicar())
    return path


def test_the_shipped_database_is_the_eicar_hash_and_nothing_else():
    assert DEFAULT_DATABASE == DATABASE
    assert sorted(p.name for p in DATABASE.iterdir()) == ["README.md", "eicar.hdb"]
    md5 = hashlib.md5(eicar()).hexdigest()  # ClamAV hash signatures are MD5
    assert (DATABASE / "eicar.hdb").read_text() == f"{md5}:68:Eicar-Test-Signature\n"
    assert md5 == "44d88612fea8a8f36de82e1278abb02f" and len(eicar()) == 68


def test_eicar_is_infected(infected):
    verdict = scan(str(infected))
    assert verdict.clean is False
    assert verdict.signature.startswith("Eicar-Test-Signature")  # ".UNOFFICIAL": not a signed database


def test_eicar_inside_a_zip_is_infected(tmp_path):
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "nothing here")
        archive.writestr("tools/test.com", eicar())
    assert scan(str(path)) == Verdict(clean=False, signature="Eicar-Test-Signature.UNOFFICIAL")


@pytest.mark.parametrize(
    "content",
    [b"hello, world\n", b"", eicar()[:-1], eicar() + b"\n", os.urandom(100_000)],
    ids=["text", "empty", "eicar-less-a-byte", "eicar-plus-a-byte", "random"],
)
def test_clean_files(tmp_path, content):
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    assert scan(str(path)) == Verdict(clean=True)


def test_awkward_names_are_scanned_as_files_not_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("-v").write_bytes(b"clean")
    assert scan("-v") == Verdict(clean=True)
    Path("--remove=yes").write_bytes(eicar())
    assert scan("--remove=yes").clean is False
    assert Path("--remove=yes").exists()  # clamscan never removes or moves anything
    weird = tmp_path / "a: b FOUND é.com"
    weird.write_bytes(eicar())
    assert scan(str(weird)) == Verdict(clean=False, signature="Eicar-Test-Signature.UNOFFICIAL")


def test_a_missing_binary_is_unavailable(infected, monkeypatch):
    monkeypatch.setenv("CLAMSCAN_PATH", "/nonexistent")
    with pytest.raises(ScannerUnavailable, match="cannot run /nonexistent"):
        scan(str(infected))


def test_a_binary_that_is_not_executable_is_unavailable(infected, tmp_path, monkeypatch):
    fake = tmp_path / "clamscan"
    fake.write_text("#!/bin/sh\nexit 0\n")  # would say clean, but cannot run
    monkeypatch.setenv("CLAMSCAN_PATH", str(fake))
    with pytest.raises(ScannerUnavailable):
        scan(str(infected))


def test_a_missing_database_is_unavailable(infected, monkeypatch):
    monkeypatch.setenv("CLAMAV_DATABASE", "/nonexistent")
    with pytest.raises(ScannerUnavailable, match="exited with 2"):
        scan(str(infected))


def test_a_missing_file_is_unavailable_not_clean(tmp_path):
    with pytest.raises(ScannerUnavailable):
        scan(str(tmp_path / "gone"))


def fake_clamscan(tmp_path, monkeypatch, script):
    path = tmp_path / "fake-clamscan"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    monkeypatch.setenv("CLAMSCAN_PATH", str(path))


@pytest.mark.parametrize("code", [2, 40, 50, 62, 127, -9])
def test_any_other_exit_code_is_unavailable(tmp_path, monkeypatch, code):
    exit_line = "kill -9 $$\n" if code < 0 else f"exit {code}\n"
    fake_clamscan(tmp_path, monkeypatch, f'echo "$5: OK"\n{exit_line}')
    with pytest.raises(ScannerUnavailable):
        scan(str(tmp_path))


def test_a_hung_scanner_times_out(tmp_path, monkeypatch):
    fake_clamscan(tmp_path, monkeypatch, "exec sleep 30\n")
    started = time.monotonic()
    with pytest.raises(ScannerUnavailable, match="timed out"):
        scan(str(tmp_path), timeout=0.5)
    assert time.monotonic() - started < 10


def test_the_arguments_clamscan_gets(tmp_path, monkeypatch):
    out = tmp_path / "args"
    fake_clamscan(tmp_path, monkeypatch, f'printf "%s\\n" "$@" > {out}\nexit 0\n')
    assert scan("relative/name") == Verdict(clean=True)
    assert out.read_text().splitlines() == [
        "--no-summary",
        "--stdout",
        f"--database={DATABASE}",
        "--alert-exceeds-max=yes",
        os.path.abspath("relative/name"),
    ]


def test_infected_without_a_found_line_is_still_infected(tmp_path, monkeypatch):
    fake_clamscan(tmp_path, monkeypatch, "echo something odd\nexit 1\n")
    assert scan(str(tmp_path)) == Verdict(clean=False, signature=None)


def test_a_file_past_clamscan_limits_is_not_clean(tmp_path, monkeypatch):
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(2 * 1024 * 1024))
    real = shutil.which("clamscan")
    fake_clamscan(tmp_path, monkeypatch, f'exec {real} --max-filesize=1M "$@"\n')
    verdict = scan(str(path))
    assert verdict == Verdict(clean=False, signature="Heuristics.Limits.Exceeded.MaxFileSize")


def test_no_repository_file_holds_the_eicar_string():
    needle = eicar()
    owned = [ROOT / "chalicelib" / "files", ROOT / "tests" / "unit" / "files", DATABASE, ROOT / "scripts"]
    files = [p for top in owned for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert files and not [p for p in files if needle in p.read_bytes()]


def test_ensure_clamav_is_quiet_when_clamscan_is_installed():
    done = subprocess.run(["bash", str(ROOT / "scripts" / "ensure-clamav.sh")], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_timeout_default():
    assert scanner.TIMEOUT_SECONDS == 120.0
