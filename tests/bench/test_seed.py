"""bench/seed.py writes what chalicelib.store.channels would, in batches, and the
listing reads it back page by page."""

from __future__ import annotations

from bench import seed


def test_channels_claims_and_memberships_as_the_store_writes_them(aws_backend):
    from chalicelib.store import channels as channel_store
    from chalicelib.store import keys
    from chalicelib.store.models import ChannelNameClaim

    seed.workspace("ws-1", "owner-1", ["user-1"])
    public = seed.channels("ws-1", 30, created_by="owner-1")  # > one batch of 25 (60 items)
    private = seed.channels("ws-1", 2, created_by="owner-1", channel_type="private", members=["user-1"], start=30)

    first = channel_store.list_by_type("ws-1", "public", False, limit=25, position=None)
    rest = channel_store.list_by_type("ws-1", "public", False, limit=25, position=first.position)
    names = [c.name for c in first.items + rest.items]
    assert names == [f"channel-{n:05d}" for n in range(30)]
    assert rest.position is None
    stored = channel_store.get(public[0].id)
    assert stored is not None and stored.serialize() == public[0].serialize()
    claim = ChannelNameClaim.get(keys.channel_name("ws-1", "channel-00029"), keys.GUARD)
    assert claim.channel_id == public[29].id

    mine = channel_store.private_memberships("user-1", "ws-1", limit=10, position=None)
    assert sorted(m.channel_id for m in mine.items) == sorted(c.id for c in private)
    membership, member = channel_store.access(private[0], "user-1")
    assert membership is not None and membership.role == "member"
    assert membership.private_channels == 2  # as store.channels keeps it (the listing relies on it)
    assert member is not None


def test_write_items_counts_what_it_wrote(aws_backend):
    from chalicelib.store import workspaces as workspace_store

    members = [workspace_store.new_membership("ws-2", f"user-{n}", "member", "2025-01-01T00:00:00Z") for n in range(26)]
    assert seed.write_items(iter(members)) == 26
    assert workspace_store.get_membership("ws-2", "user-25") is not None


def test_messages_as_the_store_builds_them_newest_first(aws_backend):
    from chalicelib.render.markdown import render
    from chalicelib.store import messages as message_store

    seed.workspace("ws-3", "owner-1", ["user-1"])
    (channel,) = seed.channels("ws-3", 1, created_by="owner-1", members=["user-1"])
    newest = seed.messages(channel, 30, author_id="owner-1", content="a seeded message")
    assert newest is not None
    page = message_store.list_top_level(channel.id, limit=25, position=None)
    assert len(page.items) == 25 and page.position is not None
    assert page.items[0].id == newest.id
    assert page.items[0].serialize() == newest.serialize()
    assert {m.content_html for m in page.items} == {render("a seeded message").html}
    assert message_store.locate(newest.id) == (channel.id, newest.SK, "ws-3")  # GSI2 finds it
    assert seed.messages(channel, 0, author_id="owner-1", content="x") is None


def test_moto_checks_item_sizes_again_after_seeding(aws_backend):
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    checked = LimitedSizeDict.__setitem__
    seed.workspace("ws-4", "owner-1")
    assert LimitedSizeDict.__setitem__ is checked is not dict.__setitem__
