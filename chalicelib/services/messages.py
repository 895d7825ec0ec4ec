"""Messages and threads: send, list, read, edit, delete.

Who may do what (docs/permissions.md): channel members post; anyone who may see the
channel reads (public: every workspace member; private: its members); the author
edits; the author or a workspace admin deletes. Posting in an archived channel is
410 E_CHANNEL_ARCHIVED.

Types: ``message`` (people), ``bot`` (sent with an API token created as a bot
integration: ``{"bot": true}`` when minting it), ``system`` (written by Disqua
itself for joins, renames and pins; never through the API).

Threads are one level deep, as in Slack: ``threadId`` names a top-level message of
the same channel; a reply to a reply is a 400.

Size: content is at most MAX_CONTENT (40,000) characters, like Slack's; a message is
refused (400 E_VALIDATION, field ``content``) when its HTML would pass 512 KB
(chalicelib/render/markdown.py) or when its text and stored HTML would pass the
store's BODY_LIMIT (210 KB: the HTML is compressed when over 1 KB, so only text near
40,000 four-byte characters that do not compress comes close). Only the first
MENTIONS_CAP (100) distinct @usernames of a message are resolved (mentions).

Events come from the table's stream (chalicelib/workers/router.py): a message item
appearing is ``message.created``, and so on, so sending costs no outbox write. The
channel's ``lastMessageAt`` follows from that event too (chalicelib/workers/activity.py):
updating it in the request would also rewrite the channel's GSI1 entry, one write unit
past the send's budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import (
    ChannelArchived,
    ChannelClosed,
    ChannelMuted,
    Forbidden,
    ModerationBlocked,
    NotFound,
    NotMember,
    ValidationError,
)
from chalicelib.ids import is_id, new_id, now_iso
from chalicelib.services import authz, files, moderation, roles
from chalicelib.store import keys
from chalicelib.store import messages as message_store
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import Channel, ChannelMember, Membership, Message
from chalicelib.store.pages import Admit

MAX_CONTENT = 40_000


@dataclass(frozen=True)
class Located:
    message: Message
    membership: Membership
    member: ChannelMember | None


# --- access ----------------------------------------------------------------------


def channel_for_reading(principal: Principal, channel_id: str, scope: str) -> tuple[Channel, ChannelMember | None]:
    """One call for a channel member (the channel and the membership in one batch);
    a non-member reading a public channel costs one more (the workspace membership)."""
    authz.require_scope(principal, scope)
    channel, member = message_store.channel_and_member(channel_id, principal.user_id)
    if channel is None:
        raise NotFound("Channel not found.")
    authz.require_object_workspace(principal, channel.workspace_id, "Channel")
    authz.refuse_closed(principal, channel)  # closed by Admin v2 (services/channel_close.py): irreversible
    authz.refuse_banned(member)  # a globally banned member's copy of the ban
    membership = None
    if member is None and channel.channel_type != "private":  # public channels and comments threads
        membership = workspace_store.get_membership(channel.workspace_id, principal.user_id)
        authz.refuse_banned(membership)
    if member is None and membership is None:
        raise NotFound("Channel not found.")
    return channel, member


def channel_for_posting(principal: Principal, channel_id: str) -> Channel:
    channel, member = channel_for_reading(principal, channel_id, scopes.MESSAGES_WRITE)
    return _may_post(channel, member, principal)


def _may_post(channel: Channel, member: ChannelMember | None, principal: Principal) -> Channel:
    if member is None:
        raise NotMember("Join the channel to post in it.")
    if channel.archived:
        raise ChannelArchived()
    if channel.closed:  # a closed Disqus thread (comments channel): no new posts, from any surface
        raise Forbidden("The thread is closed to new posts.")
    _refuse_muted(channel, member, principal)
    return channel


def _refuse_muted(channel: Channel, member: ChannelMember, principal: Principal) -> None:
    """Admin v2 mutes (E_CHANNEL_MUTED): a muted member never posts; in a muted channel only
    workspace admins do (one GetItem, only while the channel is muted)."""
    now = now_iso()
    if member.muted_until and member.muted_until > now:
        raise ChannelMuted("You are muted in this channel.")
    if channel.muted_until and channel.muted_until > now:
        membership = workspace_store.get_membership(channel.workspace_id, principal.user_id)
        if membership is None or not roles.permits(principal, membership, roles.POST_IN_MUTED_CHANNEL):
            raise ChannelMuted()


def locate(principal: Principal, message_id: str, scope: str) -> Located:
    """A message the caller may see: two calls (GSI2 lookup, then one batch)."""
    authz.require_scope(principal, scope)
    found = message_store.locate(message_id)
    if found is None:
        raise NotFound("Message not found.")
    channel_id, sort_key, workspace_id = found
    authz.require_object_workspace(principal, workspace_id, "Message")
    found_message = message_store.get_with_access(channel_id, sort_key, workspace_id, principal.user_id)
    message, membership, member, closed = found_message
    if closed and membership is not None:  # closed by Admin v2: its messages are being deleted
        raise ChannelClosed()
    if closed:  # to anyone outside the workspace it does not exist (a 410 would confirm the id)
        raise NotFound("Message not found.")
    if message is None or membership is None or (message.channel_type == "private" and member is None):
        raise NotFound("Message not found.")
    authz.refuse_banned(membership)
    return Located(message, membership, member)


# --- content -----------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    content: str
    html: str
    mentions: list[str]
    special: list[str]


def render_content(content: str, workspace_id: str) -> Content:
    from chalicelib.render.markdown import MAX_HTML, HtmlTooLarge, render

    try:
        rendered = render(content)
    except HtmlTooLarge:
        raise ValidationError(
            f"content would render to more than {MAX_HTML // 1024} KB of HTML: shorten it.", field="content"
        ) from None
    if message_store.body_bytes(content, rendered.html) > message_store.BODY_LIMIT:
        raise ValidationError(
            f"content is too large to store (at most {message_store.BODY_LIMIT // 1000} KB with its HTML): shorten it.",
            field="content",
        )
    usernames = rendered.usernames[: message_store.MENTIONS_CAP]
    return Content(content, rendered.html, _resolve_mentions(usernames, workspace_id), list(rendered.special))


def _resolve_mentions(usernames: tuple[str, ...], workspace_id: str) -> list[str]:
    """@usernames -> user ids, keeping only members of the workspace (two batch reads,
    and none for a message that mentions nobody)."""
    if not usernames:
        return []
    user_ids = user_store.user_ids_for_usernames(list(usernames))
    members = workspace_store.memberships_of(workspace_id, list(user_ids.values()))
    return [user_ids[name] for name in usernames if name in user_ids and user_ids[name] in members]


def _kind(principal: Principal) -> str:
    return "bot" if principal.is_bot else "message"


# --- writing -----------------------------------------------------------------------


def send(
    principal: Principal,
    channel_id: str,
    content: str,
    thread_id: str | None,
    attachment_ids: list[str],
    *,
    extra: dict[str, Any] | None = None,
    moderated_text: str | None = None,
) -> Message:
    """``extra``: Admin v2's message attributes (tags, metadata, data_type, custom_data);
    ``moderated_text``: what the engine checks when it is not ``content`` (custom data)."""
    channel, member = channel_for_reading(principal, channel_id, scopes.MESSAGES_WRITE)
    if channel.channel_type == "comments":  # a Disqus thread: every message is a post
        if extra:
            raise ValidationError("comments threads take text posts only (no tags, metadata or custom data).")
        return _post_in_thread(principal, channel, content, thread_id, attachment_ids)
    channel = _may_post(channel, member, principal)
    # A match is refused (E_MODERATION_BLOCKED).
    moderation.enforce(channel.workspace_id, content if moderated_text is None else moderated_text)
    attached = files.attachments_for(principal, channel, attachment_ids) if attachment_ids else []
    parent = None
    if thread_id is not None:
        parent = message_store.get(channel.id, keys.message(thread_id))
        if parent is None or parent.deleted:
            raise ValidationError("threadId must be a top-level message of this channel.", field="threadId")
    body = render_content(content, channel.workspace_id)
    message = message_store.new_message(
        new_id(),
        channel,
        parent_id=thread_id,
        author_id=principal.user_id,
        content=body.content,
        content_html=body.html,
        mentions=body.mentions,
        special_mentions=body.special,
        kind=_kind(principal),
        attachments=[files.summary(f) for f in attached],
        created_at=now_iso(),
        **(extra or {}),
    )
    # Shared before the message exists: a crash in between leaves a file visible to
    # the channel's members, never a message whose attachment they cannot open.
    files.share(attached, channel, f"{channel.id}|{message.SK}")
    if parent is None:
        message_store.put(message)
    else:
        try:
            message_store.put_reply(message, parent)
        except ConditionFailed:
            raise ValidationError("threadId must be a top-level message of this channel.", field="threadId") from None
    return message


def _post_in_thread(
    principal: Principal, channel: Channel, content: str, parent_id: str | None, attachment_ids: list[str]
) -> Message:
    """A v1 message in a comments thread is a Disqus post (``threadId`` names the post it
    answers, at any depth), written by the same rules as posts/create."""
    from chalicelib.services import posts
    from chalicelib.services.comment_threads import Lookup

    if attachment_ids:
        raise ValidationError("comments threads take no attachments.", field="attachmentIds")
    if parent_id is not None:
        parent = message_store.get(channel.id, keys.message(parent_id))
        if parent is None or not parent.is_post:
            raise ValidationError("threadId must be a post of this thread.", field="threadId")
    try:
        posted = posts.create(
            principal, Lookup(thread_id=channel.id), content, parent_id=parent_id, scope=scopes.MESSAGES_WRITE
        )
    except ValidationError as exc:
        if exc.field == "parent":
            raise ValidationError("threadId must be a post of this thread.", field="threadId") from None
        if exc.field == "message":
            raise ValidationError(exc.message, field="content") from None
        raise
    return posted.post


def edit(principal: Principal, message_id: str, content: str) -> Message:
    found = locate(principal, message_id, scopes.MESSAGES_WRITE)
    message = found.message
    if message.deleted:
        raise NotFound("Message not found.")
    if message.author_id != principal.user_id:
        raise Forbidden("Only the author may edit a message.")
    # The moderation engine: a chat message is refused; a post (comments thread) is held.
    verdict = moderation.check(message.workspace_id, content)
    if verdict.blocked and not message.is_post:
        raise ModerationBlocked(field="content")
    body = render_content(content, message.workspace_id)
    changes: dict[str, Any] = {
        "content": body.content,
        "content_html": body.html,
        "mentions": body.mentions,
        "special_mentions": body.special,
        "edited_at": now_iso(),
    }
    if verdict.blocked:  # 6 is Disqus's No_Issue
        changes["facts"] = (set(message.facts or ()) - {6}) | set(verdict.facts)
    try:
        message_store.edit(message, changes)
    except ConditionFailed:
        raise NotFound("Message not found.") from None
    for name, value in changes.items():
        setattr(message, name, value)
    if verdict.blocked and message.post_state == "approved":
        _hold(message)
    return message


def _hold(post: Message) -> None:
    """An edited post the engine matches goes back to review (the thread's count follows)."""
    from chalicelib.store import posts as post_store

    try:
        post_store.set_state(post, "unapproved")
    except ConditionFailed:  # a moderator changed its state meanwhile: theirs stands
        return
    post.post_state = "unapproved"


def delete(principal: Principal, message_id: str) -> None:
    """The author or a workspace admin. A parent with replies becomes a tombstone."""
    found = locate(principal, message_id, scopes.MESSAGES_WRITE)
    message = found.message
    is_admin = roles.permits(principal, found.membership, roles.DELETE_ANY_MESSAGE)  # admins, or a role's
    if message.author_id != principal.user_id and not is_admin:
        raise Forbidden("Only the author or a workspace admin may delete a message.")
    if message.deleted:
        raise NotFound("Message not found.")
    channel = Channel(keys.channel(message.channel_id), keys.META, id=message.channel_id)
    pinned = message_store.is_pinned(message.channel_id, message.id)
    if message.is_post:  # a Disqus post: a tombstone always (its answers keep their place)
        from chalicelib.store import posts as post_store

        if pinned:
            message_store.unpin(channel, message.id)
        try:
            post_store.tombstone(message, now_iso())
        except ConditionFailed:
            raise NotFound("Message not found.") from None
        return
    if message.thread_id is None and message.reply_count > 0:
        message_store.tombstone(message, now_iso(), channel, pinned)
        return
    parent = None
    if message.thread_id is not None:
        parent = message_store.get(message.channel_id, keys.message(message.thread_id))
    try:
        message_store.delete(message, parent, channel, pinned)
    except ConditionFailed:  # a reply arrived since we read the message
        message_store.tombstone(message, now_iso(), channel, pinned)


# --- reading -----------------------------------------------------------------------


def list_messages(
    principal: Principal,
    channel_id: str,
    *,
    limit: int,
    position: dict[str, Any] | None,
    before: str | None,
    after: str | None,
    admit: Admit[Message] | None = None,
) -> tuple[list[Message], dict[str, Any] | None]:
    """Top-level messages, newest first. ``before``/``after``: a message id or an
    ISO 8601 timestamp (exclusive). ``admit``: the response budget (store.pages)."""
    channel, _ = channel_for_reading(principal, channel_id, scopes.MESSAGES_READ)
    bounds: dict[str, Any] = {}
    for name, value in (("before", before), ("after", after)):
        if value is not None:
            bounds.update(_bound(name, value))
    page = message_store.list_top_level(channel.id, limit=limit, position=position, bounds=bounds, admit=admit)
    return page.items, page.position


def _bound(name: str, value: str) -> dict[str, Any]:
    if is_id(value):
        return {f"{name}_id": value}
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{name} must be a message id or an ISO 8601 timestamp.", field=name) from None
    if moment.tzinfo is None:
        raise ValidationError(f"{name} must include a time zone (e.g. Z).", field=name)
    return {f"{name}_ms": int(moment.timestamp() * 1000)}


def get(principal: Principal, message_id: str) -> Message:
    message = locate(principal, message_id, scopes.MESSAGES_READ).message
    return message


def thread(
    principal: Principal,
    message_id: str,
    *,
    limit: int,
    position: dict[str, Any] | None,
    admit: Admit[Message] | None = None,
) -> tuple[Message, list[Message], dict[str, Any] | None]:
    """The parent and a page of its replies, oldest first (``admit`` sees the parent
    first, then the replies)."""
    parent = locate(principal, message_id, scopes.MESSAGES_READ).message
    if parent.thread_id is not None:
        raise ValidationError("This message is a reply: open its parent's thread.", field="messageId")
    if admit is not None:
        admit(parent)
    page = message_store.list_replies(parent.channel_id, parent.id, limit=limit, position=position, admit=admit)
    return parent, page.items, page.position


def event_payload(message: Message) -> dict[str, Any]:
    """What message events carry (notifications, webhooks and search consume them)."""
    return {
        "id": message.id,
        "channelId": message.channel_id,
        "workspaceId": message.workspace_id,
        "authorId": message.author_id,
        "type": message.kind,
        "threadId": message.thread_id,
        "content": message.content,
        "mentions": list(message.mentions or []),
        "specialMentions": list(message.special_mentions or []),
        "createdAt": message.created_at,
        "editedAt": message.edited_at,
        "channelType": message.channel_type,
        # A Disqus post (a message of a comments thread): its number and the post it answers.
        "post": {"number": int(message.post_number or 0), "parentId": message.parent_post} if message.is_post else None,
    }
