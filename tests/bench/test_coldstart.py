"""Reading ``python -X importtime`` output."""

from __future__ import annotations

import pytest

from bench.coldstart import by_package, parse_importtime, slowest

# Start-up imports first, then `import app`'s subtree, children before parents;
# pkg.sub appears twice (imported through its package), as CPython prints it.
SAMPLE = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 | site
import time:        50 |         50 |       pkg.sub
import time:        10 |         60 |     pkg
import time:         5 |         65 |   pkg.sub
import time:       200 |        200 |   jwt
import time:        30 |        295 | app
"""


def test_only_the_app_subtree_once_per_module_with_its_importer():
    imports = {i.name: i for i in parse_importtime(SAMPLE)}
    assert set(imports) == {"app", "pkg", "pkg.sub", "jwt"}
    assert imports["pkg.sub"].cumulative_ms == 0.065
    assert imports["pkg.sub"].self_ms == pytest.approx(0.055)
    assert imports["pkg.sub"].parent == "app"
    assert imports["pkg"].parent == "pkg.sub"
    assert imports["app"].parent == ""


def test_slowest_and_per_package():
    imports = parse_importtime(SAMPLE)
    assert [i.name for i in slowest(imports, 2)] == ["jwt", "pkg.sub"]
    (first, ms1), (second, ms2) = by_package(imports, 2)
    assert (first, second) == ("jwt", "pkg")
    assert (ms1, ms2) == pytest.approx((0.2, 0.065))


def test_no_app_line_means_nothing_measured():
    assert parse_importtime("import time:       100 |        100 | site\n") == []


def test_modules_loaded_from_pyc_or_compiled_from_source():
    from pathlib import Path

    from bench.coldstart import loaded_from

    verbose = """\
# /task/__pycache__/app.cpython-311.pyc matches /task/app.py
# code object from '/task/__pycache__/app.cpython-311.pyc'
# code object from /task/chalicelib/config.py
# code object from '/usr/lib/python3.11/__pycache__/json.cpython-311.pyc'
import 'app' # <_frozen_importlib_external.SourceFileLoader object>
"""
    assert loaded_from(verbose, Path("/task")) == (1, 1)


def test_a_zip_has_bytecode_when_every_source_has_its_pyc():
    import sys

    from bench.coldstart import _has_bytecode

    tag = sys.implementation.cache_tag
    assert _has_bytecode(["app.py", f"__pycache__/app.{tag}.pyc", "data.json"])
    assert not _has_bytecode(["app.py", "lib/x.py", f"__pycache__/app.{tag}.pyc"])
    assert not _has_bytecode(["data.json"])
