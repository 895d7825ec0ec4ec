"""Messages, thread replies, reactions and pins.

Layout (docs/access-patterns.md):
- top-level message ``CH#cid`` / ``MSG#<id>``: a channel's history is one Query,
  newest first; ids are UUIDv7, so the sort key orders by time;
- thread reply ``CH#cid`` / ``RPL#<parent>#<id>``: a thread is one Query, oldest first;
- GSI2 (keys only) ``MSG#<id>`` / ``WS#<wid>`` finds any message by id;
- reaction ``MSG#<id>`` / ``REACT#<emoji>#<uid>``; pin ``CH#cid`` / ``PIN#<id>``.

Sending a plain message is one PutItem (the table stream is its outbox: the router
turns the new item into ``message.created``) plus the channel's ``last_message_at``.

Size: DynamoDB refuses an item over 400 KB, so a message item is kept under ITEM_LIMIT
(350,000 bytes) whatever is sent and done to it. Its text is checked when it is
written, everything that grows afterwards is capped:

====================================================  ========================
what                                                  bytes at most
====================================================  ========================
``content`` + stored ``contentHtml`` (BODY_LIMIT:     210,000
checked on send and edit; HTML compressed above
1 KB, see models.pack_html)
reactions: REACTIONS_CAP (20) emoji of up to          115,200
EMOJI_MAX_BYTES (52), each with its count and up to
REACTION_USERS_CAP (50) ``emoji|userId`` -> time
entries (114 bytes each)
attachments: 10 file summaries (255-byte names)       5,400
mentions: MENTIONS_CAP (100) user ids                 3,800
Admin v2: 10 tags of 64 characters, 4 KB metadata     6,800
(custom data, 8 KB, only with an empty ``content``)
thread participants: PARTICIPANTS_CAP (100)           3,700
keys, ids, times, counters and attribute names        1,000
====================================================  ========================

That is at most about 346,000 bytes (the security suite's
tests/security/api4_unrestricted_resource_consumption/test_item_size.py builds the worst
item, and sends, edits and fills the worst message through the API).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import size

from chalicelib.store import keys, reaction_ranks
from chalicelib.store.db import connection, fetch, transaction
from chalicelib.store.errors import AlreadyExists, ConditionFailed, TransactionCancelled
from chalicelib.store.models import (
    Channel,
    ChannelMember,
    Entity,
    Membership,
    Message,
    Pin,
    Reaction,
    ThreadFollow,
    pack_html,
)
from chalicelib.store.pages import Admit, Page, query_page

# Past this many reactors of one emoji a message lists no more user ids (the count
# stays exact): an item is at most 400 KB.
REACTION_USERS_CAP = 50
# What else bounds a message item (the table in the module docstring).
ITEM_LIMIT = 350_000
BODY_LIMIT = 210_000  # UTF-8 bytes of content + the stored (maybe compressed) HTML
REACTIONS_CAP = 20  # distinct emoji on one message (Discord's limit; Slack's is 50)
EMOJI_MAX_BYTES = 52  # UTF-8 bytes of one emoji (``:`` + a 50-character shortcode + ``:``)
MENTIONS_CAP = 100  # distinct @usernames resolved per message
PARTICIPANTS_CAP = 100  # thread participants kept on the parent (the threads list follows them)


def _conditional(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def new_message(message_id: str, channel: Channel, *, parent_id: str | None, **attributes: Any) -> Message:
    sort_key = keys.reply(parent_id, message_id) if parent_id else keys.message(message_id)
    html = attributes.pop("content_html", "")
    message = Message(
        keys.channel(channel.id),
        sort_key,
        GSI2PK=keys.message(message_id),
        GSI2SK=keys.workspace(channel.workspace_id),
        id=message_id,
        channel_id=channel.id,
        workspace_id=channel.workspace_id,
        channel_type=channel.channel_type,
        thread_id=parent_id,
        reaction_counts={},
        reaction_users={},
        **attributes,
    )
    message.content_html = html  # a string, or compressed (models.pack_html)
    return message


def body_bytes(content: str, html: str) -> int:
    """What ``content`` and its HTML take in an item (checked against BODY_LIMIT)."""
    text, packed = pack_html(html)
    return len(content.encode()) + len((text or "").encode()) + len(packed or b"")


def channel_and_member(channel_id: str, user_id: str) -> tuple[Channel | None, ChannelMember | None]:
    """The channel and the caller's channel membership: one BatchGetItem."""
    channel_key = (keys.channel(channel_id), keys.META)
    member_key = (keys.channel(channel_id), keys.member(user_id))
    found = {(i.PK, i.SK): i for i in Entity.batch_get([channel_key, member_key])}
    channel, member = found.get(channel_key), found.get(member_key)
    return (
        channel if isinstance(channel, Channel) else None,
        member if isinstance(member, ChannelMember) else None,
    )


