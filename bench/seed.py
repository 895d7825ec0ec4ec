"""Seeding large data sets fast: the store's own items, written with raw BatchWriteItem.

The items are built by chalicelib.store (``new_channel``, ``name_claim``,
``new_member``, ``new_message``), so they have exactly the keys and attributes the
app writes; only the way they are written differs (25 per call, no transaction, no
event, no channel ``last_message_at``), which keeps 10,000 channels to a few seconds
in moto (100,000 messages take about a minute: moto spends ~0.6 ms per item).
Nothing here is recorded: the bench's recorder only counts calls inside
``Recorder.recording()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.store.models import Channel, Entity, Message

BATCH = 25  # BatchWriteItem's limit
NAME_FORMAT = "channel-{:05d}"  # same length for every n < 100,000: same item sizes


@contextmanager
def _moto_without_quadratic_size_check() -> Iterator[None]:
    """moto re-sums an item's whole size each time it sets one of its attributes
    (quadratic in attributes: about a fifth of seeding a 20-attribute message). The
    seeded items are the store's own, far below DynamoDB's 400 KB: skip that check
    while seeding, and only then."""
    try:
        from moto.dynamodb.models.dynamo_type import LimitedSizeDict
    except ImportError:  # another moto layout: seed at moto's own pace
        yield
        return
    checked = LimitedSizeDict.__dict__.get("__setitem__")
    if checked is None:
        yield
        return
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]


def write_items(items: Iterable[Entity]) -> int:
    """Write the items with BatchWriteItem (retrying unprocessed ones); returns how many."""
    from chalicelib.store import db
    from chalicelib.store.models import Entity

    client = db.connection().client  # the app's own botocore client and table
    table = Entity.Meta.table_name
    pending: list[dict[str, Any]] = []
    written = 0

    def flush(requests: list[dict[str, Any]]) -> None:
        while requests:
            answer = client.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])

    with _moto_without_quadratic_size_check():
        for item in items:
            pending.append({"PutRequest": {"Item": item.serialize()}})
            written += 1
            if len(pending) == BATCH:
                flush(pending)
                pending = []
        flush(pending)
    return written


def channels(
    workspace_id: str,
    count: int,
    *,
    created_by: str,
    channel_type: str = "public",
    members: Sequence[str] = (),
    start: int = 0,
    name_format: str = NAME_FORMAT,
) -> list[Channel]:
    """``count`` channels named ``name_format.format(start + n)``, with their name
    claims and a membership for each of ``members``, as chalicelib.store.channels
    would create them (private ones also count on each member's workspace
    membership: ``members`` must be members of the workspace); returns the channels."""
    from chalicelib.ids import new_id, now_iso
    from chalicelib.store import channels as channel_store
    from chalicelib.store import keys
    from chalicelib.store.models import Membership

    now = now_iso()
    made = [
        channel_store.new_channel(new_id(), workspace_id, name_format.format(start + n), channel_type, created_by, now)
        for n in range(count)
    ]

    def items() -> Iterable[Entity]:
        for channel in made:
            yield channel_store.name_claim(channel)
            yield channel
            for user_id in members:
                yield channel_store.new_member(channel, user_id, "member", now)

    write_items(items())
    if channel_type == "private" and count:
        for user_id in members:  # what store.channels' transactions add, one at a time
            Membership(keys.workspace(workspace_id), keys.member(user_id)).update(
                actions=[
                    Membership.private_channels.add(count),
                    Membership.private_channel_ids.add({c.id for c in made}),
                ],
                condition=Membership.PK.exists(),
            )
    return made


def workspace(workspace_id: str, owner_id: str, member_ids: Sequence[str] = ()) -> None:
    """A workspace (no #general) with its owner and members."""
    from chalicelib.ids import now_iso
    from chalicelib.store import workspaces as workspace_store

    now = now_iso()
    items: list[Entity] = [
        workspace_store.new_workspace(
            workspace_id, f"Bench {workspace_id[-6:]}", f"bench-{workspace_id}", owner_id, now
        ),
        workspace_store.new_membership(workspace_id, owner_id, "owner", now),
    ]
    items += [workspace_store.new_membership(workspace_id, uid, "member", now) for uid in member_ids]
    write_items(items)


def messages(channel: Channel, count: int, *, author_id: str, content: str) -> Message | None:
    """``count`` top-level messages in ``channel``, oldest first, each with ``content``
    rendered as the app renders it (same content, same sizes: ids and timestamps have
    a fixed length); returns the newest (None for 0)."""
    from chalicelib.ids import new_id, now_iso
    from chalicelib.render.markdown import render
    from chalicelib.store import messages as message_store

    rendered = render(content)
    newest: list[Message] = []

    def items() -> Iterable[Entity]:
        for _ in range(count):
            message = message_store.new_message(
                new_id(),
                channel,
                parent_id=None,
                author_id=author_id,
                content=content,
                content_html=rendered.html,
                mentions=[],
                special_mentions=[],
                created_at=now_iso(),
            )
            newest[:] = [message]
            yield message

    write_items(items())
    return newest[0] if newest else None
