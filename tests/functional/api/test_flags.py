"""Flags: a message or a member, once per flagger, the count exact (Disqus posts/report
writes the same flags: tests/functional/api/disqus/test_post_rules.py)."""

from __future__ import annotations

from chalicelib.store import flags as flag_store
from tests.helpers import create_workspace, join_workspace, register


def test_a_message_is_flagged_once_per_flagger(api):
    jane, bob, carol = (register(api, n) for n in ("jane", "bob", "carol"))
    ws = create_workspace(api, jane)
    join_workspace(ws, bob)
    join_workspace(ws, carol)
    sent = api.post(f"/v1/channels/{ws['generalChannelId']}/messages", {"content": "hi"}, token=jane.access_token)
    path = f"/v1/messages/{sent.data['id']}/flag"
    first = api.post(path, {"reason": "spam"}, token=bob.access_token)
    assert (first.status, first.data["flagCount"]) == (201, 1)
    again = api.post(path, {}, token=bob.access_token)
    assert (again.status, again.data["flagCount"]) == (200, 1)  # nothing changed
    assert api.post(path, {}, token=carol.access_token).data["flagCount"] == 2
    own = api.post(path, {}, token=jane.access_token)
    assert own.status == 400
    long = api.post(path, {"reason": "x" * 501}, token=carol.access_token)
    assert long.status == 400 and long.body["error"]["field"] == "reason"
    stranger = register(api, "eve")
    assert api.post(path, {}, token=stranger.access_token).status == 404
    assert flag_store.flagged_by(sent.data["id"], bob.user_id)


def test_a_member_is_flagged_once_per_flagger(api):
    jane, bob = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, jane)
    join_workspace(ws, bob)
    path = f"/v1/users/{bob.user_id}/flag"
    assert api.post(path, {"workspaceId": ws["id"], "reason": "rude"}, token=jane.access_token).status == 201
    assert api.post(path, {"workspaceId": ws["id"]}, token=jane.access_token).status == 200
    assert flag_store.user_flag_count(ws["id"], bob.user_id) == 1
    outsider = register(api, "eve")
    assert (
        api.post(f"/v1/users/{outsider.user_id}/flag", {"workspaceId": ws["id"]}, token=jane.access_token).status == 404
    )
    assert api.post(path, {"workspaceId": ws["id"]}, token=outsider.access_token).status == 404
    assert api.post(f"/v1/users/{jane.user_id}/flag", {"workspaceId": ws["id"]}, token=jane.access_token).status == 400
