"""OWASP API4:2023 Unrestricted Resource Consumption, hostile JSON (depth, size, lone surrogates):
hostile JSON is a 400 naming the field (or ``body``) before any handler runs, and
names people see cannot hide characters. Issue 8, item 3."""

from __future__ import annotations

import pytest

from tests.helpers import create_workspace, register

LONE_SURROGATES = ['"\\ud800"', '"\\udfff"', '"a\\ud83d"', '"\\udc00b"']


@pytest.fixture
def owner_ws(api):
    owner = register(api, "olive")
    return owner, create_workspace(api, owner)


def _fields(owner, ws):
    """(method, path, body template with {} where the hostile string goes, field, token)."""
    channel = ws["generalChannelId"]
    base = f"/v1/workspaces/{ws['id']}"
    return [
        ("POST", f"/v1/channels/{channel}/messages", '{"content": %s}', "content", owner.access_token),
        ("PATCH", f"/v1/channels/{channel}", '{"topic": %s}', "topic", owner.access_token),
        ("POST", f"{base}/channels", '{"name": %s}', "name", owner.access_token),
        ("PATCH", base, '{"name": %s}', "name", owner.access_token),
        ("PATCH", "/v1/users/me", '{"bio": %s}', "bio", owner.access_token),
        ("PATCH", "/v1/users/me", '{"displayName": %s}', "displayName", owner.access_token),
        ("POST", "/v1/auth/login", '{"email": "a@b.cd", "password": %s}', "password", None),
        ("POST", "/v1/auth/login", '{"email": %s, "password": "x"}', "email", None),
        (
            "POST",
            "/v1/auth/register",
            '{"email": "new@example.com", "password": %s, "username": "newbie", "displayName": "N"}',
            "password",
            None,
        ),
        ("POST", f"{base}/tokens", '{"name": %s, "scopes": ["users:read"]}', "name", owner.access_token),
    ]


@pytest.mark.parametrize("surrogate", LONE_SURROGATES)
def test_lone_surrogates_are_refused_in_every_field(api, owner_ws, surrogate):
    owner, ws = owner_ws
    for method, path, template, field, token in _fields(owner, ws):
        answer = api.call(method, path, raw=template % surrogate, token=token)
        assert (answer.status, answer.error["code"], answer.error["field"]) == (400, "E_VALIDATION", field), (
            path,
            field,
            answer.body,
        )


def test_raw_cesu_bytes_are_not_utf8(api, owner_ws):
    owner, ws = owner_ws
    raw = b'{"content": "\xed\xa0\x80"}'
    answer = api.call("POST", f"/v1/channels/{ws['generalChannelId']}/messages", raw=raw, token=owner.access_token)
    assert (answer.status, answer.error["field"]) == (400, "body")
    assert "UTF-8" in answer.error["message"]


def test_surrogates_in_keys_and_nested_values(api, owner_ws):
    owner, _ = owner_ws
    path = "/v1/users/me/preferences"
    answer = api.call("PATCH", path, raw='{"\\ud800": 1}', token=owner.access_token)
    assert (answer.status, answer.error["field"]) == (400, "body")
    answer = api.call("PATCH", path, raw='{"notifications": {"email": "\\udfff"}}', token=owner.access_token)
    assert (answer.status, answer.error["field"]) == (400, "notifications.email")


@pytest.mark.parametrize("depth", [33, 1_000, 20_000])
def test_deep_nesting_is_refused_without_recursion(api, owner_ws, depth):
    owner, _ = owner_ws
    for raw in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth, "[" * depth):
        answer = api.call("PATCH", "/v1/users/me", raw=raw, token=owner.access_token)
        assert (answer.status, answer.error["code"], answer.error["field"]) == (400, "E_VALIDATION", "body")


def test_brackets_inside_strings_do_not_count_as_nesting(api, owner_ws):
    owner, ws = owner_ws
    content = "[{" * 500
    answer = api.post(f"/v1/channels/{ws['generalChannelId']}/messages", {"content": content}, token=owner.access_token)
    assert answer.status == 201, answer.body


