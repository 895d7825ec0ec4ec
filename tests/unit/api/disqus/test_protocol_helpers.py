"""Disqus cursors, timestamps, argument forms and error codes as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.protocol import Cursor
from chalicelib.errors import (
    DisquaError,
    Forbidden,
    InsufficientScope,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    ValidationError,
)
from chalicelib.services.public_keys import InvalidPublicKey, PublicKeyDomainRefused


def test_a_cursor_round_trips_and_keeps_its_direction():
    for cursor in (Cursor(1320872487989935, 0), Cursor(1320872487989935, 25, prev=True), Cursor(0, 999_999_999)):
        assert Cursor.decode(cursor.encode()) == cursor
    assert Cursor(1320872487989935, 0).encode() == "1320872487989935:0:0"


@pytest.mark.parametrize("text", ["", "1:2", "1:2:2", "a:0:0", "1:0:0 ", "1:-1:0", "1" * 18 + ":0:0", "1:0:0:1"])
def test_a_bad_cursor_is_a_validation_error_naming_cursor(text):
    with pytest.raises(ValidationError) as caught:
        Cursor.decode(text)
    assert caught.value.field == "cursor"


def test_the_cursor_object_always_gives_a_next_and_a_prev_only_past_the_start():
    first = protocol.cursor_object(5, 0, 0, False)
    assert first == {
        "prev": None,
        "hasNext": False,
        "next": "5:0:0",
        "hasPrev": False,
        "total": None,
        "id": "5:0:0",
        "more": False,
    }
    later = protocol.cursor_object(5, 25, 50, True)
    assert (later["prev"], later["next"], later["id"], later["hasPrev"]) == ("5:25:1", "5:50:0", "5:25:0", True)


@pytest.mark.parametrize(
    "text",
    ["1213061528", "1213061528.25", "2008-06-10T01:32:08", "2008-06-10T01:32:08Z", "2008-06-09T20:32:08-05:00"],
)
def test_timestamps_parse_from_unix_seconds_or_iso(text):
    moment = protocol.parse_timestamp(text, "since")
    assert moment.tzinfo is not None
    assert protocol.render_timestamp(moment) == "2008-06-10T01:32:08"


@pytest.mark.parametrize("text", ["", "yesterday", "2008-13-01", "1e9", "99999999999999", "-5"])
def test_a_bad_timestamp_names_its_argument(text):
    with pytest.raises(ValidationError) as caught:
        protocol.parse_timestamp(text, "end")
    assert caught.value.field == "end"


def test_stored_times_render_in_disqus_form():
    assert protocol.render_timestamp("2026-12-02T05:36:38.123Z") == "2026-12-02T05:36:38"
    assert protocol.render_timestamp(datetime(2008, 6, 10, 1, 45, 27, 999, tzinfo=UTC)) == "2008-06-10T01:45:27"
    assert protocol.render_timestamp(None) is None


def test_both_multi_value_forms_make_one_list_in_order():
    pairs = [("thread", "1"), ("thread[]", "2"), ("forum", "a"), ("thread", "3")]
    assert protocol.arguments(pairs) == {"thread": ["1", "2", "3"], "forum": ["a"]}


def test_callbacks_are_javascript_identifiers_only():
    for good in ("cb", "jQuery123_456", "$.x.y", "_" + "a" * 63):
        assert protocol.callback_name(good) == good
    for bad in ("", "1cb", "a-b", "a(b)", "_" + "a" * 64, "a\nb"):
        with pytest.raises(ValidationError):
            protocol.callback_name(bad)


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (ValidationError("x", field="forum"), 2, 400),
        (InvalidPublicKey(), 5, 403),
        (PublicKeyDomainRefused(), 11, 400),
        (MethodNotAllowed(), 7, 400),
        (NotFound(), 8, 400),
        (InsufficientScope(), 12, 400),
        (Forbidden(), 22, 400),
        (RateLimited(3), 13, 400),
        (protocol.EndpointNotValid(), 1, 400),
        (protocol.UnsupportedFormat(), 1, 415),
        (DisquaError(), 15, 500),
    ],
)
def test_errors_map_to_disqus_codes_and_statuses(error, code, status):
    assert protocol.code_of(error) == code
    assert protocol.status_of(error, code) == status


def test_a_bad_argument_is_named_and_an_internal_error_says_nothing():
    assert protocol.error_message(ValidationError("is required.", field="forum"), 2) == (
        "Invalid argument, 'forum': is required."
    )
    assert protocol.error_message(DisquaError("secret detail"), 15) == "Internal server error"
