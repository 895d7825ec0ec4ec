"""What each Admin v2 channel route costs in DynamoDB calls (bench/recorder.py, the handler's
calls; authentication is cached per warm Lambda): the figures in docs/admin-v2.md."""

from __future__ import annotations

from tests.functional.api.admin.test_channels import create


def ops(calls) -> list[str]:
    return [c.operation for c in calls if c.phase == "handler"]


def test_calls_per_route(console, recorder):
    with recorder.recording() as created:
        create(console, "lobby", tags=["a", "b"], userIds=[console.alice.user_id])
    # Admin check; userIds' memberships; create's admin check; the channel's transaction (name,
    # channel, creator, event, 2 tags); add_members: access (2), memberships, its transaction;
    # Admin check; userIds' memberships; create's own access check; the channel's transaction
    # (claim, channel, creator, event, 2 tags); add_members: the channel, memberships (2), its
    # transaction; the bundle's memberships and profiles.
    assert ops(created) == [
        "BatchGetItem",
        "BatchGetItem",
        "BatchGetItem",
        "TransactWriteItems",
        "GetItem",
        "BatchGetItem",
        "BatchGetItem",
        "TransactWriteItems",
        "BatchGetItem",
        "BatchGetItem",
    ], ops(created)
    with recorder.recording() as listed:
        console.call("POST", "/api/v2/channels", {"options": {"limit": 10}})
    # Admin check; the public channels' Query; the admin's memberships of the page; the profiles.
    assert ops(listed) == ["BatchGetItem", "Query", "BatchGetItem", "BatchGetItem"], ops(listed)
    with recorder.recording() as tagged:
        console.call("POST", "/api/v2/channels", {"tags": ["a"], "filter": "notMember"})
    # Admin check; the admin's public memberships (notMember); the tag's Query; its channels
    # (the admin is in lobby: nothing left, so no bundle reads).
    assert ops(tagged) == ["BatchGetItem", "Query", "Query", "BatchGetItem"], ops(tagged)
    with recorder.recording() as muted:
        console.call("PUT", "/api/v2/channel/lobby/mute", {"mutePeriod": -1})
    # The name claim; access (channel, memberships) twice (find, then the service); the update.
    assert ops(muted) == ["BatchGetItem", "GetItem", "BatchGetItem", "GetItem", "BatchGetItem", "TransactWriteItems"]
    with recorder.recording() as added:
        console.call("POST", "/api/v2/channel/lobby/users", {"userIds": [console.bob.user_id]})
    # find (3: claim, channel, memberships); add_members (4: channel, memberships, the users'
    # memberships, the transaction); the channel again (2); the bundle's memberships, profiles.
    assert len(ops(added)) == 11 and ops(added).count("TransactWriteItems") == 1, ops(added)
