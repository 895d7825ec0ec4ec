import base64
import json

import pytest

from chalicelib.errors import ValidationError
from chalicelib.http import cursors

POSITION = {"PK": {"S": "WS#1"}, "SK": {"S": "MEMBER#2"}}


def test_round_trip():
    cursor = cursors.encode(POSITION, "list-a")
    assert cursors.decode(cursor, "list-a") == POSITION


def test_no_position_no_cursor():
    assert cursors.encode(None, "list-a") is None
    assert cursors.decode(None, "list-a") is None
    assert cursors.decode("", "list-a") is None


def test_cursor_is_opaque():
    assert "MEMBER" not in cursors.encode(POSITION, "list-a")


def test_cursor_from_another_list_is_rejected():
    with pytest.raises(ValidationError) as caught:
        cursors.decode(cursors.encode(POSITION, "list-a"), "list-b")
    assert caught.value.field == "cursor"


def test_tampered_cursor_is_rejected():
    body, tag = cursors.encode(POSITION, "list-a").split(".")
    doc = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    doc["p"]["SK"]["S"] = "MEMBER#3"
    forged = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    with pytest.raises(ValidationError):
        cursors.decode(f"{forged}.{tag}", "list-a")


@pytest.mark.parametrize("garbage", ["x", "a.b.c", "!!!.???", "eyJrIjoidDEifQ.AAAA", "." * 5])
def test_garbage_is_a_validation_error(garbage):
    with pytest.raises(ValidationError):
        cursors.decode(garbage, "list-a")
