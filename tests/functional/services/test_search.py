"""The search service without HTTP: readable channels from the store, plan horizon, hydration
and highlighting (tests/functional/api/test_search.py covers the route)."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib import config
from chalicelib.auth.principal import Principal
from chalicelib.errors import NotFound, ValidationError
from chalicelib.services import search
from chalicelib.store import workspaces as workspace_store
from tests.functional.searching import create_channel, send_indexed
from tests.helpers import create_workspace, register


@pytest.fixture
def search_db(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCH_DB", str(tmp_path / "search.db"))


def _as(account) -> Principal:
    return Principal(account.user_id, "session")


def test_results_are_hydrated_highlighted_and_permission_filtered(search_db, api, team):
    ws, owner, member = team
    assert config.get_settings().search_db.endswith("search.db")  # a file of this test
    sent = send_indexed(api, owner, ws["generalChannelId"], "The deploy notes are ready")
    secret = create_channel(api, owner, ws["id"], "secret", "private")
    send_indexed(api, owner, secret, "deploy the secret")

    results, cursor = search.search(_as(member), ws["id"], search.Criteria(q="deploy"))
    assert [r.message.id for r in results] == [sent["id"]]
    assert results[0].channel.id == ws["generalChannelId"]
    assert results[0].content_html == "<p>The <mark>deploy</mark> notes are ready</p>"
    assert cursor is None
    assert len(search.search(_as(owner), ws["id"], search.Criteria(q="deploy"))[0]) == 2


def test_free_horizon_comes_from_settings_and_the_plan(search_db, api, team, monkeypatch):
    ws, owner, _ = team
    small = dataclasses.replace(config.get_settings(), search_free_horizon=1)
    monkeypatch.setattr(search, "get_settings", lambda: small)
    send_indexed(api, owner, ws["generalChannelId"], "budget one")
    send_indexed(api, owner, ws["generalChannelId"], "budget two")
    assert len(search.search(_as(owner), ws["id"], search.Criteria(q="budget"))[0]) == 1
    workspace_store.set_plan(ws["id"], "pro")
    assert len(search.search(_as(owner), ws["id"], search.Criteria(q="budget"))[0]) == 2


def test_outsiders_get_404_and_bad_queries_name_q(search_db, api, team):
    ws, _, _ = team
    stranger = register(api, "stella")
    create_workspace(api, stranger, "Elsewhere")
    with pytest.raises(NotFound):
        search.search(_as(stranger), ws["id"], search.Criteria(q="x"))
    with pytest.raises(ValidationError) as raised:
        search.search(_as(team[1]), ws["id"], search.Criteria(q='"open'))
    assert raised.value.field == "q"
