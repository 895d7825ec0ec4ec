"""What each OAuth step costs in DynamoDB calls (bench/recorder.py), so a change that adds a
read shows up here: the numbers are in docs/oauth.md."""

from __future__ import annotations

from chalicelib.services import authn
from tests.functional.api.oauth.flow import Browser, authorize_url, exchange, make_app, pkce, refresh
from tests.helpers import create_workspace, register


def _ops(calls, phase="handler"):
    return [c.operation for c in calls if c.phase == phase]


def test_calls_per_step(api, client, recorder):
    owner = register(api, "olivia")
    workspace = create_workspace(api, owner)
    app = make_app(owner, workspace["id"])
    browser = Browser(client.http)
    verifier, challenge = pkce()
    url = authorize_url(app, challenge)
    browser.log_in(url, owner)

    with recorder.recording() as shown:
        consent = browser.get(url)
    # The app, the web session's login Session, the workspace + membership.
    assert _ops(shown) == ["GetItem", "GetItem", "BatchGetItem"], _ops(shown)

    with recorder.recording() as allowed:
        answer = browser.consent(consent)
    # The app, the session, workspace + membership, the installation, the code's Put.
    assert _ops(allowed) == ["GetItem", "GetItem", "BatchGetItem", "GetItem", "PutItem"], _ops(allowed)

    with recorder.recording() as exchanged:
        tokens = exchange(browser, app, answer.redirect_params()["code"], verifier).json()
    # The client, the code, the installation, the user; the code's conditional update, the grant.
    assert _ops(exchanged) == ["GetItem", "GetItem", "GetItem", "GetItem", "UpdateItem", "PutItem"]
    assert sum(c.computed.write for c in exchanged) <= 4  # the grant is also written to GSI1

    with recorder.recording() as refreshed:
        tokens = refresh(browser, app, tokens["refresh_token"]).json()
    # The client, session + user in one batch, the conditional rotation.
    assert _ops(refreshed) == ["GetItem", "BatchGetItem", "UpdateItem"], _ops(refreshed)

    authn.forget_cached_tokens()
    with recorder.recording() as first:
        assert api.get(f"/v1/workspaces/{workspace['id']}", token=tokens["access_token"]).status == 200
    with recorder.recording() as second:
        assert api.get(f"/v1/workspaces/{workspace['id']}", token=tokens["access_token"]).status == 200
    # The grant check: one GetItem, then cached for API_TOKEN_CACHE_SECONDS.
    assert _ops(first, "auth") == ["GetItem"] and _ops(second, "auth") == []


def test_malformed_client_ids_cost_no_read(client, recorder):
    browser = Browser(client.http)
    with recorder.recording() as calls:
        page = browser.get("/oauth/authorize?client_id=dqc_nope&redirect_uri=https://x.example/")
        token = browser.post("/oauth/token", {"grant_type": "refresh_token", "client_id": "dqc_nope"})
    assert page.status == 400 and token.status == 401
    assert calls == []
