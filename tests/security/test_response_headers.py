"""Token-bearing and personal answers are never cached, and JSON is never sniffed as
another type: both headers on every answer of the pipeline. Issue 8, item 6."""

from __future__ import annotations

from tests.helpers import create_workspace, register

SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _assert_headers(answer, what):
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (what, name, answer.headers)


def test_answers_that_carry_tokens_are_not_stored(api):
    jane = register(api, "jane")
    login = api.post("/v1/auth/login", {"email": jane.email, "password": jane.password})
    _assert_headers(login, "login")
    refresh = api.post("/v1/auth/refresh", {"refreshToken": login.data["refreshToken"]})
    _assert_headers(refresh, "refresh")
    ws = create_workspace(api, jane)
    minted = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "ci", "scopes": ["users:read"]}, token=jane.access_token
    )
    assert minted.status == 201
    _assert_headers(minted, "token minting")


def test_every_kind_of_answer_has_both(api):
    jane = register(api, "jane")
    ws = create_workspace(api, jane)
    answers = {
        "read": api.get(f"/v1/workspaces/{ws['id']}", token=jane.access_token),
        "list": api.get("/v1/workspaces", token=jane.access_token),
        "no content": api.post(f"/v1/channels/{ws['generalChannelId']}/leave", token=jane.access_token),
        "validation error": api.patch("/v1/users/me", {"nope": 1}, token=jane.access_token),
        "auth error": api.get("/v1/users/me", token="dqt_bad"),
        "wrong method": api.call("PUT", "/v1/users/me", {}, token=jane.access_token),
    }
    for what, answer in answers.items():
        _assert_headers(answer, what)


def test_gateway_responses_carry_them_too():
    from infra.merge import gateway_responses

    for response_type, response in gateway_responses().items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Cache-Control"] == "'no-store'" and headers["X-Content-Type-Options"] == "'nosniff'", (
            response_type
        )
