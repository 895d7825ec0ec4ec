"""Hostile inputs schemathesis never generates (hypothesis strategies): lone surrogates,
control and format characters (bidi overrides, zero-width, BOM, tags), huge strings, and
bodies nested deeper than any parser should follow. tests/e2e/test_fuzz.py sends them to
every operation of the document over HTTP and checks each answer against the document.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import strategies as st

_SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\ud83d", "\ud83d\ud83d\ude00"])
_CONTROLS = st.sampled_from(["\x00", "\x01\x02", "\x1b[31mred\x1b[0m", "\x7f", "\x85", "\r\n", "\x0b\x0c", "\x9b"])
_FORMAT = st.sampled_from(
    [
        "\u202eadmin\u202c",  # right-to-left override
        "\u2066admin\u2069",  # isolates
        "ad\u200bmin",  # zero-width space
        "\ufeffadmin",  # BOM
        "\u200d",  # a lone zero-width joiner
        "admin\U000e0041\U000e0064",  # tag characters
        "\u3164",  # Hangul filler
        "\u2028\u2029",  # line and paragraph separators
        "e\u0301" * 50,  # combining marks
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # an emoji ZWJ sequence (valid in Text)
    ]
)
_INJECTIONS = st.sampled_from(
    ["%s%n%x", "{{7*7}}", "<script>alert(1)</script>", "'; DROP TABLE t; --", "../../etc/passwd"]
)
_HUGE = st.sampled_from([10_000, 300_000, 1_100_000]).flatmap(
    lambda size: st.sampled_from(["A", "\U0001f600", "\u00e9", "\x00"]).map(lambda char: char * size)
)


def hostile_strings(*, huge: bool = True) -> st.SearchStrategy[str]:
    """Huge ones only where a body carries them (a URL that long is refused by the HTTP
    server before the app: 414)."""
    pieces = st.one_of(_SURROGATES, _CONTROLS, _FORMAT, _INJECTIONS, st.text(max_size=5))
    mixed = st.lists(pieces, min_size=1, max_size=4).map("".join)
    return st.one_of(mixed, _HUGE) if huge else mixed


def deep_json(depth: int, kind: str) -> str:
    """JSON text nested ``depth`` levels (written directly: json.dumps would recurse)."""
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


DEPTHS = st.sampled_from([64, 1_000, 100_000])


def encode(body: Any) -> bytes:
    """JSON as a client would send it: lone surrogates as \\u escapes (valid JSON text)."""
    return json.dumps(body, ensure_ascii=True).encode()


def fill(schema: dict[str, Any], strings: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """A value of ``schema``'s shape whose strings are hostile (types and enums kept, so
    the hostile strings reach the validators of every field, not a type error first)."""
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if kind == "object":
        properties = schema.get("properties", {})
        return st.fixed_dictionaries({name: fill(prop, strings) for name, prop in properties.items()})
    if kind == "array":
        return st.lists(fill(schema.get("items", {}), strings), min_size=1, max_size=3)
    if kind == "integer":
        return st.just(schema.get("minimum", 1))
    if kind == "boolean":
        return st.booleans()
    return strings


def path_params(path: str) -> list[str]:
    return re.findall(r"{([\w+]+)}", path)
