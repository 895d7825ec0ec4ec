"""Inviting people over HTTP against the local runtime: an email invite travels
stream -> router -> SQS -> email worker -> outbox, and its link lets exactly that
address join; a link invite is shown once and lets anyone verified join."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.e2e.harness import Devserver, wait_for_email, wait_for_verification_link

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"


def _signed_up(server: Devserver, name: str, display_name: str = "Someone") -> dict[str, str]:
    """Register, follow the verification link, log in: the Authorization header."""
    api = server.base_url
    email = f"{name}@example.com"
    registered = requests.post(
        f"{api}/v1/auth/register",
        json={"email": email, "password": PASSWORD, "username": name, "displayName": display_name},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    assert requests.get(wait_for_verification_link(server.outbox, email), timeout=10).status_code == 200
    login = requests.post(f"{api}/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}


def test_email_invite_and_link_invite(server: Devserver) -> None:
    api = server.base_url
    suffix = uuid.uuid4().hex[:8]
    owner = _signed_up(server, f"owner{suffix}", "Olivia")
    workspace = requests.post(f"{api}/v1/workspaces", json={"name": f"Team {suffix}"}, headers=owner, timeout=10)
    assert workspace.status_code == 201, workspace.text
    ws = workspace.json()["data"]

    invitee_email = f"invitee{suffix}@example.com"
    sent = requests.post(
        f"{api}/v1/workspaces/{ws['id']}/invites", json={"email": invitee_email}, headers=owner, timeout=10
    )
    assert sent.status_code == 201, sent.text
    assert "code" not in sent.json()["data"]

    mail = wait_for_email(server.outbox, invitee_email, f"Olivia invited you to Team {suffix} on Disqua")
    found = re.search(r"^POST (\S+/v1/invites/\S+)/accept$", mail.get_content(), re.MULTILINE)
    assert found, mail.get_content()
    invite_url = found.group(1)
    assert invite_url.startswith(f"{api}/v1/invites/")

    shown = requests.get(invite_url, timeout=10)
    assert shown.status_code == 200, shown.text
    assert shown.json()["data"]["workspace"]["name"] == f"Team {suffix}"

    stranger = _signed_up(server, f"stranger{suffix}")
    refused = requests.post(f"{invite_url}/accept", headers=stranger, timeout=10)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "E_AUTHZ_FORBIDDEN")

    invitee = _signed_up(server, f"invitee{suffix}")
    joined = requests.post(f"{invite_url}/accept", headers=invitee, timeout=10)
    assert joined.status_code == 200, joined.text
    assert joined.json()["data"] == {"workspaceId": ws["id"], "joined": True}
    used = requests.post(f"{invite_url}/accept", headers=stranger, timeout=10)
    assert (used.status_code, used.json()["error"]["code"]) == (410, "E_INVITE_EXPIRED")  # used up

    link = requests.post(f"{api}/v1/workspaces/{ws['id']}/invites", json={"maxUses": 1}, headers=owner, timeout=10)
    assert link.status_code == 201, link.text
    link_url = link.json()["data"]["url"]
    assert link_url.startswith(f"{api}/v1/invites/")
    assert requests.post(f"{link_url}/accept", headers=stranger, timeout=10).status_code == 200
    gone = requests.get(link_url, timeout=10)
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "E_INVITE_EXPIRED")

    members = requests.get(f"{api}/v1/workspaces/{ws['id']}/members", headers=invitee, timeout=10)
    assert members.status_code == 200, members.text
    roles = {m["username"]: m["role"] for m in members.json()["data"]}
    assert roles == {f"owner{suffix}": "owner", f"invitee{suffix}": "member", f"stranger{suffix}": "member"}
    general = requests.get(f"{api}/v1/channels/{ws['generalChannelId']}", headers=owner, timeout=10)
    assert general.json()["data"]["memberCount"] == 3
