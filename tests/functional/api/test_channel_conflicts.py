"""Conditions in mixed transactions are reported by name, whatever order pynamodb
sends the operations in (deletes, then puts, then updates)."""

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.ids import now_iso
from chalicelib.services import channels as channel_service
from chalicelib.store import channels as channel_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import ConditionFailed
from tests.helpers import create_workspace, register


def test_renaming_to_a_taken_name_is_a_conflict(api):
    owner = register(api, "rena")
    ws = create_workspace(api, owner, "Renames")
    first = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "alpha"}, token=owner.access_token).data
    api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "beta"}, token=owner.access_token)
    answer = api.patch(f"/v1/channels/{first['id']}", {"name": "beta"}, token=owner.access_token)
    assert (answer.status, answer.error["code"], answer.error["field"]) == (409, "E_CONFLICT", "name")
    assert api.get(f"/v1/channels/{first['id']}", token=owner.access_token).data["name"] == "alpha"


def test_a_join_racing_an_archive_is_refused_as_archived(api):
    owner, other = register(api, "arch"), register(api, "late")
    ws = create_workspace(api, owner, "Archives")
    created = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "old"}, token=owner.access_token).data
    workspace_store.new_membership(ws["id"], other.user_id, "member", now_iso()).save()
    seen = channel_service.access(Principal(user_id=other.user_id, kind="session"), created["id"], "channels:write")
    assert (
        api.delete(f"/v1/channels/{created['id']}", token=owner.access_token).status == 200
    )  # archived after the read
    member = channel_store.new_member(seen.channel, other.user_id, "member", now_iso())
    with pytest.raises(ConditionFailed):
        channel_store.add_member(seen.channel, member, channel_service._event("member.joined", seen.channel))
    assert api.get(f"/v1/channels/{created['id']}", token=owner.access_token).data["memberCount"] == 1


def test_listing_ends_with_the_public_channels_when_you_have_no_private_ones(api):
    owner = register(api, "solo")
    ws = create_workspace(api, owner, "Solo")
    answer = api.get(f"/v1/workspaces/{ws['id']}/channels", token=owner.access_token)
    assert [c["name"] for c in answer.data] == ["general"]
    assert answer.body["pagination"] == {"hasMore": False, "nextCursor": None}
    secret = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "secret", "type": "private"}, token=owner.access_token
    ).data
    first = api.get(f"/v1/workspaces/{ws['id']}/channels", token=owner.access_token)
    assert first.body["pagination"]["hasMore"] is True  # the private phase follows
    rest = api.get(
        f"/v1/workspaces/{ws['id']}/channels?cursor={first.body['pagination']['nextCursor']}", token=owner.access_token
    )
    assert [c["id"] for c in rest.data] == [secret["id"]] and rest.body["pagination"]["hasMore"] is False
    assert api.post(f"/v1/channels/{secret['id']}/leave", token=owner.access_token).status == 204
    again = api.get(f"/v1/workspaces/{ws['id']}/channels", token=owner.access_token)
    assert again.body["pagination"] == {"hasMore": False, "nextCursor": None}
