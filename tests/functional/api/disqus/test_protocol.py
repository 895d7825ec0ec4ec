"""The Disqus 3.0 protocol layer over HTTP: envelope, error codes, keys, argument forms,
JSONP, RSS, cursors and timestamps, through forums/details and forums/listModerators (and
a test-only endpoint on the same surface for what those two do not take)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from chalice import Blueprint, Chalice
from chalice.test import Client

from chalicelib.api import routing
from chalicelib.api.disqus import protocol, surface
from chalicelib.api.disqus.surface import DisqusSurface
from chalicelib.api.routing import Call
from chalicelib.auth import scopes
from chalicelib.errors import DisquaError, RateLimited
from tests.functional.api.disqus.calls import FORM, ORIGIN, call
from tests.helpers import create_workspace, join_workspace, register

DISQUS_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


def test_forum_details_in_the_envelope_for_each_kind_of_credential(client, forum):
    ws, owner = forum["ws"], forum["owner"]
    asked = [
        call(client, "GET", "forums/details.json", {"forum": "acme", "api_key": forum["key"]}, headers=ORIGIN),
        call(client, "GET", "forums/details.json", {"forum": "acme", "api_secret": forum["secret"]}),
        call(client, "GET", "forums/details.json", {"forum": "acme", "access_token": owner.access_token}),
        call(
            client,
            "GET",
            "forums/details.json",
            {"forum": "ACME"},
            headers={"Authorization": f"Bearer {owner.access_token}"},
        ),
    ]
    for answer in asked:
        assert answer.status == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["x-request-id"].startswith("req_")
        body = answer.json
        assert set(body) == {"code", "response"} and body["code"] == 0
        forum_object = body["response"]
        assert forum_object["id"] == "acme" and forum_object["name"] == "Acme"
        assert forum_object["founder"] == owner.user_id and forum_object["pk"] == ws["id"]
        assert DISQUS_TIME.match(forum_object["createdAt"]), forum_object["createdAt"]


def test_unknown_endpoints_are_code_1_and_unknown_formats_415(client, forum):
    for path in ("forums/nope.json", "nothing/here.json", "nope"):
        answer = call(client, "GET", path, {"api_secret": forum["secret"]})
        assert (answer.status, answer.code) == (400, 1), path
    for path in ("forums/details.xml", "forums/details.rss", "forums/nope.html"):
        answer = call(client, "GET", path, {"forum": "acme", "api_secret": forum["secret"]})
        assert (answer.status, answer.code) == (415, 1), path
    # Deeper paths never reach chalice.local's matcher: the local gateway and API Gateway's
    # {proxy+} answer them from the surface too.
    from chalicelib.api import fallback

    deep = fallback.not_found("/api/3.0/a/b/c.json")
    assert (deep.status_code, json.loads(deep.body)["code"]) == (400, 1)


def test_a_bad_or_missing_argument_is_code_2_naming_it(client, forum):
    secret = {"api_secret": forum["secret"]}
    missing = call(client, "GET", "forums/details.json", secret)
    assert (missing.status, missing.code) == (400, 2)
    assert missing.json["response"].startswith("Invalid argument, 'forum'")
    too_many = call(client, "GET", "forums/listModerators.json", {**secret, "forum": "acme", "limit": "101"})
    assert (too_many.code, too_many.json["response"][:27]) == (2, "Invalid argument, 'limit': ")


def test_both_multi_value_forms_are_one_argument(client, forum):
    secret = {"api_secret": forum["secret"]}
    for query in ([("forum", "acme"), ("forum", "acme")], [("forum[]", "acme"), ("forum[]", "acme")]):
        answer = call(client, "GET", "forums/details.json", [*secret.items(), *query])
        assert (answer.code, answer.json["response"]) == (2, "Invalid argument, 'forum': takes one value."), query
    single = call(client, "GET", "forums/details.json", {**secret, "forum[]": "acme"})
    assert single.code == 0 and single.json["response"]["id"] == "acme"


def test_a_wrong_method_is_code_7(client, forum):
    answer = call(client, "POST", "forums/details.json", {"forum": "acme", "api_secret": forum["secret"]})
    assert (answer.status, answer.code) == (400, 7)
    assert answer.headers["allow"] == "GET"


def test_bad_keys_are_code_5_and_a_wrong_domain_code_11(client, forum):
    base = {"forum": "acme"}
    for credentials in ({"api_key": "dqp_" + "A" * 32}, {"api_key": "nope"}, {"api_secret": "dqa_nope"}, {}):
        answer = call(client, "GET", "forums/details.json", {**base, **credentials}, headers=ORIGIN)
        assert (answer.status, answer.code) == (403, 5), credentials
    elsewhere = call(
        client, "GET", "forums/details.json", {**base, "api_key": forum["key"]}, headers={"Origin": "https://evil.com"}
    )
    assert (elsewhere.status, elsewhere.code) == (400, 11)
    expired = call(client, "GET", "forums/details.json", {**base, "access_token": "dqt_garbage"})
    assert (expired.status, expired.code) == (401, 4)


def test_a_forum_the_caller_may_not_read_is_code_8_and_a_missing_scope_code_12(api, client, forum):
    stranger = register(api, "sam")
    other = create_workspace(api, stranger, "Other")
    for query in (
        {"forum": "acme", "access_token": stranger.access_token},  # not a member
        {"forum": "nosuchforum", "api_secret": forum["secret"]},
        {"forum": other["slug"], "api_secret": forum["secret"]},  # the token's workspace is another
    ):
        answer = call(client, "GET", "forums/details.json", query)
        assert (answer.status, answer.code) == (400, 8), query
    foreign_key = call(
        client, "GET", "forums/details.json", {"forum": other["slug"], "api_key": forum["key"]}, headers=ORIGIN
    )
    assert foreign_key.code == 8
    reader = api.post(
        f"/v1/workspaces/{forum['ws']['id']}/tokens",
        {"name": "chat", "scopes": ["messages:read"]},
        token=forum["owner"].access_token,
    ).data["token"]
    unscoped = call(client, "GET", "forums/details.json", {"forum": "acme", "api_secret": reader})
    assert (unscoped.status, unscoped.code) == (400, 12)


def _jsonp_body(text: str, callback: str) -> Any:
    prefix = f"/**/{callback}("
    assert text.startswith(prefix) and text.endswith(");"), text
    return json.loads(text[len(prefix) : -2])


def test_jsonp_wraps_in_a_valid_callback_with_a_script_type_and_nosniff(client, forum):
    query = {"forum": "acme", "api_key": forum["key"], "callback": "jQuery.cb_1$"}
    answer = call(client, "GET", "forums/details.jsonp", query, headers=ORIGIN)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/javascript; charset=utf-8"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert _jsonp_body(answer.text, "jQuery.cb_1$")["response"]["id"] == "acme"
    # Errors too are wrapped, for the page's callback to see them.
    missing = call(client, "GET", "forums/details.jsonp", {**query, "forum": ""}, headers=ORIGIN)
    assert _jsonp_body(missing.text, "jQuery.cb_1$")["code"] == 2
    # No callback: Disqus's commented-out body, which runs as nothing.
    bare = call(client, "GET", "forums/details.jsonp", {"forum": "acme", "api_key": forum["key"]}, headers=ORIGIN)
    assert bare.text.startswith("/* ") and bare.text.endswith(" */") and json.loads(bare.text[3:-3])["code"] == 0


def test_jsonp_refuses_a_bad_callback_and_personal_credentials(client, forum):
    for bad in ("alert(1)", "1abc", "a" * 65, "x;y", "cb\u00e9"):
        answer = call(
            client,
            "GET",
            "forums/details.jsonp",
            {"forum": "acme", "api_key": forum["key"], "callback": bad},
            headers=ORIGIN,
        )
        assert (answer.status, answer.code) == (400, 2), bad
        assert answer.json["response"].startswith("Invalid argument, 'callback'")
        assert answer.headers["content-type"] == "application/json"
    for credentials in ({"api_secret": forum["secret"]}, {"access_token": forum["owner"].access_token}):
        answer = call(client, "GET", "forums/details.jsonp", {"forum": "acme", "callback": "cb", **credentials})
        assert _jsonp_body(answer.text, "cb")["code"] == 9 and answer.status == 400
        assert "olive" not in answer.text


def _moderators(api, forum, names):
    accounts = [register(api, name) for name in names]
    for account in accounts:
        join_workspace(forum["ws"], account, role="admin")
    join_workspace(forum["ws"], register(api, "plainmember"))  # a member: no moderator
    return accounts


def test_list_moderators_pages_with_disqus_cursors_both_ways(api, client, forum):
    _moderators(api, forum, ["ann", "bob"])
    base = {"forum": "acme", "api_key": forum["key"], "limit": "2"}
    first = call(client, "GET", "forums/listModerators.json", base, headers=ORIGIN).json
    assert first["code"] == 0 and len(first["response"]) == 2
    cursor = first["cursor"]
    assert (cursor["hasNext"], cursor["hasPrev"], cursor["prev"], cursor["more"]) == (True, False, None, True)
    assert re.fullmatch(r"\d{16}:2:0", cursor["next"]) and cursor["id"].endswith(":0:0")
    second = call(client, "GET", "forums/listModerators.json", {**base, "cursor": cursor["next"]}, headers=ORIGIN).json
    assert len(second["response"]) == 1 and second["cursor"]["hasNext"] is False
    assert second["cursor"]["hasPrev"] is True and second["cursor"]["next"].endswith(":3:0")  # always given
    names = {u["username"] for u in first["response"] + second["response"]}
    assert names == {"olive", "ann", "bob"}
    back = call(
        client, "GET", "forums/listModerators.json", {**base, "cursor": second["cursor"]["prev"]}, headers=ORIGIN
    ).json
    assert back["response"] == first["response"]
    empty = call(client, "GET", "forums/listModerators.json", {**base, "cursor": "1:50:0"}, headers=ORIGIN).json
    assert empty["response"] == [] and empty["cursor"]["next"] == "1:50:0" and empty["cursor"]["hasNext"] is False
    user = first["response"][0]
    assert {"id", "username", "name", "avatar", "isAnonymous", "joinedAt"} <= set(user) and "email" not in user
    for bad in ("abc", "1:2", "1:2:3", "-1:0:0", "1:0:0:0"):
        answer = call(client, "GET", "forums/listModerators.json", {**base, "cursor": bad}, headers=ORIGIN)
        assert (answer.code, answer.json["response"][:28]) == (2, "Invalid argument, 'cursor': "), bad


def test_rss_is_valid_escaped_xml_one_item_per_entry(api, client, forum):
    from chalicelib.store import users as user_store

    (ann,) = _moderators(api, forum, ["ann"])
    user_store.update_user(ann.user_id, {"display_name": 'Ann <b>&amp; "Co"</b>'})
    answer = call(
        client, "GET", "forums/listModerators.rss", {"forum": "acme", "api_key": forum["key"]}, headers=ORIGIN
    )
    assert answer.status == 200 and answer.headers["content-type"] == "application/rss+xml; charset=utf-8"
    root = ElementTree.fromstring(answer.text.encode())
    assert root.tag == "rss" and root.get("version") == "2.0"
    titles = sorted(item.findtext("title") for item in root.iter("item"))
    assert titles == sorted(['Ann <b>&amp; "Co"</b>', "Olive"])
    assert all(item.findtext("pubDate") for item in root.iter("item"))


# -- a test-only endpoint on the same surface: timestamps, form bodies, internal errors ---------


@pytest.fixture
def echo_client(aws_backend):
    app = Chalice(app_name="disqus-echo")
    bp = Blueprint(__name__)
    disqus = DisqusSurface(bp, tag="test")

    @disqus.endpoint("test/echo", "POST", summary="echo", scope=scopes.COMMENTS_READ, arguments={})
    def echo(call: Call) -> Any:
        since = protocol.one(call.query, "since")
        moment = protocol.parse_timestamp(since, "since") if since else None
        return {"thread": call.query.get("thread", []), "since": protocol.render_timestamp(moment)}

    @disqus.endpoint("test/fail", "GET", summary="fail", scope=scopes.COMMENTS_READ, arguments={})
    def fail(call: Call) -> Any:
        kind = protocol.one(call.query, "kind")
        if kind == "rate":
            raise RateLimited(7)
        if kind == "domain":
            raise DisquaError("boom with secrets")
        raise ZeroDivisionError

    app.register_blueprint(bp)
    app.register_blueprint(surface.bp)
    with Client(app) as client:
        yield client
    routing.ROUTES[:] = [r for r in routing.ROUTES if not r.path.startswith("/api/3.0/test/")]


def test_post_arguments_from_the_form_and_the_query_in_both_multi_value_forms(api, echo_client, forum):
    secret = forum["secret"]
    body = urlencode([("thread[]", "3"), ("thread", "4"), ("since", "1213061528")])
    answer = call(echo_client, "POST", "test/echo.json", {"api_secret": secret, "thread": "1"}, headers=FORM, body=body)
    assert answer.json == {"code": 0, "response": {"thread": ["1", "3", "4"], "since": "2008-06-10T01:32:08"}}
    for since in ("2008-06-10T01:32:08", "2008-06-10T03:32:08+02:00", "2008-06-10T01:32:08Z", "1213061528.5"):
        answer = call(echo_client, "POST", "test/echo.json", {"api_secret": secret, "since": since})
        assert answer.json["response"]["since"] == "2008-06-10T01:32:08", since
    bad = call(echo_client, "POST", "test/echo.json", {"api_secret": secret, "since": "yesterday"})
    assert (bad.code, bad.json["response"][:27]) == (2, "Invalid argument, 'since': ")
    as_json = call(echo_client, "POST", "test/echo.json", {"api_secret": secret}, body='{"thread": 1}')
    assert (as_json.code, as_json.json["response"][:26]) == (2, "Invalid argument, 'body': ")


def test_a_public_key_may_not_call_a_write_endpoint(echo_client, forum):
    answer = call(echo_client, "POST", "test/echo.json", {"api_key": forum["key"]}, headers=ORIGIN)
    assert (answer.status, answer.code) == (400, 9)


def test_internal_errors_are_code_15_with_the_request_id_in_a_header_only(echo_client, forum):
    for kind in ("crash", "domain"):
        answer = call(echo_client, "GET", "test/fail.json", {"api_secret": forum["secret"], "kind": kind})
        assert answer.status == 500 and answer.json == {"code": 15, "response": "Internal server error"}
        assert answer.headers["x-request-id"].startswith("req_") and "req_" not in answer.text
    limited = call(echo_client, "GET", "test/fail.json", {"api_secret": forum["secret"], "kind": "rate"})
    assert (limited.status, limited.code, limited.headers["retry-after"]) == (400, 13, "7")


def test_costs_of_forum_details_and_list_moderators(api, client, forum):
    """details by public key: the key (GetItem), the slug claim (GetItem), the workspace
    (GetItem); by a member's token: the slug claim and one BatchGetItem (workspace and
    membership). listModerators adds one Query per 100 members and one BatchGetItem of the
    moderators' profiles."""
    from bench.recorder import Recorder

    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as by_key:
            call(client, "GET", "forums/details.json", {"forum": "acme", "api_key": forum["key"]}, headers=ORIGIN)
        with recorder.recording() as by_token:
            call(client, "GET", "forums/details.json", {"forum": "acme", "access_token": forum["owner"].access_token})
        with recorder.recording() as moderators:
            query = {"forum": "acme", "access_token": forum["owner"].access_token}
            call(client, "GET", "forums/listModerators.json", query)
    finally:
        recorder.uninstall()
    handler = [[c.operation for c in calls if c.phase == "handler"] for calls in (by_key, by_token, moderators)]
    assert handler == [
        ["GetItem", "GetItem", "GetItem"],
        ["GetItem", "BatchGetItem"],
        ["GetItem", "BatchGetItem", "Query", "BatchGetItem"],
    ]
