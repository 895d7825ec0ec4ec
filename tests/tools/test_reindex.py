"""python -m tools.operator reindex: history the worker never indexed becomes searchable, through
the worker's own service functions, by Queries only, at a bounded read rate."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.ids import new_id
from chalicelib.services import search
from tests.functional.searching import create_channel, ready_file
from tests.helpers import Account, Api, create_workspace, join_workspace, register
from tools import operator, reindex


@pytest.fixture
def search_db(tmp_path, monkeypatch):
    """A fresh index file (set before the backend fixture reads the settings)."""
    monkeypatch.setenv("SEARCH_DB", str(tmp_path / "search.db"))


@pytest.fixture
def history(search_db, api: Api) -> dict[str, Any]:
    """Messages, a thread, a private channel, a file and people, written over the API with no
    indexer running (as on a stage where search was not configured)."""
    owner, member, outsider = register(api, "olivia"), register(api, "marco"), register(api, "pablo")
    ws = create_workspace(api, owner)
    join_workspace(ws, member)
    join_workspace(ws, outsider)
    general = ws["generalChannelId"]
    secret = create_channel(api, owner, ws["id"], "secret", "private")
    added = api.post(f"/v1/channels/{secret}/members", {"userIds": [member.user_id]}, token=owner.access_token)
    assert added.status == 200, added.body
    sent = {
        "public": _send(api, owner, general, "the quarterly invoices are out"),
        "private": _send(api, owner, secret, "secret invoices for the acquisition"),
    }
    sent["reply"] = _send(api, member, general, "invoice 42 was paid", threadId=sent["public"])
    for n in range(5):
        _send(api, member, general, f"filler message {n}")
    item = ready_file(ws["id"], owner.user_id, "invoice-template.xlsx", channel_id=general)
    return {"ws": ws, "owner": owner, "member": member, "outsider": outsider, "sent": sent, "file": item.id}


def _send(api: Api, account: Account, channel_id: str, content: str, **extra: Any) -> str:
    answer = api.post(f"/v1/channels/{channel_id}/messages", {"content": content, **extra}, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data["id"]


def _ids(api: Api, account: Account, workspace_id: str, q: str, kind: str = "messages") -> set[str]:
    answer = api.get(f"/v1/workspaces/{workspace_id}/search?q={q}&type={kind}", token=account.access_token)
    assert answer.status == 200, answer.body
    return {item["id"] for item in answer.data}


def test_history_replies_files_and_people_become_searchable_private_stays_private(api, history, capsys):
    ws, sent = history["ws"], history["sent"]
    owner, member, outsider = history["owner"], history["member"], history["outsider"]
    assert _ids(api, member, ws["id"], "invoice") == set()  # nothing was indexed

    assert operator.main(["reindex", "--workspace", ws["id"]]) == 0

    everything = {sent["public"], sent["private"], sent["reply"]}
    assert _ids(api, member, ws["id"], "invoice") == everything  # stemmed: invoice finds invoices
    assert _ids(api, outsider, ws["id"], "invoice") == everything - {sent["private"]}
    assert _ids(api, owner, ws["id"], "invoice", "files") == {history["file"]}
    assert _ids(api, owner, ws["id"], "pablo", "users") == {outsider.user_id}
    out, err = capsys.readouterr()
    assert f"reindexed workspace {ws['id']}: 9 messages (1 replies) in 2 channels, 1 files, 3 people" in out
    assert "messages/s" in out and "DynamoDB reads" in out
    assert "reindex" in err  # the progress bar, on stderr


def test_rerunning_is_harmless_and_kinds_narrow_the_work(api, history, capsys):
    ws = history["ws"]
    assert operator.main(["reindex", "--workspace", ws["id"], "--no-progress"]) == 0
    first = capsys.readouterr().out
    assert "12 documents written" in first  # 8 messages (the 9th, "marco was added", is a system one), 1 file, 3 people

    again = reindex.reindex(ws["id"], progress=False)
    assert (again.messages, again.files, again.users, again.changed) == (9, 1, 3, 0)  # all current
    assert _ids(api, history["member"], ws["id"], "invoice") == set(history["sent"].values())

    people = reindex.reindex(ws["id"], ("users",), progress=False)
    assert (people.messages, people.files, people.users, people.channels) == (0, 0, 3, 0)


def test_reads_are_queries_never_scans_at_the_configured_rate(api, history):
    """A fake clock: the bucket's sleeps advance it, and each read call notes the time it was let
    through. Over the run, reads never get ahead of burst + rate x elapsed."""
    now = [0.0]
    stamps: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    bucket = reindex.TokenBucket(rate=4, burst=1, clock=lambda: now[0], sleep=sleep)
    original_take = bucket.take

    def take(n: float = 1.0) -> None:
        original_take(n)
        stamps.append(now[0])

    bucket.take = take  # type: ignore[method-assign]
    counts = reindex.reindex(history["ws"]["id"], bucket=bucket, progress=False, clock=lambda: now[0])

    assert counts.reads == len(stamps) > 10
    for n, at in enumerate(stamps, 1):
        assert n <= 1 + 4 * at + 1e-9  # burst 1, then 4 a second
    assert counts.elapsed == pytest.approx((len(stamps) - 1) / 4)  # and no slower than the rate either
    assert counts.elapsed > 0


def test_a_scan_is_refused(api, search_db):
    from chalicelib.store.models import Entity

    with pytest.raises(RuntimeError, match="never Scan"), reindex.limited_reads(reindex.TokenBucket(100)):
        list(Entity.scan(limit=1))


def test_unknown_workspace_bad_arguments_and_no_engine_exit_non_zero(api, search_db, capsys, monkeypatch):
    assert operator.main(["reindex", "--workspace", "01a2088c-37fa-72c1-8671-8ba9a11937e0"]) == 1
    assert "no workspace 01a2088c-37fa-72c1-8671-8ba9a11937e0" in capsys.readouterr().err
    assert operator.main(["reindex", "--workspace", "nope"]) == 2
    assert operator.main(["reindex", "--workspace", new_id(), "--kinds", "messages,pins"]) == 2
    assert "not: pins" in capsys.readouterr().err
    assert operator.main(["reindex", "--workspace", new_id(), "--rate", "0"]) == 2
    monkeypatch.setattr(search, "configured", lambda: False)
    assert operator.main(["reindex", "--workspace", new_id()]) == 1
    assert "Search is not configured" in capsys.readouterr().err
