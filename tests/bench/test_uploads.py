"""The files endpoints' scenario: every request measured once, presign and confirm
judged, the upload processed through the files queue."""

from __future__ import annotations

from bench import uploads
from bench.endpoints import Runner
from bench.recorder import Recorder
from tests.helpers import create_workspace, register


def test_every_files_endpoint_is_measured_once(client, api):
    owner = register(api, "bench")
    workspace = create_workspace(api, owner)
    recorder = Recorder()
    recorder.install()
    try:
        runner = Runner(client, recorder)
        notes = uploads.scenario(runner, owner.access_token, workspace["id"], workspace["generalChannelId"])
    finally:
        recorder.uninstall()
    rows = [(m.endpoint, m.status, m.budget.text if m.budget else None) for m in runner.measurements]
    assert rows == [
        ("POST /v1/files/presign", 201, "calls <= 2"),
        ("POST /v1/files/{id}/confirm", 200, "calls <= 2"),
        ("GET /v1/files/{id}", 200, None),
        ("GET /v1/files/{id}/download", 302, None),
        ("GET /v1/workspaces/{id}/files", 200, None),
        ("POST /v1/channels/{id}/messages", 201, None),
        ("DELETE /v1/files/{id}", 204, None),
    ]
    assert all(m.result in ("PASS", "-") for m in runner.measurements)
    assert "3 messages" in notes[0]  # S3's test event, the notification, confirm's nudge
    assert f"{uploads.LISTED - 1} copies" in notes[1]
    page = api.get(f"/v1/workspaces/{workspace['id']}/files", token=owner.access_token)
    assert len(page.data) == 50  # a full page of copies (the file itself was deleted last)
    assert {f["status"] for f in page.data} == {"ready"}
