"""Admin v2 over real HTTP in the local runtime: an Admin Access Token creates a channel with
a form body (bracket metadata, key[] tags), queries it with JSON, mutes it (its owner, an
admin, still posts on v1), and unknown paths at any depth and wrong methods answer in the
Admin v2 error shape."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.accounts import admin_console
from tests.e2e.harness import Devserver

pytestmark = pytest.mark.e2e


def test_the_admin_console_over_http(server: Devserver) -> None:
    api, suffix = server.base_url, uuid.uuid4().hex[:8]
    console = admin_console(server, f"adm{suffix}", f"Console {suffix}")
    owner, admin = console.owner, console.headers

    created = requests.post(
        f"{api}/api/v2/channel",
        data=[("channelId", "town-hall"), ("type", "standard"), ("metadata[floor]", "2"), ("tags[]", "news")],
        headers=admin,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    channel = created.json()["channels"][0]
    assert (channel["channelId"], channel["metadata"], channel["tags"]) == ("town-hall", {"floor": "2"}, ["news"])

    found = requests.post(f"{api}/api/v2/channels", json={"tags": ["news"]}, headers=admin, timeout=10)
    assert [c["channelId"] for c in found.json()["channels"]] == ["town-hall"]
    assert found.json()["paging"] == {"next": None, "previous": None}

    muted = requests.put(f"{api}/api/v2/channel/town-hall/mute", json={}, headers=admin, timeout=10)
    assert muted.status_code == 200 and muted.json()["channels"][0]["isMuted"] is True
    posted = requests.post(
        f"{api}/v1/channels/{channel['v1ChannelId']}/messages",
        json={"content": "hi"},
        headers=owner.headers,
        timeout=10,
    )
    assert posted.status_code == 201, posted.text

    for path in ("/api/v2/nope", "/api/v2/a/b/c/d"):
        missing = requests.post(f"{api}{path}", headers=admin, timeout=10)
        assert (missing.status_code, missing.json()["type"], missing.json()["status"]) == (404, "E_NOT_FOUND", "error")
    wrong = requests.get(f"{api}/api/v2/channels", headers=admin, timeout=10)
    assert (wrong.status_code, wrong.json()["code"], wrong.headers["Allow"]) == (405, 405, "POST")
    login_token = requests.post(f"{api}/api/v2/channels", headers=owner.headers, timeout=10)
    assert (login_token.status_code, login_token.json()["type"]) == (401, "E_AUTHN_INVALID_TOKEN")
