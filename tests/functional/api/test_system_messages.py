"""System messages: joins, renames and pins leave a trace in the channel."""

from tests.helpers import create_workspace, register


def _history(api, account, channel_id):
    return api.get(f"/v1/channels/{channel_id}/messages", token=account.access_token).data


def test_join_rename_and_pin_write_system_messages(api):
    owner, other = register(api, "ann"), register(api, "bob")
    ws = create_workspace(api, owner)
    link = api.post(f"/v1/workspaces/{ws['id']}/invites", {}, token=owner.access_token).data
    assert api.post(f"/v1/invites/{link['code']}/accept", token=other.access_token).status == 200
    general = _history(api, owner, ws["generalChannelId"])
    assert [(m["type"], m["authorId"], m["content"]) for m in general] == [("system", other.user_id, "joined #general")]

    channel = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "plans"}, token=owner.access_token).data
    assert api.post(f"/v1/channels/{channel['id']}/join", token=other.access_token).status == 200
    api.patch(f"/v1/channels/{channel['id']}", {"name": "roadmap"}, token=owner.access_token)
    api.patch(f"/v1/channels/{channel['id']}", {"topic": "no trace for a topic"}, token=owner.access_token)
    sent = api.post(f"/v1/channels/{channel['id']}/messages", {"content": "ship it"}, token=owner.access_token).data
    api.post(f"/v1/channels/{channel['id']}/pins", {"messageId": sent["id"]}, token=other.access_token)

    history = [(m["type"], m["content"]) for m in reversed(_history(api, owner, channel["id"]))]
    assert history == [
        ("system", "joined #plans"),
        ("system", "renamed the channel from #plans to #roadmap"),
        ("message", "ship it"),
        ("system", "pinned a message to this channel"),
    ]
    pin_notice = _history(api, owner, channel["id"])[0]
    assert pin_notice["attachments"] == [{"kind": "pin", "messageId": sent["id"]}]
    assert pin_notice["contentHtml"] == "<p>pinned a message to this channel</p>"


def test_adding_someone_else_says_so(api):
    owner, other = register(api, "ann"), register(api, "bob")
    ws = create_workspace(api, owner)
    link = api.post(f"/v1/workspaces/{ws['id']}/invites", {}, token=owner.access_token).data
    api.post(f"/v1/invites/{link['code']}/accept", token=other.access_token)
    channel = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "ops"}, token=owner.access_token).data
    api.post(f"/v1/channels/{channel['id']}/members", {"userIds": [other.user_id]}, token=owner.access_token)
    (notice,) = _history(api, owner, channel["id"])
    assert (notice["type"], notice["authorId"], notice["content"]) == ("system", other.user_id, "was added to #ops")


def test_a_failed_join_writes_no_system_message(api):
    owner = register(api, "ann")
    ws = create_workspace(api, owner)
    channel = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "ops"}, token=owner.access_token).data
    assert api.post(f"/v1/channels/{channel['id']}/join", token=owner.access_token).data == {"joined": False}
    assert _history(api, owner, channel["id"]) == []
