"""Plain-text tables and verdicts for the report (no dependency: it runs in CI logs)."""

from __future__ import annotations

from collections.abc import Sequence

PASS = "PASS"
FAIL = "FAIL"
INFO = "-"


def verdict(ok: bool) -> str:
    return PASS if ok else FAIL


def heading(title: str) -> str:
    return f"\n{title}\n{'=' * len(title)}"


def render(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; the columns in ``right`` right-aligned."""
    cells = [[str(c) for c in headers], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)
