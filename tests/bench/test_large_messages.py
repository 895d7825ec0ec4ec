"""The largest messages' scenario: the worst send and edit within their write budgets,
the history page of 40,000-emoji messages cut under 5 MB, and the notes' figures."""

from __future__ import annotations

from bench import large_messages
from bench.endpoints import Runner
from bench.recorder import Recorder
from tests.helpers import create_workspace, register


def test_the_largest_messages_are_measured_within_their_budgets(client, api):
    owner = register(api, "bench")
    workspace = create_workspace(api, owner)
    recorder = Recorder()
    recorder.install()
    try:
        runner = Runner(client, recorder)
        notes = large_messages.scenario(runner, owner.access_token, workspace["id"])
    finally:
        recorder.uninstall()
    rows = [(m.endpoint, m.status, m.budget.text if m.budget else None) for m in runner.measurements]
    assert rows == [
        ("POST /v1/channels/{id}/messages", 201, "calls <= 2, WCU <= 160"),
        ("POST /v1/channels/{id}/messages", 201, "calls <= 2, WCU <= 45"),
        ("PATCH /v1/messages/{id}", 200, "calls <= 3, WCU <= 45"),
        ("GET /v1/channels/{id}/messages", 200, "calls <= 2, RCU <= 130"),
    ]
    assert [m.result for m in runner.measurements] == ["PASS"] * 4, notes
    assert "over the 350,000-byte item budget" in notes[2]  # the mailto HTML as a string
    assert "History page: 5 of 12 messages (hasMore true)" in notes[3]
    assert "compressed storage" in notes[4]