def put(message: Message) -> None:
    message.save(condition=Message.PK.does_not_exist())


def put_reply(reply: Message, parent: Message) -> None:
    """The reply and its parent's count in one transaction (exact under concurrent
    replies); ConditionFailed if the parent was deleted meanwhile.

    The replier joins the parent's ``participants`` while they are fewer than
    PARTICIPANTS_CAP (past that, a new replier's thread moves up on their own replies
    only: the threads worker always follows the author of a reply)."""
    listed = set(parent.participants or ())
    join = reply.author_id not in listed and len(listed) < PARTICIPANTS_CAP
    try:
        _put_reply(reply, parent, join=join)
    except ConditionFailed:
        if not join:
            raise
        _put_reply(reply, parent, join=False)  # others joined meanwhile: the list is full


def _put_reply(reply: Message, parent: Message, *, join: bool) -> None:
    actions = [Message.reply_count.add(1), Message.last_reply_at.set(reply.created_at)]
    condition = Message.PK.exists() & (Message.deleted == False)  # noqa: E712
    if join:
        actions.append(Message.participants.add({reply.author_id, parent.author_id}))
        has_room = Message.participants.does_not_exist() | (size(Message.participants) < PARTICIPANTS_CAP)
        condition = condition & has_room
    try:
        with transaction() as tx:
            tx.save(reply, condition=Message.PK.does_not_exist())
            tx.update(parent, actions=actions, condition=condition)
    except TransactionCancelled:
        raise ConditionFailed() from None


def locate(message_id: str) -> tuple[str, str, str] | None:
    """(channel id, sort key, workspace id) of a message, from GSI2 (eventually
    consistent: a message is findable by id a moment after it is written)."""
    # Raw Query: the index projects keys only, and pynamodb would filter a subclass
    # query on the (unprojected) discriminator.
    answer = connection().client.query(
        TableName=Entity.Meta.table_name,
        IndexName="GSI2",
        KeyConditionExpression="GSI2PK = :id",
        ExpressionAttributeValues={":id": {"S": keys.message(message_id)}},
        Limit=1,
        ReturnConsumedCapacity="TOTAL",
    )
    for hit in answer.get("Items", []):
        channel_id = hit["PK"]["S"].removeprefix("CH#")
        return channel_id, hit["SK"]["S"], hit["GSI2SK"]["S"].removeprefix(keys.WORKSPACE_PREFIX)
    return None


def get_with_access(
    channel_id: str, sort_key: str, workspace_id: str, user_id: str
) -> tuple[Message | None, Membership | None, ChannelMember | None, bool]:
    """The message, the caller's workspace and channel memberships and whether the channel is
    closed (Admin v2): one batch."""
    wanted = [
        (keys.channel(channel_id), sort_key),
        (keys.workspace(workspace_id), keys.member(user_id)),
        (keys.channel(channel_id), keys.member(user_id)),
        (keys.channel(channel_id), keys.META),
    ]
    found = {(i.PK, i.SK): i for i in Entity.batch_get(wanted)}
    message, membership, member, channel = (found.get(k) for k in wanted)
    return (
        message if isinstance(message, Message) else None,
        membership if isinstance(membership, Membership) else None,
        member if isinstance(member, ChannelMember) else None,
        isinstance(channel, Channel) and bool(channel.closed_at),
    )


def get(channel_id: str, sort_key: str) -> Message | None:
    return fetch(Message, keys.channel(channel_id), sort_key, consistent=True)


