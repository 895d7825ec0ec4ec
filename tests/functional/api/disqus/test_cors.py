"""What a browser page needs from the Disqus surface: extension-less paths (the disqusjs
widget calls ``threads/listPostsThreaded`` without ``.json``), CORS headers on answers to a
public key whose Origin matched (never ``*``, never on personal credentials) and OPTIONS
preflights on every /api/3.0 path."""

from __future__ import annotations

import pytest

from tests.functional.api.disqus.calls import ORIGIN, Reply, call

PAGE = "https://example.com"  # a domain of the forum fixture's public key


def _cors(reply: Reply) -> tuple[str | None, str | None]:
    return reply.headers.get("access-control-allow-origin"), reply.headers.get("vary")


def _preflight(client, path: str, origin: str | None) -> Reply:
    headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    if origin is not None:
        headers["Origin"] = origin
    return Reply(client.http.request("OPTIONS", f"/api/3.0/{path}", headers=headers))


def test_a_path_without_extension_answers_as_json(client, forum):
    query = {"forum": "acme", "api_key": forum["key"]}
    for name in ("forums/details", "forums/listModerators"):
        bare = call(client, "GET", name, query, headers=ORIGIN)
        suffixed = call(client, "GET", f"{name}.json", query, headers=ORIGIN)
        assert (bare.status, bare.headers["content-type"]) == (200, "application/json"), bare.text
        assert bare.json["response"] == suffixed.json["response"]
        assert ("cursor" in bare.json) == ("cursor" in suffixed.json) == (name == "forums/listModerators")

    # Errors are the endpoint's own: a wrong method (Allow names the endpoint's method,
    # not the preflight), a missing argument; an unknown bare path is no endpoint.
    wrong = call(client, "POST", "forums/details", query, headers=ORIGIN)
    assert (wrong.status, wrong.code, wrong.headers["allow"]) == (400, 7, "GET")
    missing = call(client, "GET", "forums/details", {"api_key": forum["key"]}, headers=ORIGIN)
    assert (missing.code, missing.headers["content-type"]) == (2, "application/json")
    assert call(client, "GET", "forums/nope", query, headers=ORIGIN).code == 1


def test_a_public_key_request_from_its_domain_may_be_read_by_that_origin(client, forum):
    query = {"forum": "acme", "api_key": forum["key"]}
    for origin in (PAGE, "http://example.com:8080"):  # any port: the key pins none
        answer = call(client, "GET", "forums/details.json", query, headers={"Origin": origin})
        assert answer.code == 0 and _cors(answer) == (origin, "Origin")

    # Every rendering and the errors after the key matched: the page reads why.
    for path, extra in (("forums/details.jsonp", {"callback": "cb"}), ("forums/listModerators.rss", {})):
        answer = call(client, "GET", path, {**query, **extra}, headers=ORIGIN)
        assert answer.status == 200 and _cors(answer) == (PAGE, "Origin"), path
    unknown_forum = call(client, "GET", "forums/details", {**query, "forum": "nope"}, headers=ORIGIN)
    assert unknown_forum.code == 8 and _cors(unknown_forum) == (PAGE, "Origin")


@pytest.mark.parametrize(
    "case",
    ["other domain", "no origin, referer only", "opaque origin", "unknown key", "api_secret", "access_token", "bearer"],
)
def test_no_cors_headers_otherwise(client, forum, case):
    query: dict[str, str] = {"forum": "acme", "api_key": forum["key"]}
    headers = dict(ORIGIN)
    expected_code = 0
    if case == "other domain":
        headers, expected_code = {"Origin": "https://evil-example.com"}, 11
    elif case == "no origin, referer only":  # a plain page load: the key matches, no CORS request
        headers = {"Referer": f"{PAGE}/post/1"}
    elif case == "opaque origin":
        headers, expected_code = {"Origin": "null", "Referer": f"{PAGE}/"}, 11
    elif case == "unknown key":
        query["api_key"], expected_code = "dqp_" + "A" * 32, 5
    elif case == "api_secret":  # personal credentials: a browser must never hand their answers over
        query = {"forum": "acme", "api_secret": forum["secret"]}
    elif case == "access_token":
        query = {"forum": "acme", "access_token": forum["owner"].access_token}
    else:
        query = {"forum": "acme"}
        headers["Authorization"] = f"Bearer {forum['owner'].access_token}"
    answer = call(client, "GET", "forums/details.json", query, headers=headers)
    assert answer.code == expected_code, answer.text
    assert _cors(answer) == (None, None)
    assert "*" not in str(answer.headers)


@pytest.mark.parametrize(
    "path", ["forums/details.json", "forums/details", "threads/create.json", "threads/list.rss", "nope/nope"]
)
def test_options_is_a_preflight_on_every_disqus_path(client, path):
    answer = _preflight(client, path, "https://blog.example.net:4000")
    assert (answer.status, answer.text) == (204, "")
    assert answer.headers["access-control-allow-origin"] == "https://blog.example.net:4000"
    assert answer.headers["vary"] == "Origin"
    assert answer.headers["access-control-allow-methods"] == "GET, POST"
    assert answer.headers["access-control-allow-headers"] == "Authorization, Content-Type"
    assert answer.headers["access-control-max-age"] == "600"


@pytest.mark.parametrize("origin", [None, "null", "file://", "chrome-extension://abc", "https://example.com/page", "x"])
def test_a_preflight_echoes_only_an_http_origin(client, origin):
    answer = _preflight(client, "forums/details.json", origin)
    assert answer.status == 204
    assert _cors(answer) == (None, None)
    assert answer.headers["access-control-allow-methods"] == "GET, POST"
