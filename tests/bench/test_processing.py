"""The processing figure: the images it processes, the memory estimate, the
recommendation, and the child process end to end."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bench import processing
from bench.processing import Processing, Run

KB_PER_MB = processing.MB


def test_the_jpeg_is_about_1_mb_of_noise_and_always_the_same():
    data = processing.noise_jpeg()
    assert 0.9 * 1024 * 1024 <= len(data) <= 1.1 * 1024 * 1024  # quality 95 noise does not compress to nothing
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", processing.JPEG_SIZE)
    assert processing.noise_jpeg() == data


def test_the_largest_image_is_one_the_processor_accepts():
    from chalicelib.files import thumbnails
    from chalicelib.services import files

    width, height = processing.LARGEST_SIZE
    assert 0.99 * thumbnails.MAX_PIXELS <= width * height <= thumbnails.MAX_PIXELS
    data = processing.photo_jpeg()
    assert len(data) <= min(thumbnails.MAX_INPUT_BYTES, files.MAX_BYTES["free"])
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == processing.LARGEST_SIZE


def run(growth_mb: float, clamscan_mb: float, at_scan_mb: float = 0, label: str = "image") -> Run:
    before = 100 * KB_PER_MB
    return Run(
        label=label,
        bytes=1,
        pixels=(1, 1),
        seconds=[0.3, 0.2, 0.2],
        scan_seconds=[0.1],
        before_kb=before,
        peak_kb=before + int(growth_mb * KB_PER_MB),
        scan_rss_kb=before + int(at_scan_mb * KB_PER_MB),
        clamscan_seconds=[0.1],
        clamscan_peak_kb=int(clamscan_mb * KB_PER_MB),
    )


def measured(jpeg: Run, largest: Run, memory_mb: int = 1024) -> Processing:
    return Processing(
        jpeg=jpeg,
        largest=largest,
        start_kb=10 * KB_PER_MB,
        app_kb=40 * KB_PER_MB,
        clients_kb=70 * KB_PER_MB,
        scan_floor_kb=10 * KB_PER_MB,
        clamscan="ClamAV",
        database="infra/clamav",
        memory_mb=memory_mb,
        timeout_s=120,
        wall_seconds=1.0,
    )


def test_the_peak_is_the_processor_alone_or_with_clamscan_whichever_is_larger():
    jpeg = run(growth_mb=20, clamscan_mb=30, at_scan_mb=5, label="small")
    largest = run(growth_mb=440, clamscan_mb=300, at_scan_mb=10, label="large")
    p = measured(jpeg, largest)
    assert p.loaded_mb == 70
    assert (p.process_peak_mb(jpeg), p.at_scan_mb(jpeg), p.lambda_peak_mb(jpeg)) == (90, 105, 105)
    assert (p.process_peak_mb(largest), p.at_scan_mb(largest), p.lambda_peak_mb(largest)) == (510, 380, 510)
    assert p.lambda_peak_mb(largest, full_database=True) == 380 + processing.FULL_DATABASE_MB
    assert p.peak == (510, largest)
    assert p.fits
    assert not measured(jpeg, largest, memory_mb=512).fits


@pytest.mark.parametrize(
    ("peak", "memory", "expected"),
    [
        (
            511,
            1024,
            "peak 511 MB (x): 1024 MB leaves 513 MB headroom (50%); 768 MB would do (>= 30% free), "
            "with 0.75x the CPU for the decode and the scan",
        ),
        (700, 1024, "peak 700 MB (x): 1024 MB leaves 324 MB headroom (32%): keep 1024 MB"),
        (800, 1024, "peak 800 MB (x): 1024 MB leaves 224 MB headroom (22%): too little, use 1536 MB (>= 30% free)"),
        (1405, 1024, "peak 1405 MB (x): 381 MB over the 1024 MB setting: too little, use 2048 MB (>= 30% free)"),
        (5000, 1024, "peak 5000 MB (x): 3976 MB over the 1024 MB setting; more than 3008 MB would be needed"),
    ],
)
def test_the_recommendation(peak, memory, expected):
    assert processing.recommendation(peak, memory, "x") == expected


def test_resetting_the_peak_forgets_what_was_freed():
    big = bytearray(64 * 1024 * 1024)
    big[::4096] = b"\1" * len(big[::4096])  # touch every page
    peak = processing._proc_status()["VmHWM"]
    del big
    size = processing._reset_peak()
    assert processing._proc_status()["VmHWM"] <= size + 1024 < peak - 32 * 1024


def test_the_child_measures_both_images():
    """The real thing, once each: a fresh process, clamscan, moto, process_upload."""
    measured = processing.measure(runs=1)
    assert not isinstance(measured, str), measured
    assert measured.start_kb < measured.app_kb <= measured.clients_kb
    assert measured.memory_mb == 1024  # infra/merge.py's SIZING
    for image in (measured.jpeg, measured.largest):
        assert len(image.seconds) == len(image.scan_seconds) == len(image.clamscan_seconds) == 1
        assert image.peak_kb > image.before_kb > 0
        assert image.clamscan_peak_kb >= measured.scan_floor_kb
    assert measured.largest.growth_mb > measured.jpeg.growth_mb  # memory follows pixels
