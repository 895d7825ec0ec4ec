"""GET /v1/workspaces/{id}/threads: threads you started or replied in, most recent
activity first, kept by the threads worker from message.created events."""

from app import route_events, track_activity
from chalicelib.ids import now_iso
from chalicelib.store import channels as channel_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.outbox import new_event
from tests.functional.workers.pipeline import LambdaContext, StreamReader, deliver, sqs_event
from tests.helpers import create_workspace, register


def _join(workspace, account):
    workspace_store.new_membership(workspace["id"], account.user_id, "member", now_iso()).save()
    general = channel_store.get(workspace["generalChannelId"])
    member = channel_store.new_member(general, account.user_id, "member", now_iso())
    channel_store.add_member(general, member, new_event("member.joined", {}))


def _post(api, account, channel_id, content, thread_id=None):
    body = {"content": content, **({"threadId": thread_id} if thread_id else {})}
    answer = api.post(f"/v1/channels/{channel_id}/messages", body, token=account.access_token)
    assert answer.status == 201, answer.body
    return answer.data


def test_threads_are_listed_for_their_participants_by_latest_activity(api):
    reader = StreamReader()
    ann, bob, cid = register(api, "ann"), register(api, "bob"), register(api, "cid")
    ws = create_workspace(api, ann)
    _join(ws, bob)
    _join(ws, cid)
    general = ws["generalChannelId"]
    first = _post(api, ann, general, "first topic")
    second = _post(api, bob, general, "second topic")
    _post(api, bob, general, "no replies: not a thread")
    _post(api, cid, general, "reply to ann", first["id"])
    _post(api, ann, general, "reply to bob", second["id"])
    deliver(reader, "activity", track_activity)

    def listed(account):
        answer = api.get(f"/v1/workspaces/{ws['id']}/threads", token=account.access_token)
        assert answer.status == 200, answer.body
        return [m["id"] for m in answer.data]

    assert listed(ann) == [second["id"], first["id"]]  # she replied to bob's last
    assert listed(bob) == [second["id"]]
    assert listed(cid) == [first["id"]]
    _post(api, bob, general, "bob joins ann's thread", first["id"])
    deliver(reader, "activity", track_activity)
    assert listed(ann) == [first["id"], second["id"]]
    assert listed(bob) == [first["id"], second["id"]]


def test_a_redelivered_event_changes_nothing(api):
    reader = StreamReader()
    ann = register(api, "ann")
    ws = create_workspace(api, ann)
    parent = _post(api, ann, ws["generalChannelId"], "topic")
    _post(api, ann, ws["generalChannelId"], "reply", parent["id"])
    records = reader.read()
    route_events({"Records": records}, LambdaContext())
    route_events({"Records": records}, LambdaContext())  # the stream batch retried
    event, _ = sqs_event("activity")
    assert track_activity(event, LambdaContext()) == {"batchItemFailures": []}
    answer = api.get(f"/v1/workspaces/{ws['id']}/threads", token=ann.access_token)
    assert [m["id"] for m in answer.data] == [parent["id"]]


def test_threads_in_channels_you_left_are_hidden(api):
    reader = StreamReader()
    ann, bob = register(api, "ann"), register(api, "bob")
    ws = create_workspace(api, ann)
    _join(ws, bob)
    private = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "secret", "type": "private"}, token=ann.access_token
    ).data
    api.post(f"/v1/channels/{private['id']}/members", {"userIds": [bob.user_id]}, token=ann.access_token)
    parent = _post(api, ann, private["id"], "secret topic")
    _post(api, bob, private["id"], "secret reply", parent["id"])
    deliver(reader, "activity", track_activity)
    assert len(api.get(f"/v1/workspaces/{ws['id']}/threads", token=bob.access_token).data) == 1
    assert api.post(f"/v1/channels/{private['id']}/leave", token=bob.access_token).status == 204
    assert api.get(f"/v1/workspaces/{ws['id']}/threads", token=bob.access_token).data == []


def test_non_members_and_foreign_tokens(api):
    ann, eve = register(api, "ann"), register(api, "eve")
    ws = create_workspace(api, ann)
    answer = api.get(f"/v1/workspaces/{ws['id']}/threads", token=eve.access_token)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")


def test_last_message_at_follows_messages_and_never_moves_back(api):
    reader = StreamReader()
    ann = register(api, "ann")
    ws = create_workspace(api, ann)
    general = ws["generalChannelId"]
    sent = _post(api, ann, general, "hello")
    assert api.get(f"/v1/channels/{general}", token=ann.access_token).data["lastMessageAt"] is None  # not yet
    deliver(reader, "activity", track_activity)
    assert api.get(f"/v1/channels/{general}", token=ann.access_token).data["lastMessageAt"] == sent["createdAt"]
    channel_store.touch(general, "2020-01-01T00:00:00.000Z")  # a late, older event
    assert api.get(f"/v1/channels/{general}", token=ann.access_token).data["lastMessageAt"] == sent["createdAt"]
