"""Search over HTTP and through the service: permissions from the store at query time, <mark>
highlights, the query parameters, the Free-plan horizon, errors. Documents are indexed straight
through the service layer here (the indexer worker has its own pipeline test)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chalicelib import config
from chalicelib.services import search
from chalicelib.store import workspaces as workspace_store
from tests.functional.searching import create_channel, ready_file, send_indexed
from tests.helpers import Account, Api, create_workspace, join_workspace, register


@pytest.fixture
def search_db(tmp_path, monkeypatch):
    """A fresh index file per test. Set before the backend fixture reads the settings: the
    Chalice test client swaps the environment, so settings must not be re-read inside it."""
    monkeypatch.setenv("SEARCH_DB", str(tmp_path / "search.db"))


@pytest.fixture
def world(search_db, api: Api) -> dict[str, Any]:
    owner = register(api, "olivia")
    member = register(api, "marco")
    workspace = create_workspace(api, owner)
    join_workspace(workspace, member)
    return {"owner": owner, "member": member, "ws": workspace}


def _search(api: Api, account: Account, workspace_id: str, **params: Any):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.get(f"/v1/workspaces/{workspace_id}/search?{query}", token=account.access_token)


def _ids(answer) -> list[str]:
    assert answer.status == 200, answer.body
    return [item["id"] for item in answer.data]


def test_message_results_carry_channel_and_highlighted_html(api, world):
    ws, owner, member = world["ws"], world["owner"], world["member"]
    sent = send_indexed(api, owner, ws["generalChannelId"], "Ship the **Déploiement** today")
    send_indexed(api, owner, ws["generalChannelId"], "nothing to see")
    answer = _search(api, member, ws["id"], q="deploiement")
    assert _ids(answer) == [sent["id"]]
    hit = answer.data[0]
    assert hit["channel"] == {"id": ws["generalChannelId"], "name": "general"}
    assert "<mark>Déploiement</mark>" in hit["contentHtml"]
    assert hit["contentHtml"].startswith("<p>") and "<strong>" in hit["contentHtml"]
    assert hit["content"] == "Ship the **Déploiement** today" and hit["authorId"] == owner.user_id
    assert answer.body["pagination"]["hasMore"] is False


def test_private_channel_only_for_its_members_and_gone_after_leaving(api, world):
    ws, owner, member = world["ws"], world["owner"], world["member"]
    secret = create_channel(api, owner, ws["id"], "secret", "private")
    hidden = send_indexed(api, owner, secret, "launch codes banana")
    public = send_indexed(api, owner, ws["generalChannelId"], "banana bread")

    assert _ids(_search(api, member, ws["id"], q="banana")) == [public["id"]]
    assert _ids(_search(api, member, ws["id"], q="codes")) == []
    # Naming the channel does not open it either.
    assert _ids(_search(api, member, ws["id"], q="banana", channelId=secret)) == []
    assert _ids(_search(api, member, ws["id"], q="banana in:%23secret")) == []

    added = api.post(f"/v1/channels/{secret}/members", {"userIds": [member.user_id]}, token=owner.access_token)
    assert added.status == 200, added.body
    assert set(_ids(_search(api, member, ws["id"], q="banana"))) == {hidden["id"], public["id"]}

    assert api.post(f"/v1/channels/{secret}/leave", token=member.access_token).status == 204
    assert _ids(_search(api, member, ws["id"], q="banana")) == [public["id"]]


def test_a_membership_from_before_the_ids_were_kept_still_reads_its_private_channels(api, world):
    """Items written before ``Membership.private_channel_ids`` existed carry only the count: the
    search falls back to the Query of the memberships and stays right (no backfill needed)."""
    from chalicelib.store import keys
    from chalicelib.store.models import Membership

    ws, owner = world["ws"], world["owner"]
    secret = create_channel(api, owner, ws["id"], "secret", "private")
    hidden = send_indexed(api, owner, secret, "launch codes banana")
    membership = Membership.get(keys.workspace(ws["id"]), keys.member(owner.user_id))
    assert membership.private_channel_ids == {secret} and membership.private_channels == 1
    membership.update(actions=[Membership.private_channel_ids.remove()])  # as an old item looks

    assert _ids(_search(api, owner, ws["id"], q="codes")) == [hidden["id"]]


def test_filters_from_in_and_sort_recent(api, world):
    ws, owner, member = world["ws"], world["owner"], world["member"]
    random = create_channel(api, owner, ws["id"], "random")
    first = send_indexed(api, owner, ws["generalChannelId"], "release plan")
    second = send_indexed(api, member, ws["generalChannelId"], "release plan again")
    third = send_indexed(api, owner, random, "release party")

    assert _ids(_search(api, member, ws["id"], q="release", sort="recent")) == [third["id"], second["id"], first["id"]]
    assert _ids(_search(api, member, ws["id"], q="release from:@marco")) == [second["id"]]
    assert set(_ids(_search(api, member, ws["id"], q="release", **{"from": "olivia"}))) == {first["id"], third["id"]}
    assert _ids(_search(api, member, ws["id"], q="release in:%23random")) == [third["id"]]
    assert _ids(_search(api, member, ws["id"], q="release", channelId=random)) == [third["id"]]
    assert _ids(_search(api, member, ws["id"], q="release from:@nobody")) == []
    assert _ids(_search(api, member, ws["id"], q="release", before="2000-01-01")) == []


def test_pages_follow_the_cursor(api, world):
    ws, owner = world["ws"], world["owner"]
    sent = [send_indexed(api, owner, ws["generalChannelId"], f"standup {n}")["id"] for n in range(5)]
    seen: list[str] = []
    answer = _search(api, owner, ws["id"], q="standup", sort="recent", limit=2)
    while True:
        seen += _ids(answer)
        cursor = answer.body["pagination"]["nextCursor"]
        if cursor is None:
            break
        answer = _search(api, owner, ws["id"], q="standup", sort="recent", limit=2, cursor=cursor)
    assert seen == list(reversed(sent))


def test_free_plan_horizon_and_upgrade(api, world, monkeypatch):
    ws, owner = world["ws"], world["owner"]
    small = dataclasses.replace(config.get_settings(), search_free_horizon=2)
    monkeypatch.setattr(search, "get_settings", lambda: small)
    old = send_indexed(api, owner, ws["generalChannelId"], "quarterly numbers")
    newer = [send_indexed(api, owner, ws["generalChannelId"], f"chatter {n}")["id"] for n in range(2)]
    assert _ids(_search(api, owner, ws["id"], q="quarterly")) == []
    assert set(_ids(_search(api, owner, ws["id"], q="chatter"))) == set(newer)
    workspace_store.set_plan(ws["id"], "pro")
    assert _ids(_search(api, owner, ws["id"], q="quarterly")) == [old["id"]]


def test_replies_are_found_and_hydrated(api, world):
    ws, owner = world["ws"], world["owner"]
    parent = send_indexed(api, owner, ws["generalChannelId"], "incident review")
    reply = send_indexed(api, owner, ws["generalChannelId"], "the postmortem is written", threadId=parent["id"])
    answer = _search(api, owner, ws["id"], q="postmortem")
    assert _ids(answer) == [reply["id"]]
    assert answer.data[0]["threadId"] == parent["id"]


@pytest.mark.parametrize("q", ['"unterminated', "", "from:@", "before:2026-13-45", "x" * 501])
def test_invalid_query_is_400_naming_q(api, world, q):
    answer = _search(api, world["owner"], world["ws"]["id"], q=q)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == "q"


def test_foreign_workspace_is_404(api, world):
    stranger = register(api, "stella")
    create_workspace(api, stranger, "Elsewhere")
    answer = _search(api, stranger, world["ws"]["id"], q="anything")
    assert answer.status == 404, answer.body


def test_bad_parameters_name_their_field(api, world):
    ws, owner = world["ws"], world["owner"]
    assert _search(api, owner, ws["id"], q="x", type="channels").error["field"] == "type"
    assert _search(api, owner, ws["id"], q="x", sort="oldest").error["field"] == "sort"
    assert _search(api, owner, ws["id"], q="x", cursor="garbage").error["field"] == "cursor"


def test_users_search_needs_users_read_and_highlights_names(api, world):
    ws, owner, member = world["ws"], world["owner"], world["member"]
    from chalicelib.store import users as user_store

    search.index_user(ws["id"], user_store.get_user(member.user_id), 1)
    answer = _search(api, owner, ws["id"], q="marc*", type="users")
    assert _ids(answer) == [member.user_id]
    assert answer.data[0]["usernameHtml"] == "<mark>marco</mark>"

    minted = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "bot", "scopes": ["messages:read"]}, token=owner.access_token
    )
    assert minted.status == 201, minted.body
    token = minted.data["token"]
    assert api.get(f"/v1/workspaces/{ws['id']}/search?q=marco&type=users", token=token).status == 403
    assert api.get(f"/v1/workspaces/{ws['id']}/search?q=marco", token=token).status == 200


def test_files_are_found_by_name_in_readable_channels_only(api, world):
    ws, owner, member = world["ws"], world["owner"], world["member"]
    secret = create_channel(api, owner, ws["id"], "secret", "private")
    shown = {}
    for channel_id, name in ((ws["generalChannelId"], "roadmap-2026.pdf"), (secret, "roadmap-salaries.pdf")):
        item = ready_file(ws["id"], owner.user_id, name)
        search.index_file(item, channel_id, 1)
        shown[name] = item.id

    answer = _search(api, member, ws["id"], q="roadmap", type="files")
    assert _ids(answer) == [shown["roadmap-2026.pdf"]]
    assert answer.data[0]["filenameHtml"] == "<mark>roadmap</mark>-2026.pdf"
    assert set(_ids(_search(api, owner, ws["id"], q="roadmap", type="files"))) == set(shown.values())


def _stage_without_search(monkeypatch) -> None:
    """An AWS stage (dev) with neither SEARCH_URL nor SEARCH_DB."""
    monkeypatch.setenv("DISQUA_STAGE", "dev")
    monkeypatch.delenv("SEARCH_DB", raising=False)
    monkeypatch.delenv("SEARCH_URL", raising=False)
    config.reset()


def test_engine_follows_the_stage_and_settings(monkeypatch):
    for stage, expected in (("test", "embedded"), ("local", "embedded"), ("dev", "none"), ("prod", "none")):
        monkeypatch.setenv("DISQUA_STAGE", stage)
        monkeypatch.delenv("SEARCH_DB", raising=False)
        monkeypatch.delenv("SEARCH_URL", raising=False)
        config.reset()
        assert config.get_settings().search_engine == expected, stage
    monkeypatch.setenv("SEARCH_DB", "/tmp/one-machine.db")  # dev stage, explicit: a single-machine deployment
    config.reset()
    assert config.get_settings().search_engine == "embedded"
    monkeypatch.setenv("SEARCH_URL", "https://search.example")
    config.reset()
    assert config.get_settings().search_engine == "opensearch"
    from chalicelib.search.opensearch import OpenSearchIndex

    opened = search.index()  # no request yet: the index is created on first use
    assert isinstance(opened, OpenSearchIndex) and opened.index_name == "disqua-prod"  # the stage's index
    assert search.index() is opened  # one client per process
    monkeypatch.setenv("SEARCH_URL", "https://search.example/shared-index")
    config.reset()
    assert search.index().index_name == "shared-index"
    for url in ("https://search.example", "https://search.example/shared-index"):
        search._indexes.pop(url)
    config.reset()


def test_search_not_configured_is_a_503_envelope(api, world, monkeypatch):
    stranger = register(api, "sven")
    _stage_without_search(monkeypatch)
    answer = _search(api, world["owner"], world["ws"]["id"], q="anything")
    assert answer.status == 503, answer.body
    assert answer.body["error"]["code"] == "E_UNAVAILABLE"
    assert "not configured" in answer.body["error"]["message"]
    # Outsiders still get 404, not a hint about the deployment.
    assert _search(api, stranger, world["ws"]["id"], q="anything").status == 404


def test_a_search_page_costs_two_dynamodb_calls_replies_and_channels_included(api, world):
    """Measured with the bench recorder: workspace access with the caller's private channels (the
    membership lists them; one BatchGetItem), then the page's messages, replies included, and their
    channels (one BatchGetItem), however many channels the workspace has or replies the page holds."""
    from bench.recorder import Recorder

    ws, owner = world["ws"], world["owner"]
    channels = [ws["generalChannelId"]] + [create_channel(api, owner, ws["id"], f"public-{i}") for i in range(3)]
    channels.append(create_channel(api, owner, ws["id"], "secret", "private"))
    parents = [send_indexed(api, owner, channel_id, f"budget item {channel_id}") for channel_id in channels]
    for parent, channel_id in zip(parents, channels, strict=True):
        send_indexed(api, owner, channel_id, "budget reply", threadId=parent["id"])

    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as calls:
            answer = _search(api, owner, ws["id"], q="budget", limit=50)
    finally:
        recorder.uninstall()
    assert len(_ids(answer)) == 10  # 5 messages + 5 replies, the private channel's too
    assert sum(1 for item in answer.data if item.get("threadId")) == 5
    handler = [c.operation for c in calls if c.phase == "handler"]
    assert handler == ["BatchGetItem", "BatchGetItem"], handler
    assert [c for c in calls if c.phase == "auth"] == []  # a user's access token is checked without a read
