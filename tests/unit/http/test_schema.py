import pytest

from chalicelib.errors import ValidationError
from chalicelib.http.schema import Bool, Email, Enum, Id, Int, List, Obj, Str, Url, validate

SCHEMA = Obj(
    {
        "name": Str(min_len=1, max_len=5),
        "email": Email(required=False),
        "count": Int(required=False, minimum=1, maximum=10),
        "kind": Enum(("a", "b"), required=False),
        "flag": Bool(required=False, default=False),
        "tags": List(Str(max_len=3), required=False, max_items=2, unique=True),
        "link": Url(required=False, nullable=True),
        "ref": Id(required=False),
        "nested": Obj({"x": Int()}, required=False),
    }
)


def test_valid_payload_is_cleaned():
    cleaned = validate(SCHEMA, {"name": "  ab ", "email": "A@B.io", "tags": ["x", "x"], "link": None})
    assert cleaned == {"name": "ab", "email": "a@b.io", "flag": False, "tags": ["x"], "link": None}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "toolong"}, "name"),
        ({"name": 5}, "name"),
        ({"name": None}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "a", "email": "nope"}, "email"),
        ({"name": "a", "count": "3"}, "count"),
        ({"name": "a", "count": True}, "count"),
        ({"name": "a", "count": 11}, "count"),
        ({"name": "a", "kind": "c"}, "kind"),
        ({"name": "a", "flag": "true"}, "flag"),
        ({"name": "a", "tags": "x"}, "tags"),
        ({"name": "a", "tags": ["a", "b", "c"]}, "tags"),
        ({"name": "a", "tags": ["toolong"]}, "tags[0]"),
        ({"name": "a", "link": "javascript:alert(1)"}, "link"),
        ({"name": "a", "ref": "123"}, "ref"),
        ({"name": "a", "nested": {"x": "1"}}, "nested.x"),
        ({"name": "a", "nested": {"x": 1, "y": 2}}, "nested.y"),
        ({"name": "a", "role": "admin"}, "role"),
        ([], "body"),
        ("text", "body"),
    ],
)
def test_invalid_payload_names_the_field(payload, field):
    with pytest.raises(ValidationError) as caught:
        validate(SCHEMA, payload)
    assert caught.value.field == field
    assert caught.value.status == 400


def test_query_style_integers_and_booleans():
    schema = Obj({"limit": Int(from_string=True, maximum=100), "on": Bool(from_string=True)})
    assert validate(schema, {"limit": "20", "on": "true"}) == {"limit": 20, "on": True}
    with pytest.raises(ValidationError):
        validate(schema, {"limit": "20abc", "on": "true"})


def test_at_least_one_field():
    with pytest.raises(ValidationError) as caught:
        validate(Obj({"a": Str(required=False)}, at_least_one=True), {})
    assert caught.value.field == "body"


def test_json_schema_export():
    exported = SCHEMA.json_schema()
    assert exported["required"] == ["name"]
    assert exported["additionalProperties"] is False
    assert exported["properties"]["kind"]["enum"] == ["a", "b"]
    assert exported["properties"]["link"]["type"] == ["string", "null"]