@pytest.mark.parametrize("number", ["9" * 5_001, "1" + "0" * 50, "1." + "5" * 60, "NaN", "Infinity", "-Infinity"])
def test_huge_numbers_and_constants_do_not_echo_internals(api, owner_ws, number):
    owner, ws = owner_ws
    answer = api.call(
        "GET", f"/v1/workspaces/{ws['id']}/channels?limit=5", raw=f'{{"x": {number}}}', token=owner.access_token
    )
    assert (answer.status, answer.error["field"]) == (400, "body"), answer.body
    message = answer.error["message"]
    assert "sys." not in message and "int_max_str_digits" not in message and len(message) < 200


def test_invalid_json_names_the_position_only(api, owner_ws):
    owner, _ = owner_ws
    answer = api.call("PATCH", "/v1/users/me", raw='{"bio": "x",}', token=owner.access_token)
    assert answer.status == 400 and "line 1" in answer.error["message"]


@pytest.mark.parametrize("content_type", ["application/json; charset=latin-1", "application/xml", "text/html"])
def test_bodies_are_utf8_json_only(api, owner_ws, content_type):
    owner, _ = owner_ws
    answer = api.call(
        "PATCH", "/v1/users/me", {"bio": "hi"}, token=owner.access_token, headers={"Content-Type": content_type}
    )
    assert (answer.status, answer.error["code"], answer.error["field"]) == (
        415,
        "E_UNSUPPORTED_MEDIA_TYPE",
        "Content-Type",
    )
    assert answer.body["error"]["requestId"].startswith("req_")


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=UTF-8", 'application/json; charset="utf-8"', "text/plain"]
)
def test_utf8_json_under_accepted_types(api, owner_ws, content_type):
    owner, _ = owner_ws
    answer = api.call(
        "PATCH", "/v1/users/me", {"bio": "hi"}, token=owner.access_token, headers={"Content-Type": content_type}
    )
    assert answer.status == 200, answer.body


INVISIBLE = {
    "C0 control": "ad\x01min",
    "DEL": "ad\x7fmin",
    "C1 control": "ad\x85min",
    "right-to-left override": "\u202enimda",
    "isolate": "ad\u2066min",
    "zero-width space": "ad\u200bmin",
    "zero-width joiner between letters": "ad\u200dmin",
    "zero-width non-joiner": "ad\u200cmin",
    "word joiner": "ad\u2060min",
    "BOM": "\ufeffadmin",
    "line separator": "ad\u2028min",
    "Hangul filler": "admin\u3164",
    "tag character": "admin\U000e0041",
    "newline in a name": "ad\nmin",
}


@pytest.mark.parametrize("label", sorted(INVISIBLE))
def test_names_people_see_refuse_invisible_characters(api, owner_ws, label):
    owner, ws = owner_ws
    value = INVISIBLE[label]
    for method, path, field in (
        ("PATCH", "/v1/users/me", "displayName"),
        ("PATCH", f"/v1/workspaces/{ws['id']}", "name"),
        ("PATCH", f"/v1/channels/{ws['generalChannelId']}", "topic"),
    ):
        answer = api.call(method, path, {field: value}, token=owner.access_token)
        assert (answer.status, answer.error["field"]) == (400, field), (label, path, answer.body)


def test_names_are_nfc_and_keep_emoji_sequences(api, owner_ws):
    owner, _ = owner_ws
    decomposed = "Zoe\u0301 \U0001f468\u200d\U0001f469\u200d\U0001f467"  # e + combining acute; a family emoji
    answer = api.patch("/v1/users/me", {"displayName": decomposed}, token=owner.access_token)
    assert answer.status == 200, answer.body
    assert answer.data["displayName"] == "Zo\u00e9 \U0001f468\u200d\U0001f469\u200d\U0001f467"


def test_multiline_fields_keep_newlines(api, owner_ws):
    owner, _ = owner_ws
    answer = api.patch("/v1/users/me", {"bio": "line one\nline two"}, token=owner.access_token)
    assert answer.status == 200 and answer.data["bio"] == "line one\nline two"
