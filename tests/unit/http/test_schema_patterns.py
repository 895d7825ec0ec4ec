"""The OpenAPI document states what the validators enforce: every string a field's
generated pattern (and lengths) admits, the field accepts; the characters it refuses, the
pattern refuses too. Checked with strings drawn from the pattern itself."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.api.routing import IDEMPOTENCY_KEY
from chalicelib.http.schema import Email, Id, Obj, Str, Text, Url

FIELDS = {
    "str": Str(max_len=40),
    "str required": Str(min_len=1, max_len=40),
    "str unstripped": Str(min_len=1, max_len=40, strip=False),
    "text": Text(min_len=1, max_len=40),
    "text multiline": Text(max_len=40, multiline=True),
    "email": Email(),
    "url": Url(),
    "id": Id(),
    "idempotency key": IDEMPOTENCY_KEY,
}


@pytest.mark.parametrize("name", sorted(FIELDS))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_what_the_pattern_admits_the_field_accepts(name: str, data: st.DataObject) -> None:
    field = FIELDS[name]
    schema = field.json_schema()
    value = data.draw(
        st.from_regex(re.compile(schema["pattern"].removesuffix("$") + r"\Z"), fullmatch=False).filter(
            lambda v: schema.get("minLength", 0) <= len(v) <= schema["maxLength"]
        )
    )
    field.clean(value, name)  # raises ValidationError if the document promised too much


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", " ", "x\x7f"])
def test_the_pattern_refuses_what_the_field_refuses(value: str) -> None:
    for field in (Str(min_len=1), Text(min_len=1)):
        refused = re.fullmatch(field.json_schema()["pattern"].strip("^$"), value) is None
        if value == "x\x7f" and type(field) is Str:
            assert not refused  # DEL is no C0 control: Str takes it, Text does not
        else:
            assert refused, (field, value)


@pytest.mark.parametrize("value", ["\u202eadmin", "ad\u200bmin", "\ufeffx", "a\u2028b", "\U000e0041"])
def test_text_patterns_refuse_invisible_characters(value: str) -> None:
    assert re.fullmatch(Text().json_schema()["pattern"].strip("^$"), value) is None


def test_a_patch_body_that_needs_one_field_says_so() -> None:
    assert Obj({"a": Str(required=False)}, at_least_one=True).json_schema()["minProperties"] == 1
    assert "minProperties" not in Obj({"a": Str(required=False)}).json_schema()