def list_top_level(
    channel_id: str,
    *,
    limit: int,
    position: dict[str, Any] | None,
    bounds: dict[str, Any] | None = None,
    admit: Admit[Message] | None = None,
) -> Page[Message]:
    """Newest first; ``bounds`` are keys.message_range's (before/after an id or a time);
    ``admit``: the response budget (pages.query_page)."""
    lower, upper = keys.message_range(**(bounds or {}))
    if lower > upper:
        return Page([], None)
    condition = Message.SK.between(lower, upper)
    return query_page(
        Message,
        keys.channel(channel_id),
        condition,
        limit=limit,
        position=position,
        newest_first=True,
        admit=admit,
    )


def list_replies(
    channel_id: str,
    parent_id: str,
    *,
    limit: int,
    position: dict[str, Any] | None,
    admit: Admit[Message] | None = None,
) -> Page[Message]:
    return query_page(
        Message,
        keys.channel(channel_id),
        Message.SK.startswith(keys.reply(parent_id)),
        limit=limit,
        position=position,
        admit=admit,
    )


def edit(message: Message, changes: dict[str, Any]) -> None:
    """ConditionFailed if the message is gone or deleted."""
    actions = []
    for name, value in changes.items():
        if name == "content_html":
            actions += html_actions(value)
        else:
            actions.append(getattr(Message, name).set(value))
    try:
        message.update(
            actions=actions,
            condition=Message.PK.exists() & (Message.deleted == False),  # noqa: E712
        )
    except UpdateError as error:
        if _conditional(error):
            raise ConditionFailed() from None
        raise


def html_actions(html: str) -> list[Any]:
    """Store ``html`` as ``Message.content_html`` does: one attribute set, the other removed."""
    text, packed = pack_html(html)
    return [
        Message.html_text.set(text) if text is not None else Message.html_text.remove(),
        Message.html_zlib.set(packed) if packed is not None else Message.html_zlib.remove(),
    ]


def tombstone(message: Message, at: str, channel: Channel, pinned: bool) -> None:
    """A deleted parent with replies stays as a tombstone so its thread survives
    (unpinned: there is nothing left to pin)."""
    if pinned:
        with suppress(ConditionFailed):  # unpinned meanwhile
            unpin(channel, message.id)
    message.update(
        actions=[
            Message.deleted.set(True),
            Message.content.set(""),
            *html_actions(""),
            Message.mentions.set([]),
            Message.special_mentions.set([]),
            Message.attachments.set([]),
            Message.edited_at.set(at),
        ],
        condition=Message.PK.exists(),
    )


def delete(message: Message, parent: Message | None, channel: Channel, pinned: bool) -> None:
    """Delete a message: a reply also decrements its parent's count; a pinned one
    takes its pin with it. ConditionFailed if a reply arrived meanwhile (the caller
    leaves a tombstone instead: the thread must survive)."""
    try:
        with transaction() as tx:
            no_replies = Message.reply_count.does_not_exist() | (Message.reply_count == 0)
            tx.delete(message, condition=Message.PK.exists() & no_replies, label="message")
            if parent is not None:
                tx.update(parent, actions=[Message.reply_count.add(-1)], condition=Message.PK.exists())
            if pinned:
                tx.delete(Pin(keys.channel(channel.id), keys.pin(message.id)), condition=Pin.PK.exists())
                tx.update(channel, actions=[Channel.pin_count.add(-1)], condition=Channel.PK.exists())
    except TransactionCancelled:
        raise ConditionFailed() from None


def is_pinned(channel_id: str, message_id: str) -> bool:
    return Pin.count(keys.channel(channel_id), keys.pin(message_id) == Pin.SK, limit=1) > 0


# --- reactions ---------------------------------------------------------------------


