"""The file processor on a 1 MB JPEG: wall time, peak memory, and the ClamAV scan.

Measured in a fresh process (``python -m bench.processing --child``), so that its
memory is the processor's, not the bench's (which holds moto's 100,000 messages).
Sizes come from ``/proc/self/status`` (``VmHWM``, ``VmRSS``), not ``ru_maxrss``: a
process exec'd from another starts with its parent's ``ru_maxrss``. The child:

1. scans both images with ``chalicelib.files.scanner.scan`` (clamscan with the
   project's ``infra/clamav`` database), first thing: for the same reason, a child's
   ``ru_maxrss`` is at least its parent's size, so clamscan's own peak can only be
   read from a small process;
2. imports ``app`` and creates the S3 and DynamoDB clients, as the Lambda function
   does on its first upload (what it holds before processing: "loaded");
3. starts moto (``mock_aws``, ``devserver.resources.create_all``, the bench's offline
   environment), creates a workspace, then for each run a pending file record and its
   quarantined object, and times ``chalicelib.services.files.process_upload``
   (download, sniff, scan, thumbnails, metadata stripped, promotion, record updated);
4. does the same once with the largest image the processor accepts (40 megapixels,
   ``thumbnails.MAX_PIXELS``): memory grows with pixels, not bytes.

Growth: right before the first run, free heap memory goes back to the system
(``malloc_trim``) and the high-water mark is reset to the current size
(``/proc/self/clear_refs``); the growth is the mark after the runs minus that size
(moto's copies of the objects included: a little over the real figure). Lambda
counts every process of the sandbox: the estimate is the larger of the processor's
own peak (loaded + growth) and the processor during the scan plus clamscan's peak.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.env import child_environment

RUNS = 5
QUICK_RUNS = 3
JPEG_SIZE = (1200, 900)
JPEG_QUALITY = 95
JPEG_NOISE = 0.55  # share of noise blended into a gradient: ~1 MB at 1200x900, quality 95
LARGEST_SIZE = (7296, 5472)  # 39.9 megapixels: just under thumbnails.MAX_PIXELS (40,000,000)
LARGEST_QUALITY = 90
HEADROOM = 0.3  # a setting "fits" when the peak leaves at least 30% of it free
SETTINGS_MB = (256, 512, 768, 1024, 1536, 2048, 3008)  # candidates for a recommendation
# infra/clamav/README.md: clamscan with the full signature database (main, daily,
# bytecode) takes about 1 GB of memory and several seconds per run. Not measured here.
FULL_DATABASE_MB = 1024
FULL_VCPU_MB = 1769  # Lambda's CPU share grows with memory: a full vCPU at 1,769 MB
MB = 1024  # KiB in a MiB: /proc and ru_maxrss count KiB; the report's MB are MiB
TIMEOUT_SECONDS = 600


# --- the images ------------------------------------------------------------------------


def noise_jpeg(size: tuple[int, int] = JPEG_SIZE, *, quality: int = JPEG_QUALITY, seed: int = 5) -> bytes:
    """A JPEG that does not compress to nothing: a gradient with noise blended in
    (the same bytes every time for the same arguments)."""
    from PIL import Image

    width, height = size
    noise = Image.frombytes("RGB", size, random.Random(seed).randbytes(width * height * 3))
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    Image.blend(gradient, noise, JPEG_NOISE).save(out, "JPEG", quality=quality)
    return out.getvalue()


def photo_jpeg(size: tuple[int, int] = LARGEST_SIZE, *, quality: int = LARGEST_QUALITY) -> bytes:
    """A large JPEG of smooth blobs (the noisy image scaled up): photo-like entropy,
    ~9 MB at 40 megapixels."""
    from PIL import Image

    small = Image.open(io.BytesIO(noise_jpeg()))
    out = io.BytesIO()
    small.resize(size, Image.Resampling.BICUBIC).save(out, "JPEG", quality=quality)
    return out.getvalue()


# --- what the child reports ------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One image processed ``len(seconds)`` times, and scanned alone as many times."""

    label: str
    bytes: int
    pixels: tuple[int, int]
    seconds: list[float]  # process_upload, each run
    scan_seconds: list[float]  # of which clamscan (scanner.scan), each run
    before_kb: int  # the process's size right before the first run
    peak_kb: int  # its high-water mark over the runs
    scan_rss_kb: int  # its size while clamscan ran (the largest of the runs)
    clamscan_seconds: list[float]  # scanner.scan alone, from the small process
    clamscan_peak_kb: int  # clamscan's peak RSS (at least Processing.scan_floor_kb)

    @property
    def growth_mb(self) -> float:
        return max(0, self.peak_kb - self.before_kb) / MB

    @property
    def at_scan_mb(self) -> float:
        """What processing had added to the process when clamscan ran."""
        return max(0, self.scan_rss_kb - self.before_kb) / MB

    @property
    def clamscan_mb(self) -> float:
        return self.clamscan_peak_kb / MB

    @property
    def megapixels(self) -> float:
        return self.pixels[0] * self.pixels[1] / 1e6


