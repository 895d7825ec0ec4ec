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
