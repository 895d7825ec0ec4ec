"""Rate limits by route class (chalicelib/services/rate_limits.py), set low per test: each
class refuses past its figure, every limited answer carries X-RateLimit-*, a refusal carries
Retry-After in the surface's own error shape, keys separate callers (and channels for sends),
and concurrent requests never get past the limit together."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from chalicelib import config
from chalicelib.auth.principal import Principal
from chalicelib.errors import CallerRateLimited, RateLimited
from chalicelib.services import rate_limits
from tests.helpers import register

HOUR = 3600  # windows no test run crosses (but one, which waits for its 1 s window)


def limited_headers(answer: Any) -> tuple[int, int, int]:
    headers = {k.lower(): v for k, v in answer.headers.items()}
    return int(headers["x-ratelimit-limit"]), int(headers["x-ratelimit-remaining"]), int(headers["x-ratelimit-reset"])


def _send(api, account, channel_id: str, text: str = "hi") -> Any:
    return api.post(f"/v1/channels/{channel_id}/messages", {"content": text}, token=account.access_token)


def test_off_on_the_local_stage_unless_set(api, team):
    ws, owner, _ = team
    assert config.get_settings().rate_limits == "off"
    answers = [_send(api, owner, ws["generalChannelId"], f"m{n}") for n in range(12)]  # past send's 10
    assert {a.status for a in answers} == {201}
    assert not any(k.lower().startswith("x-ratelimit") for k in answers[-1].headers)


def test_sends_per_channel_a_burst_then_429_with_retry_after_and_headers(api, team, set_limits):
    ws, owner, member = team
    general = ws["generalChannelId"]
    other = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "other"}, token=owner.access_token).data["id"]
    set_limits(send=(3, HOUR))
    burst = [_send(api, owner, general, f"m{n}") for n in range(3)]
    assert [a.status for a in burst] == [201, 201, 201]
    assert [limited_headers(a)[:2] for a in burst] == [(3, 2), (3, 1), (3, 0)]
    reset = limited_headers(burst[0])[2]
    assert time.time() < reset <= time.time() + HOUR
    refused = _send(api, owner, general, "one too many")
    assert (refused.status, refused.error["code"]) == (429, "E_RATE_LIMIT")
    assert 0 < int(refused.headers["Retry-After"]) <= HOUR + 1
    assert limited_headers(refused) == (3, 0, reset)
    # Per channel and per caller: another channel, another member still send.
    assert _send(api, owner, other).status == 201
    assert _send(api, member, general).status == 201
    # Nothing was written for the refusal.
    listed = api.get(f"/v1/channels/{general}/messages", token=owner.access_token).data
    assert "one too many" not in [m["content"] for m in listed]


def test_a_send_window_passes_and_sending_resumes(api, team, set_limits):
    ws, owner, _ = team
    set_limits(send=(2, 1))
    general = ws["generalChannelId"]
    answers = [_send(api, owner, general, f"m{n}") for n in range(3)]
    assert [a.status for a in answers][:2] == [201, 201]
    if answers[2].status == 201:  # the 1 s window turned between them: the next burst is refused
        answers = [_send(api, owner, general, f"n{n}") for n in range(3)]
    assert answers[-1].status == 429
    time.sleep(int(answers[-1].headers["Retry-After"]))
    assert _send(api, owner, general, "later").status == 201


def test_api_tokens_and_sessions_of_one_user_are_separate_callers(api, team, set_limits):
    ws, owner, _ = team
    token = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "bot", "scopes": ["messages:write"]}, token=owner.access_token
    ).data["token"]
    set_limits(send=(1, HOUR))
    general = ws["generalChannelId"]
    assert _send(api, owner, general).status == 201
    assert _send(api, owner, general).status == 429
    by_token = api.post(f"/v1/channels/{general}/messages", {"content": "bot"}, token=token)
    assert by_token.status == 201


def test_reads_are_counted_in_memory_per_caller_without_a_write(api, team, set_limits, recorder):
    _, owner, member = team
    set_limits(read=(2, HOUR))
    with recorder.recording() as calls:
        first = api.get("/v1/users/me", token=owner.access_token)
    assert first.status == 200 and limited_headers(first)[:2] == (2, 1)
    assert calls and not [c for c in calls if c.operation in ("UpdateItem", "PutItem", "TransactWriteItems")]
    assert api.get("/v1/users/me", token=owner.access_token).status == 200
    refused = api.get("/v1/users/me", token=owner.access_token)
    assert (refused.status, refused.error["code"]) == (429, "E_RATE_LIMIT") and "Retry-After" in refused.headers
    assert api.get("/v1/users/me", token=member.access_token).status == 200


def test_writes_are_limited_per_caller(api, team, set_limits):
    _, owner, member = team
    set_limits(write=(1, HOUR))
    assert api.patch("/v1/users/me", {"displayName": "One"}, token=owner.access_token).status == 200
    refused = api.patch("/v1/users/me", {"displayName": "Two"}, token=owner.access_token)
    assert (refused.status, refused.error["code"]) == (429, "E_RATE_LIMIT")
    assert api.patch("/v1/users/me", {"displayName": "Three"}, token=member.access_token).status == 200


def test_auth_routes_are_limited_per_address(api, set_limits):
    register(api, "jane")
    set_limits(auth=(2, HOUR))
    wrong = {"email": "jane@example.com", "password": "not the password"}
    assert api.post("/v1/auth/login", wrong).status == 401
    assert api.post("/v1/auth/refresh", {"refreshToken": "dqr_nothing"}).status == 401
    refused = api.post("/v1/auth/login", {"email": "jane@example.com", "password": "correct horse battery"})
    assert (refused.status, refused.error["code"]) == (429, "E_RATE_LIMIT") and "Retry-After" in refused.headers
    assert limited_headers(refused)[:2] == (2, 0)


def test_uploads_search_and_webhook_tests_each_have_their_class(api, team, set_limits):
    ws, owner, _ = team
    set_limits(upload=(1, HOUR), search=(1, HOUR), webhook_test=(1, HOUR))
    presign = {"filename": "a.txt", "contentType": "text/plain", "size": 10, "workspaceId": ws["id"]}
    assert api.post("/v1/files/presign", presign, token=owner.access_token).status == 201
    assert api.post("/v1/files/presign", presign, token=owner.access_token).status == 429
    search = f"/v1/workspaces/{ws['id']}/search?q=hello"
    searched = api.get(search, token=owner.access_token)  # 503 here: no search engine in this test
    assert searched.status != 429 and limited_headers(searched)[:2] == (1, 0)
    assert api.get(search, token=owner.access_token).status == 429
    missing = "/v1/webhooks/wh_01a23690-fb0c-730e-8fb9-15faa979c0e4/test"
    first = api.post(missing, token=owner.access_token)
    assert first.status != 429 and limited_headers(first)[:2] == (1, 0)  # counted, then the handler answered
    assert api.post(missing, token=owner.access_token).status == 429
    # Each class counts apart: reads and writes are untouched.
    assert api.get("/v1/users/me", token=owner.access_token).status == 200


def test_concurrent_requests_are_never_admitted_past_the_limit(aws_backend, set_limits):
    set_limits(send=(5, HOUR), write=(5, HOUR))
    caller = Principal(user_id="u1", kind="session")
    outcomes: dict[str, list[str]] = {"send": [], "write": []}
    start = threading.Barrier(20)

    def attempt(route_class: str) -> None:
        start.wait()
        try:
            rate_limits.admit(route_class, caller, "10.0.0.1", "ch_1" if route_class == "send" else None)
            outcomes[route_class].append("admitted")
        except RateLimited:
            outcomes[route_class].append("refused")

    workers = [threading.Thread(target=attempt, args=(c,)) for c in ("send", "write") for _ in range(10)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for route_class in ("send", "write"):
        assert sorted(outcomes[route_class]) == ["admitted"] * 5 + ["refused"] * 5, route_class


def test_caller_limits_and_resource_limits_are_told_apart(aws_backend, set_limits):
    set_limits(write=(0, HOUR), send=(0, HOUR))
    caller = Principal(user_id="u1", kind="session")
    with pytest.raises(CallerRateLimited):
        rate_limits.admit("write", caller, "10.0.0.1")
    with pytest.raises(RateLimited) as per_channel:
        rate_limits.admit("send", caller, "10.0.0.1", "ch_1")
    assert not isinstance(per_channel.value, CallerRateLimited)
    with pytest.raises(RateLimited) as per_address:
        rate_limits.admit("write", None, "10.0.0.1")
    assert not isinstance(per_address.value, CallerRateLimited)