def add_reaction(message: Message, reaction: Reaction) -> None:
    """The user's reaction item and the message's aggregate, together.

    AlreadyExists if this user already reacted with this emoji (idempotent);
    ConditionFailed if the count crossed the listing cap meanwhile, or the message
    reached REACTIONS_CAP distinct emoji (retry: the caller checks the cap on what it
    reads)."""
    emoji, user_id = reaction.emoji, reaction.user_id
    count = message.reaction_tally().get(emoji, (0, []))[0]
    names = {"#counts": "reaction_counts", "#e": emoji, "#deleted": "deleted"}
    values: dict[str, Any] = {":zero": {"N": "0"}, ":one": {"N": "1"}, ":false": {"BOOL": False}}
    values[":cap"] = {"N": str(REACTION_USERS_CAP)}
    update = "SET #counts.#e = if_not_exists(#counts.#e, :zero) + :one"
    condition = "attribute_exists(PK) AND #deleted = :false"
    if count < REACTION_USERS_CAP:  # list this reactor too
        names["#users"] = "reaction_users"
        names["#me"] = f"{emoji}|{user_id}"
        values[":at"] = {"S": reaction.created_at}
        values[":distinct"] = {"N": str(REACTIONS_CAP)}
        update += ", #users.#me = :at"
        condition += " AND (attribute_not_exists(#counts.#e) OR #counts.#e < :cap)"
        # a new emoji only while the message has fewer than REACTIONS_CAP
        condition += " AND (attribute_exists(#counts.#e) OR size(#counts) < :distinct)"
    else:
        condition += " AND #counts.#e >= :cap"
    rank = reaction_ranks.change(message, emoji, count, count + 1)
    _transact([_put(reaction), _update(message, update, condition, names, values), rank], exists_first=True)


def remove_reaction(message: Message, emoji: str, user_id: str) -> None:
    """ConditionFailed: not reacted (first item) or the count crossed 1 meanwhile (retry).

    The reaction item is deleted under a condition in the same transaction, so each
    reactor decrements once; the aggregate only needs "not the last" on the decrement
    path and "the last" on the removal path."""
    count = message.reaction_tally().get(emoji, (0, []))[0]
    names = {"#counts": "reaction_counts", "#users": "reaction_users", "#e": emoji, "#me": f"{emoji}|{user_id}"}
    values: dict[str, Any] = {":one": {"N": "1"}}
    if count <= 1:
        update = "REMOVE #counts.#e, #users.#me"
        condition = "#counts.#e = :one"
    else:
        update = "SET #counts.#e = #counts.#e - :one REMOVE #users.#me"
        condition = "#counts.#e > :one"
    key = {"PK": {"S": keys.message(message.id)}, "SK": {"S": keys.reaction(emoji, user_id)}}
    delete_reaction = {
        "Delete": {"TableName": Entity.Meta.table_name, "Key": key, "ConditionExpression": "attribute_exists(PK)"}
    }
    rank = reaction_ranks.change(message, emoji, count, count - 1)
    _transact([delete_reaction, _update(message, update, condition, names, values), rank], exists_first=False)


def _put(item: Entity) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": Entity.Meta.table_name,
            "Item": item.serialize(),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def _update(
    message: Message, update: str, condition: str, names: dict[str, str], values: dict[str, Any]
) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": Entity.Meta.table_name,
            "Key": {"PK": {"S": message.PK}, "SK": {"S": message.SK}},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def _transact(items: list[dict[str, Any]], *, exists_first: bool) -> None:
    from botocore.exceptions import ClientError

    try:
        connection().client.transact_write_items(TransactItems=items, ReturnConsumedCapacity="TOTAL")
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            if exists_first:
                raise AlreadyExists("reaction") from None
            raise ConditionFailed("not reacted") from None
        raise ConditionFailed("message changed") from None


def reactions_of(message_id: str, emoji: str | None, *, limit: int, position: dict[str, Any] | None) -> Page[Reaction]:
    """A message's reactors of one emoji, or of every emoji (``None``), by emoji then user id."""
    prefix = keys.reaction(emoji, "") if emoji is not None else keys.REACTION_PREFIX
    return query_page(
        Reaction,
        keys.message(message_id),
        Reaction.SK.startswith(prefix),
        limit=limit,
        position=position,
    )


# --- pins --------------------------------------------------------------------------


def pin(channel: Channel, item: Pin, limit: int, also: Sequence[Entity] = ()) -> None:
    """AlreadyExists if pinned; ConditionFailed if the channel is at its pin limit."""
    try:
        with transaction(taken=("pin",)) as tx:
            tx.save(item, condition=Pin.PK.does_not_exist(), label="pin")
            tx.update(
                channel,
                actions=[Channel.pin_count.add(1)],
                condition=Channel.PK.exists() & (Channel.pin_count.does_not_exist() | (Channel.pin_count < limit)),
                label="limit",
            )
            for extra in also:
                tx.save(extra)
    except TransactionCancelled:
        raise ConditionFailed() from None


