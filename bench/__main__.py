"""``python -m bench [--quick]``: print the performance report.

Always exits 0: a budget that fails prints FAIL, and the lead decides what to do.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

# None of these imports the app or boto3: safe before env.apply().
from bench import channel_close as close_bench
from bench import coldstart, disqus, env, moderation, notifications, package_size, processing, push, soak, webhooks
from bench import costs as cost_model
from bench import rate_limits as limits_bench
from bench import realtime as realtime_bench
from bench import search as search_bench
from bench.table import FAIL, INFO, PASS, heading, render, verdict

if TYPE_CHECKING:
    from bench import endpoints

COLD_START_RUNS = 7
QUICK_COLD_START_RUNS = 3

# (what was checked, PASS / FAIL / "-")
Check = tuple[str, str]


def _units(value: float, exact: bool = True) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if exact else f">={text}"


def _measurements_table(measurements: list[endpoints.Measurement]) -> str:
    rows = [
        [
            m.endpoint,
            m.case,
            m.status,
            m.total_calls,
            m.auth_calls,
            m.operations,
            _units(m.capacity.read, m.capacity.exact),
            _units(m.capacity.write, m.capacity.exact),
            _units(m.capacity.index_write, m.capacity.exact),
            _units(m.reported),
            m.budget.text if m.budget else INFO,
            m.result,
        ]
        for m in measurements
    ]
    headers = [
        "Endpoint",
        "Case",
        "HTTP",
        "Calls",
        "Auth",
        "Operations",
        "RCU",
        "WCU",
        "idx WCU",
        "moto CU",
        "Budget",
        "Result",
    ]
    return render(headers, rows, right=(2, 3, 4, 6, 7, 8, 9))


def dynamodb_section() -> tuple[list[Check], endpoints.Report]:
    from bench import endpoints  # imports the app: only after env.apply()

    report = endpoints.run()
    print(heading("1. DynamoDB calls and capacity of one request"))
    print(_measurements_table(report.measurements))
    print(
        "Calls: DynamoDB API calls of the request (asynchronous work, stream and queue consumers, excluded);\n"
        "Auth: those made while authenticating.\n"
        "RCU/WCU: computed from the items' sizes (bench/capacity.py; on-demand read/write request units alike);\n"
        "WCU includes the writes to secondary indexes, idx WCU is that part.\n"
        "moto CU: what moto reports (fixed per item, nothing for transactions), for comparison only."
    )
    for note in report.notes:
        print(note)

    for group in report.comparisons:
        print(f"\n{group.title}")
        rows = [
            [
                c.label,
                f"{c.small.total_calls} / {_units(c.small.capacity.read, c.small.capacity.exact)}",
                f"{c.large.total_calls} / {_units(c.large.capacity.read, c.large.capacity.exact)}",
                f"x{c.call_ratio:.2f} / x{c.read_ratio:.2f}",
                c.budget,
                c.result,
            ]
            for c in group.rows
        ]
        headers = ["Request", f"{group.small}: calls / RCU", group.large, "Ratio", "Budget", "Result"]
        print(render(headers, rows))
        if group.note:
            print(group.note)
    checks = [(f"{m.endpoint} ({m.case})", m.result) for m in report.measurements] + [
        (f"{group.title.split(' vs ')[0]}: {c.label}", c.result) for group in report.comparisons for c in group.rows
    ]
    return checks, report


def files_section(report: endpoints.Report, runs: int) -> list[Check]:
    print(heading("2. Files: the endpoints, and the processing of a 1 MB JPEG"))
    print(_measurements_table(report.files))
    print("Columns as in section 1.")
    for note in report.files_notes:
        print(note)
    checks = [(f"{m.endpoint} ({m.case})", m.result) for m in report.files]
    return checks + _processing(runs)


def _processing(runs: int) -> list[Check]:
    print(
        "\nProcessing an upload: chalicelib.services.files.process_upload in a fresh process "
        f"(n={runs} for the 1 MB JPEG, 1 for the largest image)"
    )
    measured = processing.measure(runs)
    if isinstance(measured, str):
        print(measured)
        return []
    _processing_times(measured)
    _processing_memory(measured)
    return _memory_recommendation(measured)


def _processing_times(p: processing.Processing) -> None:
    def ms(seconds: list[float]) -> str:
        return f"{processing.median_ms(seconds):.0f}"

    print(f"{p.clamscan}, database {p.database}; moto inside the process (its S3 and DynamoDB calls included)")
    rows = [
        [
            f"{run.label} ({run.pixels[0]}x{run.pixels[1]}, {run.megapixels:.1f} MP)",
            f"{run.bytes:,}",
            ms(run.seconds),
            f"{min(run.seconds) * 1000:.0f}",
            f"{max(run.seconds) * 1000:.0f}",
            f"{run.seconds[0] * 1000:.0f}",
            ms(run.scan_seconds),
            ms(run.clamscan_seconds),
        ]
        for run in (p.jpeg, p.largest)
    ]
    headers = ["Image", "bytes", "median ms", "min", "max", "1st run", "of which scan", "scan alone"]
    print(render(headers, rows, right=(1, 2, 3, 4, 5, 6, 7)))
    print(
        f"1 MB JPEG: noise at quality {processing.JPEG_QUALITY}; 1st run: the process's first upload (imports Pillow "
        "and filetype).\nScan: clamscan through chalicelib.files.scanner, within processing and alone (medians)."
    )


def _processing_memory(p: processing.Processing) -> None:
    def mb(kb: int) -> str:
        return f"{kb / processing.MB:.0f}"

    print(
        f"\nMemory, MB. Loaded before the first upload: {p.loaded_mb:.0f} (interpreter {mb(p.start_kb)}, "
        f"import app +{mb(p.app_kb - p.start_kb)}, boto3 and its S3/DynamoDB clients +{mb(p.clients_kb - p.app_kb)})"
    )
    images = (p.jpeg, p.largest)
    rows = [
        ["processing's growth (peak - size before)", *(f"{r.growth_mb:.0f}" for r in images)],
        ["the processor's peak (loaded + growth)", *(f"{p.process_peak_mb(r):.0f}" for r in images)],
        ["clamscan's peak RSS (its own process)", *(f"{r.clamscan_mb:.0f}" for r in images)],
        ["during the scan (the processor then + clamscan)", *(f"{p.at_scan_mb(r):.0f}" for r in images)],
        ["estimated Lambda peak (the larger of the two)", *(f"{p.lambda_peak_mb(r):.0f}" for r in images)],
        [
            f"  with the full ClamAV database (+~{processing.FULL_DATABASE_MB} MB)",
            *(f"{p.lambda_peak_mb(r, full_database=True):.0f}" for r in images),
        ],
    ]
    print(render(["", p.jpeg.label, f"{p.largest.label} ({p.largest.megapixels:.0f} MP)"], rows, right=(1, 2)))
    print(
        "Growth: the high-water mark (VmHWM) reset before the first run, minus the size then (moto's copies of the\n"
        "objects included). Lambda counts every process of the sandbox, and clamscan runs before the image is\n"
        f"decoded. clamscan's peak is its ru_maxrss, spawned from a {mb(p.scan_floor_kb)} MB process (its floor); "
        "it grows with\nthe image's pixels (clamscan decodes images for its image fuzzy hash)."
    )


def _memory_recommendation(p: processing.Processing) -> list[Check]:
    peak, run = p.peak
    memory = p.memory_mb
    status = verdict(p.fits)
    print(
        f"\nRecommendation for process_uploads (infra/merge.py: {memory} MB): "
        + processing.recommendation(peak, memory, f"{run.label}, test database")
        + f"   {status}"
    )
    full = p.lambda_peak_mb(run, full_database=True)
    print(
        "In AWS, clamscan loads the full signature database (main, daily, bytecode), not this one EICAR signature:\n"
        "about 1 GB more memory and several seconds more per scan (infra/clamav/README.md; not measured here).\n"
        f"With it: {processing.recommendation(full, memory, run.label)};\n"
        "or scan outside the function (GuardDuty Malware Protection for S3)."
    )
    cpu = min(1.0, memory / processing.FULL_VCPU_MB)
    slowest = max(max(r.seconds) for r in (p.jpeg, p.largest))
    print(
        f"Times: one core of this machine; Lambda gives {memory} MB ~{cpu:.2f} vCPU (a full one at "
        f"{processing.FULL_VCPU_MB:,} MB): ~{1 / cpu:.1f}x longer there.\n"
        f"Slowest run {slowest:.1f} s here, timeout {p.timeout_s} s. Measured in {p.wall_seconds:.0f} s."
    )
    return [(f"file processing: peak <= {1 - processing.HEADROOM:.0%} of {memory} MB (test database)", status)]


def cold_start_section(runs: int, bundle: package_size.Bundle | str) -> tuple[list[Check], coldstart.ColdStart]:
    print(heading(f"3. Cold start: `import app` in a fresh process (n={runs} each)"))
    result = coldstart.measure(runs)
    series = [
        ("import app (warm .pyc)", result.app),
        ("baseline: chalice + boto3 + DynamoDB client (warm .pyc)", result.baseline),
        ("import app (no .pyc for app and deps, as a zip of sources)", result.app_no_pyc),
        ("baseline (no .pyc for deps)", result.baseline_no_pyc),
    ]
    rows = [[name, f"{s.median_ms:.0f}", f"{s.min_ms:.0f}", f"{s.max_ms:.0f}"] for name, s in series]
    print(render(["Import", "median ms", "min", "max"], rows, right=(1, 2, 3)))
    status = verdict(result.within_budget)
    print(f"\napp / baseline (warm .pyc): x{result.ratio:.2f}   budget <= x{coldstart.BUDGET_RATIO}   {status}")
    cold_ratio = result.app_no_pyc.median_ms / result.baseline_no_pyc.median_ms
    print(f"app / baseline (no .pyc):   x{cold_ratio:.2f}   (informational)")
    saved = result.app_no_pyc.median_ms - result.app.median_ms
    share = saved / result.app_no_pyc.median_ms * 100
    print(f"Compiled bytecode saves ~{saved:.0f} ms ({share:.0f}%) of `import app` (from the zip itself: below).")

    print("\nSlowest imports of `import app` (one run of python -X importtime, warm .pyc)")
    rows = [
        [i.name, i.parent, f"{i.cumulative_ms:.1f}", f"{i.self_ms:.1f}"] for i in coldstart.slowest(result.imports, 10)
    ]
    print(render(["Module", "imported by", "cumulative ms", "self ms"], rows, right=(2, 3)))
    print("\nSelf time per top-level package")
    rows = [[name, f"{ms:.1f}"] for name, ms in coldstart.by_package(result.imports, 8)]
    print(render(["Package", "self ms"], rows, right=(1,)))
    checks = [("cold start: app / baseline", status)]
    checks += _packaged_cold_start(runs, bundle)
    return checks, result


def _packaged_cold_start(runs: int, bundle: package_size.Bundle | str) -> list[Check]:
    print(
        f"\nCold start from the packaged zip: `import app` with python -S, PYTHONPATH=the extracted zip (n={runs} each)"
    )
    if isinstance(bundle, str):
        print(bundle)
        return []
    print(f"Zip: {bundle.source}")
    packaged = coldstart.measure_packaged(bundle.path, runs)
    rows = [
        [name, f"{s.median_ms:.0f}", f"{s.min_ms:.0f}", f"{s.max_ms:.0f}"]
        for name, s in (
            (
                "import app, zip with .pyc" + ("" if packaged.shipped_pyc else " (compiled by the bench)"),
                packaged.with_pyc,
            ),
            ("import app, zip without .pyc (sources only)", packaged.without_pyc),
        )
    ]
    print(render(["Import", "median ms", "min", "max"], rows, right=(1, 2, 3)))
    with_ms, without_ms = packaged.with_pyc.median_ms, packaged.without_pyc.median_ms
    print(
        f"cold start from the packaged zip: with .pyc {with_ms:.0f} ms, without {without_ms:.0f} ms "
        f"(saves {packaged.saved_ms:.0f} ms, {packaged.saved_ms / without_ms * 100:.0f}%)"
    )
    used = verdict(packaged.all_from_pyc)
    loaded = f"{packaged.from_pyc} from .pyc, {packaged.from_source} compiled from source"
    print(f"modules of the zip that `import app` loads (python -v): {loaded}   {used}")
    if not packaged.shipped_pyc:
        print("The zip ships no .pyc (packaged with --no-bytecode?): `make package` adds them.")
        return [("packaged zip ships .pyc", FAIL)]
    return [("packaged zip: `import app` uses the shipped .pyc", used)]


def package_section(bundle: package_size.Bundle | str, cold: coldstart.ColdStart) -> list[Check]:
    print(heading("4. Deployment package size"))
    package = package_size.measure(bundle)
    if isinstance(package, str):
        print(package)
        return []
    status = verdict(package.within_budget)
    mb = package_size.MB
    print(f"Source:        {package.source}")
    print(f"Zip size:      {package.size_mb:.1f} MB   budget <= {package_size.BUDGET_MB:.0f} MB   {status}")
    print(f"Uncompressed:  {package.uncompressed / mb:.1f} MB in {package.files} files")
    share = package.pyc_compressed / package.size * 100
    print(f"Bytecode:      {package.pyc_files} .pyc, {package.pyc_compressed / mb:.1f} MB of the zip ({share:.0f}%)")
    rows = [[e.name, f"{e.uncompressed / mb:.1f}", f"{e.compressed / mb:.1f}"] for e in package.largest]
    print("\nLargest top-level entries")
    print(render(["Entry", "uncompressed MB", "compressed MB"], rows, right=(1, 2)))
    missing = coldstart.not_shipped(cold.imports, package.top_level)
    if missing:
        names = ", ".join(f"{name} ({ms:.0f} ms)" for name, ms in missing)
        print(f"\nImported by `import app` here but absent from the zip (section 3 counts them, Lambda won't): {names}")
    return [("package size", status)]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"{QUICK_COLD_START_RUNS} cold-start runs instead of {COLD_START_RUNS}, {processing.QUICK_RUNS} "
            f"processing runs instead of {processing.RUNS}, and no package build"
        ),
    )
    args = parser.parse_args()
    env.apply()
    started = time.perf_counter()
    checks, report = dynamodb_section()
    checks += files_section(report, processing.QUICK_RUNS if args.quick else processing.RUNS)
    checks += push.section()  # Web Push: subscribe and a push's DynamoDB calls
    checks += realtime_bench.section(quick=args.quick)  # WebSocket fan-out to 1,000 connections
    checks += webhooks.section()  # a webhook delivery's DynamoDB calls
    checks += limits_bench.section()  # a send and a read with the rate limiter off and on
    checks += notifications.section(quick=args.quick)  # in-app: @mention and @channel fan-out, WCU
    checks += search_bench.section(quick=args.quick)  # latency 1k vs 100k, calls per search, index cost, reindex
    checks += disqus.section(quick=args.quick)  # posts/list 100 vs 100,000 posts, posts/create and votes
    checks += moderation.section(quick=args.quick)  # a send through 1,000 rules: calls, CPU per check
    checks += close_bench.section(quick=args.quick)  # Admin v2 close: 10,000 messages (--quick: 1,000)
    checks += cost_model.section(quick=args.quick)  # USD per million sends / page reads, per thousand uploads
    with tempfile.TemporaryDirectory(prefix="disqua-bench-package-") as scratch:
        bundle = package_size.locate(allow_build=not args.quick, scratch=Path(scratch))
        more, cold = cold_start_section(QUICK_COLD_START_RUNS if args.quick else COLD_START_RUNS, bundle)
        checks += more
        checks += package_section(bundle, cold)
    checks += soak.section(quick=args.quick)

    print(heading("Summary"))
    failed = [label for label, result in checks if result.startswith(FAIL)]
    passed = sum(1 for _, result in checks if result == PASS)
    print(f"{passed} budgets PASS, {len(failed)} FAIL ({time.perf_counter() - started:.0f} s)")
    for label in failed:
        print(f"FAIL: {label}")


if __name__ == "__main__":
    main()
