"""docs/webhooks.md is current, covers the catalog, and its examples have the shape of
the events the code really emits (driven through the API, read off the stream)."""

from pathlib import Path
from urllib.parse import quote

from chalicelib.auth.principal import Principal
from chalicelib.services import comment_threads, files, posts
from chalicelib.services.comment_threads import Lookup
from chalicelib.services.webhook_catalog import EVENT_TYPES, SUBSCRIBABLE
from chalicelib.store import files as file_store
from chalicelib.workers import router
from tests.functional.workers.pipeline import StreamReader
from tests.helpers import create_workspace, join_workspace, register
from tools import webhooks_doc

DOCUMENT = Path(__file__).parents[2] / "docs" / "webhooks.md"


def test_document_is_up_to_date():
    assert DOCUMENT.read_text() == webhooks_doc.render(), "run `make webhooks-doc`"


def test_every_type_is_documented_and_routed_to_the_webhooks_queue():
    examples = webhooks_doc.examples()
    assert list(examples) == list(EVENT_TYPES)
    assert all(e["type"] == kind and e["data"] for kind, e in examples.items())
    assert router.SUBSCRIPTIONS["webhooks"] == SUBSCRIBABLE and "ping" not in SUBSCRIBABLE
    for kind in SUBSCRIBABLE:
        assert "webhooks" in router.ROUTES[kind]
    text = DOCUMENT.read_text()
    assert all(f"### {kind}\n" in text for kind in EVENT_TYPES)


def _emitted(reader):
    found = {}
    for record in reader.read():
        for event in router.events_from_record(record):
            found.setdefault(event["type"], []).append(event["data"])
    return found


def test_examples_have_the_shape_of_real_events(api):
    owner, sam, max_ = register(api, "jane"), register(api, "sam"), register(api, "max")
    ws = create_workspace(api, owner)
    join_workspace(ws, max_)
    reader = StreamReader()
    token = owner.access_token
    # the workspace: joining through an invite, leaving, being removed
    code = api.post(f"/v1/workspaces/{ws['id']}/invites", {}, token=token).data["code"]
    assert api.post(f"/v1/invites/{code}/accept", token=sam.access_token).status == 200
    # channels
    channel = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "deploys"}, token=token).data
    path = f"/v1/channels/{channel['id']}"
    assert api.patch(path, {"topic": "Ship it"}, token=token).status == 200
    assert api.post(f"{path}/members", {"userIds": [sam.user_id, max_.user_id]}, token=token).status == 200
    assert api.post(f"{path}/leave", token=sam.access_token).status == 204
    assert api.delete(f"{path}/members/{max_.user_id}", token=token).status == 204
    # messages and reactions
    sent = api.post(f"{path}/messages", {"content": "hi @sam"}, token=token).data
    message = f"/v1/messages/{sent['id']}"
    assert api.patch(message, {"content": "hello @sam"}, token=token).status == 200
    assert api.post(f"{message}/reactions", {"emoji": "🚀"}, token=token).status in (200, 201)
    assert api.delete(f"{message}/reactions/{quote('🚀')}", token=token).status in (200, 204)
    assert api.delete(message, token=token).status in (200, 204)
    assert api.delete(path, token=token).status == 200
    assert api.post(f"{path}/unarchive", token=token).status == 200
    assert api.delete(f"/v1/workspaces/{ws['id']}/members/{sam.user_id}", token=token).status == 204
    assert api.delete(f"/v1/workspaces/{ws['id']}/members/{max_.user_id}", token=max_.access_token).status == 204
    # a file through the processor's own transition (inspection stubbed: no S3 object here)
    for index, outcome in enumerate(
        ({"status": "ready", "thumbnails": {}}, {"status": "rejected", "reason": "infected"})
    ):
        item = file_store.new_file(
            f"0190b6a4-3000-7000-8000-0000000000{index:02d}",
            ws["id"],
            uploader_id=owner.user_id,
            filename="a.png",
            content_type="image/png",
            kind="image",
            size=10,
            created_at="2026-01-01T00:00:00Z",
        )
        file_store.put(item)
        original = files._inspect_and_promote
        files._inspect_and_promote = lambda _item, o=outcome: {**o, "processed_at": "2026-01-01T00:00:01Z"}
        try:
            files.process_upload(item.object_key)
        finally:
            files._inspect_and_promote = original
    assert api.delete(f"/v1/files/{item.id}", token=token).status == 204  # the rejected one
    # a Disqus vote (a post is a message of a comments thread: its events are message.*)
    me = Principal(user_id=owner.user_id, kind="session")
    thread = comment_threads.create(me, ws["slug"], title="Comments").thread
    posted = posts.create(me, Lookup(thread_id=thread.id), "a comment")
    posts.vote_post(me, posted.post.id, 1)
    # an Admin v2 close (channel.didClose)
    admin = {"name": "console", "scopes": ["admin"]}
    admin_token = api.post(f"/v1/workspaces/{ws['id']}/tokens", admin, token=token).data["token"]
    assert api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "closing"}, token=token).status == 201
    # Admin v2 bans: a channel's (member.banned / member.unbanned with channelId), then a global one
    ben = register(api, "ben")
    join_workspace(ws, ben)
    for route in ("channel/closing/users/ban", "channel/closing/users/unban", "users/ban", "users/unban"):
        assert api.post(f"/api/v2/{route}", {"userIds": [ben.user_id]}, token=admin_token).status == 200
    assert api.post("/api/v2/channel/closing/close", {}, token=admin_token).status == 200

    emitted = _emitted(reader)
    examples = webhooks_doc.example_data()
    # A file event does not name the file (it may be meant for a private channel).
    assert not any(
        "filename" in data for kind in ("file.ready", "file.rejected", "file.deleted") for data in emitted[kind]
    )
    channel_member_keys = {"workspaceId", "channelId", "userId"}
    for kind in SUBSCRIBABLE:
        assert kind in emitted, f"{kind} was not emitted"
        shapes = {frozenset(data) for data in emitted[kind]}
        documented = frozenset(examples[kind])
        if kind.startswith("member."):
            workspace_shapes = {s for s in shapes if "channelId" not in s}
            assert documented in workspace_shapes, (kind, workspace_shapes)
            assert all(channel_member_keys <= s for s in shapes - workspace_shapes)
        else:
            assert shapes == {documented}, (kind, shapes, documented)