def new_pin(channel: Channel, message: Message, pinned_by: str, at: str) -> Pin:
    return Pin(
        keys.channel(channel.id),
        keys.pin(message.id),
        message_id=message.id,
        message_key=message.SK,
        channel_id=channel.id,
        workspace_id=channel.workspace_id,
        pinned_by=pinned_by,
        pinned_at=at,
    )


def unpin(channel: Channel, message_id: str) -> None:
    """ConditionFailed if the message is not pinned."""
    try:
        with transaction() as tx:
            tx.delete(Pin(keys.channel(channel.id), keys.pin(message_id)), condition=Pin.PK.exists())
            tx.update(channel, actions=[Channel.pin_count.add(-1)], condition=Channel.PK.exists())
    except TransactionCancelled:
        raise ConditionFailed() from None


def list_pins(
    channel_id: str,
    *,
    limit: int,
    position: dict[str, Any] | None,
    admit: Admit[tuple[Pin, Message]] | None = None,
) -> tuple[list[tuple[Pin, Message]], dict[str, Any] | None]:
    """Pins, newest first, with their messages (a Query and a batch). ``admit``: the
    response budget; the page ends before the first pin it refuses (the first is
    always kept). At most a page of messages is read whatever the budget keeps."""
    page = query_page(
        Pin, keys.channel(channel_id), Pin.SK.startswith(keys.pin()), limit=limit, position=position, newest_first=True
    )
    wanted = [(keys.channel(channel_id), p.message_key) for p in page.items]
    found = {m.id: m for m in Message.batch_get(wanted)} if wanted else {}
    kept: list[tuple[Pin, Message]] = []
    for pin in page.items:
        if pin.message_id not in found:
            continue
        pair = (pin, found[pin.message_id])
        if admit is not None and not admit(pair) and kept:
            return kept, page.after(kept[-1][0])
        kept.append(pair)
    return kept, page.position


# --- threads the user follows -----------------------------------------------------


def follow(user_id: str, parent: Message, at: str) -> None:
    """Move the user's entry for this thread to ``at`` (never back: deliveries of
    events may come out of order)."""
    try:
        ThreadFollow(
            keys.user(user_id),
            keys.thread_follow(parent.id),
            GSI1PK=keys.threads_of(user_id, parent.workspace_id),
            GSI1SK=f"{at}#{parent.id}",
            parent_id=parent.id,
            channel_id=parent.channel_id,
            workspace_id=parent.workspace_id,
            last_activity_at=at,
        ).save(condition=ThreadFollow.PK.does_not_exist() | (ThreadFollow.last_activity_at < at))
    except PutError as error:
        if not _conditional(error):
            raise


def followed_threads(
    user_id: str, workspace_id: str, *, limit: int, position: dict[str, Any] | None
) -> Page[ThreadFollow]:
    return query_page(
        ThreadFollow,
        keys.threads_of(user_id, workspace_id),
        index="GSI1",
        limit=limit,
        position=position,
        newest_first=True,
    )


def parents_with_access(
    user_id: str, workspace_id: str, follows: list[ThreadFollow]
) -> tuple[Membership | None, dict[str, Message], dict[str, Channel], set[str]]:
    """One batch: the caller's workspace membership, the threads' parents, their
    channels and the caller's memberships of those channels."""
    channel_ids = sorted({f.channel_id for f in follows})
    wanted = [(keys.workspace(workspace_id), keys.member(user_id))]
    wanted += [(keys.channel(f.channel_id), keys.message(f.parent_id)) for f in follows]
    wanted += [(keys.channel(c), keys.META) for c in channel_ids]
    wanted += [(keys.channel(c), keys.member(user_id)) for c in channel_ids]
    found = list(Entity.batch_get(wanted))
    membership = next((i for i in found if isinstance(i, Membership)), None)
    parents = {i.id: i for i in found if isinstance(i, Message)}
    channels = {i.id: i for i in found if isinstance(i, Channel)}
    member_of = {i.channel_id for i in found if isinstance(i, ChannelMember)}
    return membership, parents, channels, member_of


def set_attachments(channel_id: str, sort_key: str, attachments: list[dict[str, Any]]) -> None:
    """Replace a message's attachment summaries (a file was processed or deleted)."""
    try:
        Message(keys.channel(channel_id), sort_key).update(
            actions=[Message.attachments.set(attachments)], condition=Message.PK.exists()
        )
    except UpdateError as error:
        if not _conditional(error):
            raise
