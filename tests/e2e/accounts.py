"""Accounts over real HTTP: what a new user does against the local runtime (register, follow
the verification link the email worker wrote, log in)."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from tests.e2e.harness import Devserver, wait_for_verification_link

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class SignedUp:
    user_id: str
    email: str
    headers: dict[str, str]  # Authorization: Bearer <access token>


def sign_up(server: Devserver, handle: str, display_name: str) -> SignedUp:
    api, email = server.base_url, f"{handle}@example.com"
    registered = requests.post(
        f"{api}/v1/auth/register",
        json={"email": email, "password": PASSWORD, "username": handle, "displayName": display_name},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    assert requests.get(wait_for_verification_link(server.outbox, email), timeout=10).status_code == 200
    login = requests.post(f"{api}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    token = login.json()["data"]["accessToken"]
    return SignedUp(registered.json()["data"]["userId"], email, {"Authorization": f"Bearer {token}"})


@dataclass(frozen=True)
class Console:
    """A signed-up owner, their new workspace and an Admin Access Token of it (Admin v2)."""

    owner: SignedUp
    workspace_id: str
    headers: dict[str, str]  # Authorization: Bearer <the admin token>


def admin_console(server: Devserver, handle: str, workspace_name: str) -> Console:
    api = server.base_url
    owner = sign_up(server, handle, "Admin")
    made = requests.post(f"{api}/v1/workspaces", json={"name": workspace_name}, headers=owner.headers, timeout=10)
    assert made.status_code == 201, made.text
    workspace_id = made.json()["data"]["id"]
    minted = requests.post(
        f"{api}/v1/workspaces/{workspace_id}/tokens",
        json={"name": "console", "scopes": ["admin"]},
        headers=owner.headers,
        timeout=10,
    )
    assert minted.status_code == 201, minted.text
    return Console(owner, workspace_id, {"Authorization": f"Bearer {minted.json()['data']['token']}"})
