import subprocess
import sys


def _run(code: str, **env: str) -> str:
    import os

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, check=True, timeout=60
    )
    return result.stdout.strip()


def test_tracer_is_off_and_xray_not_imported_by_default():
    code = "from chalicelib import observability as o; print(o.tracer(), 'aws_xray_sdk' in __import__('sys').modules)"
    assert _run(code, POWERTOOLS_TRACE_ENABLED="false") == "None False"


def test_tracer_when_enabled():
    code = "from chalicelib import observability as o; t = o.tracer(); print(type(t).__name__)"
    assert _run(code, POWERTOOLS_TRACE_ENABLED="true", AWS_XRAY_SDK_ENABLED="false") == "Tracer"


def test_importing_the_app_does_not_import_boto3_or_xray():
    code = "import sys, app; print(sorted(m for m in ('boto3', 'aws_xray_sdk') if m in sys.modules))"
    assert _run(code) == "[]"
