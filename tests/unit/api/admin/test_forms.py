"""Admin v2's body parser (chalicelib/api/admin/forms.py): every shape a form body may take,
JSON bodies, and hostile input answered with a 400 naming the field."""

from __future__ import annotations

import json
import time

import pytest

from chalicelib.api.admin import forms
from chalicelib.api.admin.forms import AnyObject, FormInt
from chalicelib.errors import PayloadTooLarge, UnsupportedMediaType, ValidationError
from chalicelib.http.schema import Enum, List, Obj, Str

SCHEMA = Obj(
    {
        "channelId": Str(required=False),
        "filter": Enum(("all", "member"), required=False),
        "tags": List(Str(), required=False),
        "metadata": AnyObject(required=False),
        "options": Obj({"limit": FormInt(required=False, minimum=1, maximum=100)}, required=False),
    }
)
FORM = "application/x-www-form-urlencoded"


def read(text: str) -> dict:
    body = forms.parse_body(text.encode(), FORM, 256 * 1024)
    return SCHEMA.clean(forms.shape(SCHEMA, body, from_form=True), "")


def test_scalars_arrays_and_objects_in_every_form_shape():
    assert read("channelId=lobby") == {"channelId": "lobby"}
    assert read("tags=a&tags=b") == {"tags": ["a", "b"]}
    assert read("tags[]=a&tags[]=b") == {"tags": ["a", "b"]}
    assert read("tags=a") == {"tags": ["a"]}  # a lone value where an array is wanted
    assert read("options[limit]=10") == {"options": {"limit": 10}}
    assert read("options=%7B%22limit%22%3A10%7D") == {"options": {"limit": 10}}  # a JSON string
    assert read("metadata[color]=red&metadata[size]=xl") == {"metadata": {"color": "red", "size": "xl"}}
    assert read("metadata=" + json.dumps({"n": 1, "deep": {"x": [1]}})) == {"metadata": {"n": 1, "deep": {"x": [1]}}}
    assert read("") == {}


def test_json_bodies_and_media_types():
    body = forms.parse_body(b'{"tags": ["a"], "options": {"limit": 5}}', "application/json; charset=utf-8", 1000)
    assert SCHEMA.clean(forms.shape(SCHEMA, body, from_form=False), "") == {"tags": ["a"], "options": {"limit": 5}}
    assert forms.media_type(None) == "form"
    with pytest.raises(UnsupportedMediaType):
        forms.media_type("text/xml")
    with pytest.raises(UnsupportedMediaType):
        forms.media_type(f"{FORM}; charset=latin-1")
    with pytest.raises(ValidationError) as bad:
        forms.parse_body(b"[1]", "application/json", 1000)
    assert bad.value.field == "body"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("options[limit]=ten", "options.limit"),
        ("options[limit]=0", "options.limit"),
        ("options=[1]", "options"),
        ("options=%7Bnot", "options"),
        ("filter=none", "filter"),
        ("unknown=1", "unknown"),
        ("options[limit][x]=1", "options[limit][x]"),  # deeper brackets
        ("tags[0]=a&tags=b", "tags"),  # an object and a value at once
        ("metadata=" + "x" * 10, "metadata"),
        ("metadata[k]=" + "v" * 5000, "metadata"),  # over 4 KB
        ("a.b=1", "a.b"),
    ],
)
def test_bad_forms_name_the_field(text, field):
    with pytest.raises(ValidationError) as bad:
        read(text)
    assert bad.value.status == 400 and bad.value.field == field, bad.value.message


def test_hostile_forms_are_bounded_and_fast():
    started = time.perf_counter()
    with pytest.raises(ValidationError) as many:
        read("&".join(["tags=a"] * 5000))
    assert many.value.field == "body"  # too many pairs, refused before parsing them
    with pytest.raises(ValidationError) as long_list:
        read("&".join(["tags[]=a"] * 101))
    assert long_list.value.field == "tags" and "at most 100" in long_list.value.message
    with pytest.raises(ValidationError) as deep:
        read("options" + "[a]" * 5000 + "=1")
    assert deep.value.field.startswith("options[a]") and len(deep.value.field) <= forms.MAX_KEY
    with pytest.raises(PayloadTooLarge):
        forms.parse_body(b"tags=" + b"a" * 2000, FORM, 1000)
    with pytest.raises(ValidationError) as binary:
        forms.parse_body(b"tags=\xff\xfe", FORM, 1000)
    assert binary.value.field == "body"
    assert time.perf_counter() - started < 1.0


def test_validation_paths_are_written_as_the_client_wrote_them():
    assert forms.dotted_to_brackets("options.limit") == "options[limit]"
    assert forms.dotted_to_brackets("userIds[2]") == "userIds[2]"
    assert forms.dotted_to_brackets(None) is None
