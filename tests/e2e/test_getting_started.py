"""The getting-started guide, end to end over HTTP, against the local runtime:
sign up, verify the email, create a workspace and an API token, call the API."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.harness import Devserver, wait_for_verification_link

pytestmark = pytest.mark.e2e


def test_sign_up_to_first_api_call(server: Devserver) -> None:
    api = server.base_url
    suffix = uuid.uuid4().hex[:8]
    email, password = f"jane.{suffix}@example.com", "correct horse battery staple"
    http = requests.Session()

    registered = http.post(
        f"{api}/v1/auth/register",
        json={"email": email, "password": password, "username": f"janedoe{suffix}", "displayName": "Jane Doe"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    user_id = registered.json()["data"]["userId"]

    # The link points at this server (PUBLIC_BASE_URL), so following it verifies.
    link = wait_for_verification_link(server.outbox, email)
    assert link.startswith(f"{api}/v1/auth/verify?token=")
    verified = http.get(link, timeout=10)
    assert verified.status_code == 200, verified.text
    assert verified.json() == {"ok": True, "data": {"verified": True}}

    login = http.post(f"{api}/v1/auth/login", json={"email": email, "password": password}, timeout=10)
    assert login.status_code == 200, login.text
    session = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}

    workspace = http.post(f"{api}/v1/workspaces", json={"name": "Acme"}, headers=session, timeout=10)
    assert workspace.status_code == 201, workspace.text
    workspace_id = workspace.json()["data"]["id"]

    created = http.post(
        f"{api}/v1/workspaces/{workspace_id}/tokens",
        json={"name": "My first app", "scopes": ["users:read", "channels:read"]},
        headers=session,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    token = created.json()["data"]["token"]
    assert token.startswith("dqa_")
    bearer = {"Authorization": f"Bearer {token}"}

    me = http.get(f"{api}/v1/users/me", headers=bearer, timeout=10)
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["ok"] is True
    # The fields of the guide's sample response.
    assert {"id", "username", "displayName", "email", "avatarUrl", "status", "createdAt"} <= body["data"].keys()
    assert body["data"]["id"] == user_id
    assert body["data"]["email"] == email
    assert body["data"]["displayName"] == "Jane Doe"

    listed = http.get(f"{api}/v1/workspaces", headers=bearer, timeout=10)
    assert listed.status_code == 200, listed.text
    assert workspace_id in [w["id"] for w in listed.json()["data"]]
