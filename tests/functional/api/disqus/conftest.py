"""The forum every Disqus test starts from: the workspace "acme" (forum id = its slug), its
owner (a moderator), a member, a public key for example.com and a comments:read API token."""

from __future__ import annotations

import pytest

from tests.helpers import create_workspace, join_workspace, register


@pytest.fixture
def forum(api):
    owner = register(api, "olive")
    ws = create_workspace(api, owner, "Acme")
    member = register(api, "mark")
    join_workspace(ws, member)
    key = api.post(
        f"/v1/workspaces/{ws['id']}/public-keys", {"domains": ["example.com"]}, token=owner.access_token
    ).data["key"]
    secret = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "site", "scopes": ["comments:read"]}, token=owner.access_token
    ).data["token"]
    return {"ws": ws, "owner": owner, "member": member, "key": key, "secret": secret}