@dataclass(frozen=True)
class Processing:
    jpeg: Run  # the 1 MB JPEG
    largest: Run  # the largest image accepted
    start_kb: int  # the interpreter alone
    app_kb: int  # after `import app`
    clients_kb: int  # and boto3's S3 and DynamoDB clients (created on the first upload)
    scan_floor_kb: int  # the process's size when it ran clamscan
    clamscan: str  # clamscan --version
    database: str  # the database it used
    memory_mb: int  # what infra/merge.py gives the processor
    timeout_s: int  # and its timeout
    wall_seconds: float  # the whole measurement, child process included

    @property
    def loaded_mb(self) -> float:
        """What the processor holds before its first upload: the interpreter, `import app`,
        boto3 and its clients."""
        return self.clients_kb / MB

    def process_peak_mb(self, run: Run) -> float:
        """The processor's own peak in a fresh Lambda process: loaded + processing's growth."""
        return self.loaded_mb + run.growth_mb

    def at_scan_mb(self, run: Run, *, full_database: bool = False) -> float:
        """The sandbox while clamscan runs: the processor as it is then, plus clamscan."""
        extra = FULL_DATABASE_MB if full_database else 0
        return self.loaded_mb + run.at_scan_mb + run.clamscan_mb + extra

    def lambda_peak_mb(self, run: Run, *, full_database: bool = False) -> float:
        """Lambda counts every process of the sandbox: clamscan runs before the image is
        decoded, so the peak is the larger of the processor's own and the two together
        during the scan. ``full_database``: clamscan ``FULL_DATABASE_MB`` larger."""
        return max(self.process_peak_mb(run), self.at_scan_mb(run, full_database=full_database))

    @property
    def peak(self) -> tuple[float, Run]:
        """The larger estimate and the image it is for."""
        run = max((self.jpeg, self.largest), key=self.lambda_peak_mb)
        return self.lambda_peak_mb(run), run

    @property
    def fits(self) -> bool:
        return fits(self.peak[0], self.memory_mb)


def fits(peak_mb: float, memory_mb: int) -> bool:
    return peak_mb <= memory_mb * (1 - HEADROOM)


def smallest_setting(peak_mb: float) -> int | None:
    """The smallest of ``SETTINGS_MB`` that holds ``peak_mb`` with ``HEADROOM`` left."""
    return next((mb for mb in SETTINGS_MB if fits(peak_mb, mb)), None)


def recommendation(peak_mb: float, memory_mb: int, what: str) -> str:
    """One line on the Lambda memory setting for a measured peak."""
    smallest = smallest_setting(peak_mb)
    if peak_mb > memory_mb:
        text = f"peak {peak_mb:.0f} MB ({what}): {peak_mb - memory_mb:.0f} MB over the {memory_mb} MB setting"
    else:
        headroom = memory_mb - peak_mb
        share = headroom / memory_mb * 100
        text = f"peak {peak_mb:.0f} MB ({what}): {memory_mb} MB leaves {headroom:.0f} MB headroom ({share:.0f}%)"
    if smallest is None:
        return f"{text}; more than {SETTINGS_MB[-1]} MB would be needed"
    if smallest < memory_mb:
        return (
            f"{text}; {smallest} MB would do (>= {HEADROOM:.0%} free), with {smallest / memory_mb:.2g}x "
            "the CPU for the decode and the scan"
        )
    if smallest > memory_mb:
        return f"{text}: too little, use {smallest} MB (>= {HEADROOM:.0%} free)"
    return f"{text}: keep {memory_mb} MB"


