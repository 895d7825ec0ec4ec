"""Disqus 3.0 rate-limit answers: code 14 for the caller's own limit, 13 for a resource's
(a thread's sends), HTTP 400 as the spec says for both, with Retry-After and X-RateLimit-*."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.functional.api.disqus.calls import FORM, ORIGIN, call

HOUR = 3600


def test_disqus_answers_code_14_for_a_caller_and_13_for_a_thread(client, forum, set_limits):
    owner = forum["owner"]
    set_limits(read=(1, HOUR), send=(1, HOUR))
    query = {"api_key": forum["key"], "forum": "acme"}
    assert call(client, "GET", "forums/details.json", query, headers=ORIGIN).code == 0
    refused = call(client, "GET", "forums/details.json", query, headers=ORIGIN)
    # Disqus answers its rate-limit codes with HTTP 400 (shared/spec/disqus-3.0-notes.md).
    assert (refused.status, refused.code) == (400, 14)
    assert int(refused.headers["retry-after"]) > 0 and refused.headers["x-ratelimit-remaining"] == "0"
    exposed = refused.headers["access-control-expose-headers"]  # the page's script may read them
    assert {"Retry-After", "X-RateLimit-Remaining"} <= {h.strip() for h in exposed.split(",")}
    posting = {"access_token": owner.access_token, "forum": "acme"}
    thread = call(client, "POST", "threads/create.json", body=urlencode({**posting, "title": "T"}), headers=FORM)
    assert thread.code == 0, thread.json
    post = {**posting, "thread": thread.response["id"], "message": "first"}
    assert call(client, "POST", "posts/create.json", body=urlencode(post), headers=FORM).code == 0
    again = call(client, "POST", "posts/create.json", body=urlencode({**post, "message": "second"}), headers=FORM)
    assert (again.status, again.code) == (400, 13) and "x-ratelimit-limit" in again.headers
