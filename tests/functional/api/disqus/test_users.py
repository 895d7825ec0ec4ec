"""users/details, users/listForums and users/listActiveForums over HTTP: who may see whom,
the e-mail rule and cursor paging (docs/disqus.md, Users)."""

from __future__ import annotations

import pytest

from tests.functional.api.disqus.calls import ORIGIN, call
from tests.helpers import create_workspace, join_workspace, register


@pytest.fixture
def people(api):
    """olive owns "acme" (with a public key and an API token); mia is a member; sam owns
    "side" alone and shares nothing with them."""
    olive, mia, sam = register(api, "olive"), register(api, "mia"), register(api, "sam")
    ws = create_workspace(api, olive, "Acme")
    join_workspace(ws, mia)
    create_workspace(api, sam, "Side")
    key = api.post(
        f"/v1/workspaces/{ws['id']}/public-keys", {"domains": ["example.com"]}, token=olive.access_token
    ).data["key"]
    secret = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "site", "scopes": ["comments:read"]}, token=olive.access_token
    ).data["token"]
    return {"olive": olive, "mia": mia, "sam": sam, "ws": ws, "key": key, "secret": secret}


def test_details_by_id_by_username_and_by_default_the_caller(client, people):
    olive, mia = people["olive"], people["mia"]
    by_id = call(client, "GET", "users/details.json", {"user": mia.user_id, "access_token": olive.access_token})
    by_name = call(client, "GET", "users/details.json", {"user:username": "mia", "access_token": olive.access_token})
    assert by_id.status == 200 and by_id.code == 0, by_id.text
    assert by_id.json["response"] == by_name.json["response"]
    assert by_id.json["response"]["id"] == mia.user_id
    assert by_id.json["response"]["username"] == "mia"
    assert by_id.json["response"]["name"] == "Mia"
    me = call(client, "GET", "users/details.json", {"access_token": mia.access_token})
    assert me.json["response"]["id"] == mia.user_id


def test_email_only_to_the_user_themselves_with_their_access_token(client, people):
    olive, mia = people["olive"], people["mia"]
    own = call(client, "GET", "users/details.json", {"access_token": mia.access_token})
    assert own.json["response"]["email"] == mia.email
    others = [
        call(client, "GET", "users/details.json", {"user": mia.user_id, "access_token": olive.access_token}),
        call(client, "GET", "users/details.json", {"user": mia.user_id, "api_secret": people["secret"]}),
        call(client, "GET", "users/details.json", {"user": mia.user_id, "api_key": people["key"]}, headers=ORIGIN),
        call(
            client,
            "GET",
            "users/details.jsonp",
            {"user": mia.user_id, "api_key": people["key"], "callback": "cb"},
            headers=ORIGIN,
        ),
    ]
    for answer in others:
        assert answer.status == 200, answer.text
        assert mia.email not in answer.text
        assert "email" not in answer.text
        assert mia.user_id in answer.text


def test_a_user_sharing_no_workspace_is_not_found(client, people):
    olive, sam = people["olive"], people["sam"]
    for query in (
        {"user": sam.user_id, "access_token": olive.access_token},
        {"user:username": "sam", "access_token": olive.access_token},
        {"user": sam.user_id, "api_secret": people["secret"]},
        {"user": "usr_nobody", "access_token": olive.access_token},
    ):
        answer = call(client, "GET", "users/details.json", query)
        assert answer.status == 400, answer.text
        assert answer.code == 8  # NotFound: "object not found"
        assert "sam@example.com" not in answer.text
    forums = call(client, "GET", "users/listForums.json", {"user": sam.user_id, "access_token": olive.access_token})
    assert forums.code == 8


def test_list_forums_pages_with_a_cursor(client, api, people):
    olive = people["olive"]
    for name in ("Beta", "Gamma"):
        create_workspace(api, olive, name)
    first = call(client, "GET", "users/listForums.json", {"access_token": olive.access_token, "limit": 2})
    assert first.status == 200, first.text
    assert len(first.json["response"]) == 2
    assert first.json["cursor"]["hasNext"] is True
    second = call(
        client,
        "GET",
        "users/listForums.json",
        {"access_token": olive.access_token, "limit": 2, "cursor": first.json["cursor"]["next"]},
    )
    assert second.json["cursor"]["hasNext"] is False
    slugs = [f["id"] for f in first.json["response"] + second.json["response"]]
    assert sorted(slugs) == ["acme", "beta", "gamma"]
    active = call(client, "GET", "users/listActiveForums.json", {"access_token": olive.access_token, "limit": 5})
    assert sorted(f["id"] for f in active.json["response"]) == ["acme", "beta", "gamma"]


def test_another_users_forums_are_only_the_shared_ones(client, api, people):
    olive, mia = people["olive"], people["mia"]
    create_workspace(api, mia, "Mine")  # mia's own: olive is not in it
    seen = call(client, "GET", "users/listForums.json", {"user": mia.user_id, "access_token": olive.access_token})
    assert [f["id"] for f in seen.json["response"]] == ["acme"]
    own = call(client, "GET", "users/listForums.json", {"access_token": mia.access_token})
    assert sorted(f["id"] for f in own.json["response"]) == ["acme", "mine"]
    by_key = call(
        client, "GET", "users/listForums.json", {"user": mia.user_id, "api_key": people["key"]}, headers=ORIGIN
    )
    assert [f["id"] for f in by_key.json["response"]] == ["acme"]