# --- the parent side -------------------------------------------------------------------


def measure(runs: int) -> Processing | str:
    """The figures, or why there are none (clamscan missing, the child failed)."""
    from infra.merge import SIZING

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="disqua-bench-processing-") as folder:
        jpeg, largest = Path(folder) / "photo.jpg", Path(folder) / "largest.jpg"
        jpeg.write_bytes(noise_jpeg())
        largest.write_bytes(photo_jpeg())
        command = [sys.executable, "-m", "bench.processing", "--child", str(jpeg), str(largest), "--runs", str(runs)]
        try:
            done = subprocess.run(
                command,
                cwd=ROOT,
                env=child_environment(),
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"not measured: the processing child ran past {TIMEOUT_SECONDS} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        hint = " (make clamav installs clamscan)" if "clamscan" in last or "Scanner" in last else ""
        return f"not measured: the processing child failed{hint}: {last}"
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    sizing = SIZING["process_uploads"]
    return parse(
        figures, memory_mb=sizing.memory_mb, timeout_s=sizing.timeout_s, wall_seconds=time.perf_counter() - started
    )


def parse(figures: dict[str, Any], *, memory_mb: int, timeout_s: int, wall_seconds: float) -> Processing:
    def run(data: dict[str, Any]) -> Run:
        return Run(
            label=data["label"],
            bytes=data["bytes"],
            pixels=(data["pixels"][0], data["pixels"][1]),
            seconds=data["seconds"],
            scan_seconds=data["scan_seconds"],
            before_kb=data["before_kb"],
            peak_kb=data["peak_kb"],
            scan_rss_kb=data["scan_rss_kb"],
            clamscan_seconds=data["clamscan_seconds"],
            clamscan_peak_kb=data["clamscan_peak_kb"],
        )

    return Processing(
        jpeg=run(figures["jpeg"]),
        largest=run(figures["largest"]),
        start_kb=figures["start_kb"],
        app_kb=figures["app_kb"],
        clients_kb=figures["clients_kb"],
        scan_floor_kb=figures["scan_floor_kb"],
        clamscan=figures["clamscan"],
        database=figures["database"],
        memory_mb=memory_mb,
        timeout_s=timeout_s,
        wall_seconds=wall_seconds,
    )


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


# --- the child -------------------------------------------------------------------------


def _proc_status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in KiB."""
    found: dict[str, int] = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    return found


def _reset_peak() -> int:
    """Reset the high-water mark to the current size (Linux >= 4.0); returns that size.
    Free heap memory goes back to the system first (glibc's ``malloc_trim``): what
    moto allocated and freed must not be reused by processing unseen, as a fresh
    Lambda process would have to grow for it."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    libc = ctypes.util.find_library("c")
    if libc:
        trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)
        if trim is not None:
            trim(0)
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return _proc_status()["VmRSS"]


def _child(jpeg: Path, largest: Path, runs: int) -> dict[str, Any]:
    import os

    # Not ru_maxrss: exec'd from the bench, this process starts with the bench's.
    figures: dict[str, Any] = {"start_kb": _proc_status()["VmHWM"]}

    # 1. clamscan alone, from a small process (its floor in ru_maxrss is our size).
    from chalicelib.files import scanner

    figures["scan_floor_kb"] = _proc_status()["VmHWM"]
    scans = {"jpeg": _scan(jpeg, runs), "largest": _scan(largest, 1)}  # in this order: the peak is cumulative
    clamscan = os.environ.get("CLAMSCAN_PATH") or "clamscan"
    version = subprocess.run([clamscan, "--version"], capture_output=True, text=True, check=False)
    figures["clamscan"] = version.stdout.strip() or "?"
    figures["database"] = os.environ.get("CLAMAV_DATABASE") or str(scanner.DEFAULT_DATABASE.relative_to(ROOT))

    # 2. What the Lambda function loads.
    import app  # noqa: F401

    figures["app_kb"] = _proc_status()["VmHWM"]
    # ... and on its first upload, boto3 and the clients the processor calls through.
    from chalicelib.aws import client
    from chalicelib.store import db

    client("s3")
    assert db.connection().client is not None
    figures["clients_kb"] = _proc_status()["VmHWM"]

    # 3. and 4. Processing against moto.
    from bench.endpoints import backend

    with backend():
        workspace_id = _workspace()
        figures["jpeg"] = {**_process(workspace_id, jpeg.read_bytes(), runs, "1 MB JPEG"), **scans["jpeg"]}
        figures["largest"] = {
            **_process(workspace_id, largest.read_bytes(), 1, "largest image accepted"),
            **scans["largest"],
        }
    return figures


def _scan(path: Path, runs: int) -> dict[str, Any]:
    """clamscan on ``path`` ``runs`` times: the times, and the largest child's peak so far."""
    import resource

    from chalicelib.files import scanner

    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        verdict = scanner.scan(str(path))
        seconds.append(time.perf_counter() - started)
        if not verdict.clean:
            raise RuntimeError(f"clamscan says the bench's image is infected: {verdict.signature}")
    return {"clamscan_seconds": seconds, "clamscan_peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


def _workspace() -> str:
    from bench import seed
    from chalicelib.ids import new_id
    from chalicelib.store import workspaces as workspace_store

    workspace_id = new_id()
    seed.workspace(workspace_id, new_id())
    workspace_store.set_plan(workspace_id, "pro")  # no plan limit in the way of the large image
    return workspace_id


def _process(workspace_id: str, data: bytes, runs: int, label: str) -> dict[str, Any]:
    from chalicelib.files import scanner
    from chalicelib.services import files

    real_scan = scanner.scan
    scan_seconds: list[float] = []
    scan_rss_kb = [0]

    def timed_scan(path: str, **kw: Any) -> scanner.Verdict:
        scan_rss_kb[0] = max(scan_rss_kb[0], _proc_status()["VmRSS"])
        started = time.perf_counter()
        try:
            return real_scan(path, **kw)
        finally:
            scan_seconds.append(time.perf_counter() - started)

    seconds: list[float] = []
    before_kb = peak_kb = 0
    scanner.scan = timed_scan  # type: ignore[assignment]
    try:
        for n in range(runs):
            object_key = _pending_upload(workspace_id, data)
            if n == 0:
                before_kb = _reset_peak()
            started = time.perf_counter()
            files.process_upload(object_key)
            seconds.append(time.perf_counter() - started)
            _check_and_clean(object_key)
        peak_kb = _proc_status()["VmHWM"]
    finally:
        scanner.scan = real_scan  # type: ignore[assignment]
    from PIL import Image  # after the runs: the first one imports Pillow, as in a fresh Lambda process

    with Image.open(io.BytesIO(data)) as image:
        pixels = image.size
    return {
        "label": label,
        "bytes": len(data),
        "pixels": list(pixels),
        "seconds": seconds,
        "scan_seconds": scan_seconds,
        "before_kb": before_kb,
        "peak_kb": peak_kb,
        "scan_rss_kb": scan_rss_kb[0],
    }


def _pending_upload(workspace_id: str, data: bytes) -> str:
    """What presign and the browser's PUT leave behind: a pending record and the
    quarantined object. Returns the object's key."""
    from chalicelib.ids import new_id, now_iso
    from chalicelib.store import files as file_store
    from chalicelib.store import objects

    item = file_store.new_file(
        new_id(),
        workspace_id,
        uploader_id=new_id(),
        filename="photo.jpg",
        content_type="image/jpeg",
        kind="image",
        size=len(data),
        created_at=now_iso(),
    )
    file_store.put(item)
    objects.put_bytes(item.object_key, data, "image/jpeg")
    return str(item.object_key)


def _check_and_clean(object_key: str) -> None:
    """The file came out ready; its objects go (moto keeps them in memory)."""
    from chalicelib.store import files as file_store
    from chalicelib.store import keys, objects

    item = file_store.get(keys.file_id_of_object(object_key) or "")
    if item is None or item.status != "ready":
        status = "missing" if item is None else f"{item.status} ({item.reason or item.last_error})"
        raise RuntimeError(f"the bench's upload was not processed: {status}")
    objects.delete(item.object_key, *item.thumbnail_keys().values())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.processing", description=__doc__)
    parser.add_argument("--child", nargs=2, type=Path, metavar=("JPEG", "LARGEST"), required=True)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    print(json.dumps(_child(args.child[0], args.child[1], args.runs)))


if __name__ == "__main__":
    main()
