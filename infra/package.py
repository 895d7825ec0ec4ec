"""`make package`: the app and infra/ as one SAM template, ready for CloudFormation.

    python -m infra.package --stage prod --out out/prod

1. writes the merge template (infra/merge.py) to <out>/merge-template.json;
2. runs ``chalice package --stage <stage> --merge-template ... <out>`` with this
   venv's chalice: <out>/sam.json (SAM/CloudFormation) and <out>/deployment.zip
   (app.py, chalicelib/ and requirements.txt as Lambda (manylinux) wheels);
3. checks the packaged template (infra.merge.check_packaged).

No AWS credentials are needed: the region defaults to us-east-1 when none is set
(it only picks service principals; the template itself is region-neutral).
Deploying is docs/deploy.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from infra import merge

ROOT = merge.ROOT


def chalice_command() -> list[str]:
    """This venv's chalice (the one requirements-dev.txt pins)."""
    beside = Path(sys.executable).with_name("chalice")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("chalice")
    if found is None:
        raise SystemExit("chalice is not installed: run `make install`")
    return [found]


def package(stage: str, out: Path) -> Path:
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
    problems = merge.check_packaged(json.loads(template_path.read_text()), app)
    if problems:
        raise SystemExit("packaged template is not wired correctly:\n  " + "\n  ".join(problems))
    return template_path


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="chalice package + infra/ merged into one template")
    parser.add_argument("--stage", default="dev", help="a stage of .chalice/config.json (default: dev)")
    parser.add_argument("--out", type=Path, help="output directory (default: out/<stage>)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    template = package(args.stage, args.out or Path("out") / args.stage)
    bundle = template.with_name("deployment.zip")
    print(
        f"{_shown(template)}: {len(json.loads(template.read_text())['Resources'])} resources; "
        f"{_shown(bundle)}: {bundle.stat().st_size / 1e6:.1f} MB; "
        f"{time.monotonic() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
