"""In-app notifications: who gets what (the worker's part), and reading and marking them.

Kinds, from the events the notifications worker consumes:

============== =================== ===================================================
kind           event               recipients
============== =================== ===================================================
mention        message.created,    each ``@username`` of the message (message.mentions);
               message.updated     an edit notifies only people not yet notified about it
channel_mention message.created    ``@channel``: every channel member; ``@here``: those
                                   whose status is not away or dnd
thread_reply   message.created     a reply's thread participants (message.participants,
                                   and the parent's author); a Disqus answer's parent's
                                   author (in a comments thread, whose readers are the
                                   workspace's members: nobody joins it)
reaction       reaction.added      the message's author (off unless their preference
                                   ``notifications.reactions`` is true)
invite         invite.created      the account with the invited (verified) email address
============== =================== ===================================================

One notification per message and recipient: ``mention`` beats ``channel_mention``, which
beats ``thread_reply``. Never notified: the actor; anyone who is not a member of the
channel now (a private channel's outsiders, people who left or were removed, and, in a
public channel, people who never joined); anyone whose preferences mute everything
(``notifications.muteAll``); anyone whose channel setting excludes the kind:

========= ============================================================
setting   kinds a channel may raise for the member
========= ============================================================
all       (the default) mention, channel_mention, thread_reply, reaction
mentions  mention, channel_mention
none      nothing
========= ============================================================

An edit that adds ``@channel`` or ``@here`` notifies no one (an edit must not ping a
whole channel); system messages notify no one. Deleting a message empties the preview
of every notification about it. Previews are plain text, at most 140 characters.

Large fan-outs run in bounded steps (STEP_RECIPIENTS recipients each); a step returns
the next one, which the worker sends through the queue (chalicelib/workers/notifications.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import InsufficientScope, NotFound, NotMember
from chalicelib.ids import iso
from chalicelib.render.plaintext import PREVIEW_CHARS, preview, truncate
from chalicelib.services import authz
from chalicelib.services.users import preferences_of
from chalicelib.store import channels as channel_store
from chalicelib.store import keys
from chalicelib.store import messages as message_store
from chalicelib.store import notifications as store
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import ChannelMember, Notification, User

KINDS = ("mention", "channel_mention", "thread_reply", "invite", "reaction")
CHANNEL_LEVELS = ("all", "mentions", "none")
DEFAULT_LEVEL = "all"
LEVEL_KINDS: dict[str, frozenset[str]] = {
    "all": frozenset({"mention", "channel_mention", "thread_reply", "reaction"}),
    "mentions": frozenset({"mention", "channel_mention"}),
    "none": frozenset(),
}
CHANNEL_KINDS = LEVEL_KINDS["all"]
HERE_SKIPS = frozenset({"away", "dnd"})  # statuses @here does not reach
STEP_RECIPIENTS = 500  # channel members one worker step notifies at most (~5 s of a 512 MB Lambda: make bench)
EVENT_TYPES = ("message.created", "message.updated", "message.deleted", "reaction.added", "invite.created")
_SOURCES_PER_READ = 1


@dataclass(frozen=True)
class Step:
    """One bounded piece of an event's work: the event, which step, where to resume,
    and what the first step worked out (``carry``: preview, actor, who to skip)."""

    event: dict[str, Any]
    number: int = 0
    cursor: dict[str, Any] | None = None
    carry: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    notified: int  # recipients of this step (a careful re-run rewrites none that exist)
    next: Step | None = None


# --- rules --------------------------------------------------------------------------------


def wants(kind: str, user: User | None, member: ChannelMember | None, *, actor_id: str) -> bool:
    """Whether ``user`` gets a notification of ``kind`` (``member``: their membership of
    the channel it comes from, None if not a member)."""
    if user is None or user.id == actor_id:
        return False
    prefs = preferences_of(user)["notifications"]
    if prefs.get("muteAll"):
        return False
    if kind == "reaction" and not prefs.get("reactions"):
        return False
    if kind in CHANNEL_KINDS:
        if member is None:
            return False
        if kind not in LEVEL_KINDS.get(member.notifications or DEFAULT_LEVEL, LEVEL_KINDS[DEFAULT_LEVEL]):
            return False
    return True


def reached_by(special: set[str] | list[str], user: User) -> bool:
    """Whether ``@channel`` / ``@here`` in a message reaches this user."""
    return "channel" in special or ("here" in special and user.status not in HERE_SKIPS)


def _ms(moment: str) -> int:
    return int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp() * 1000)


def _actor(user: User | None, user_id: str) -> dict[str, str]:
    if user is None:
        return {"id": user_id, "username": "unknown", "displayName": "Someone"}
    return {"id": user.id, "username": user.username, "displayName": user.display_name}


# --- the worker's part ------------------------------------------------------------------


@dataclass(frozen=True)
class _About:
    """What every notification of one step shares."""

    workspace_id: str
    channel_id: str | None
    message_id: str | None
    thread_id: str | None
    actor: dict[str, str]
    preview: str
    id_ms: int
    seed: str


def _write(step: Step, about: _About, recipients: list[tuple[str, str]], *, careful: bool) -> int:
    """The notifications, and (for a message) who they went to, in BatchWriteItem calls."""
    if not recipients:
        return 0
    created_at = iso(datetime.fromtimestamp(about.id_ms / 1000, tz=UTC))
    items: list[Any] = []
    if about.message_id is not None:
        items.append(
            store.new_source(
                about.message_id, step.event["id"], step.number, about.id_ms, about.seed, [u for u, _ in recipients]
            )
        )
    for user_id, kind in recipients:
        items.append(
            store.new_notification(
                store.derived_id(about.id_ms, about.seed, user_id),
                user_id,
                about.workspace_id,
                kind=kind,
                channel_id=about.channel_id,
                message_id=about.message_id,
                thread_id=about.thread_id,
                actor_id=about.actor["id"],
                actor_username=about.actor["username"],
                actor_display_name=about.actor["displayName"],
                preview=about.preview,
                created_at=created_at,
            )
        )
    store.write_all(items, careful=careful)
    return len(recipients)


def run_step(step: Step, *, careful: bool = False) -> StepResult:
    """Do one step of an event's notifications. ``careful``: this step may have run
    before (a redelivery): items that exist already are not written again."""
    kind = step.event["type"]
    if kind == "message.created":
        return _message_created(step, careful)
    if kind == "message.updated":
        return _message_updated(step, careful)
    if kind == "message.deleted":
        return _message_deleted(step)
    if kind == "reaction.added":
        return _reaction_added(step, careful)
    if kind == "invite.created":
        return _invite_created(step, careful)
    return StepResult(0)


def _message_preview(data: dict[str, Any]) -> str:
    content = data.get("content")
    if content is None:  # sent without its text (over SQS's size): read the message
        found = message_store.locate(data["id"])
        message = message_store.get(found[0], found[1]) if found else None
        content = message.content if message is not None else ""
    return preview(content)


def _slim(event: dict[str, Any]) -> dict[str, Any]:
    """The event as a continuation carries it: without its text (the preview is carried)."""
    data = {k: v for k, v in event["data"].items() if k not in ("content", "contentHtml")}
    return {**event, "data": data}


def _message_about(data: dict[str, Any], actor: dict[str, str], text: str, moment: str) -> _About:
    return _About(
        workspace_id=data["workspaceId"],
        channel_id=data["channelId"],
        message_id=data["id"],
        thread_id=data.get("threadId"),
        actor=actor,
        preview=text,
        id_ms=_ms(moment),
        seed=f"message:{data['id']}",
    )


def may_notify(event: dict[str, Any]) -> bool:
    """False when the event alone shows nobody can be notified (most messages mention
    no one and start no thread): the worker then acknowledges it without a claim."""
    data = event.get("data") or {}
    if event.get("type") not in ("message.created", "message.updated"):
        return True
    if data.get("type") == "system":
        return False
    if event["type"] == "message.updated":
        return bool(data.get("mentions")) and bool(data.get("editedAt"))
    answered = (data.get("post") or {}).get("parentId")
    return bool(data.get("threadId") or answered or data.get("mentions") or data.get("specialMentions"))


def _message_created(step: Step, careful: bool) -> StepResult:
    data = step.event["data"]
    if data.get("type") == "system":
        return StepResult(0)
    if step.number > 0:
        return _channel_page(step, careful)
    actor_id, channel_id = data["authorId"], data["channelId"]
    direct: dict[str, str] = {}
    if data.get("threadId"):
        parent = message_store.get(channel_id, keys.message(data["threadId"]))
        if parent is not None:
            for user_id in {*(parent.participants or ()), parent.author_id}:
                direct[user_id] = "thread_reply"
    answered = (data.get("post") or {}).get("parentId")
    if answered:  # a Disqus answer: the author of the post it answers
        parent = message_store.get(channel_id, keys.message(answered))
        if parent is not None and parent.author_id:
            direct[parent.author_id] = "thread_reply"
    for user_id in data.get("mentions") or ():
        direct[user_id] = "mention"
    special = set(data.get("specialMentions") or ())
    forum_of = data["workspaceId"] if data.get("channelType") == "comments" else None
    members, users = store.members_and_users(channel_id, [*direct, actor_id], forum_of=forum_of)
    actor = _actor(users.get(actor_id), actor_id)
    text = _message_preview(data)
    recipients = []
    for user_id, kind in sorted(direct.items()):
        user = users.get(user_id)
        if kind == "thread_reply" and special and user is not None and reached_by(special, user):
            kind = "channel_mention"
        if wants(kind, user, members.get(user_id), actor_id=actor_id):
            recipients.append((user_id, kind))
    about = _message_about(data, actor, text, data["createdAt"])
    notified = _write(step, about, recipients, careful=careful)
    if not special:
        return StepResult(notified)
    carry = {"preview": text, "actor": actor, "skip": sorted({*direct, actor_id})}
    return StepResult(notified, Step(_slim(step.event), 1, None, carry))


def _channel_page(step: Step, careful: bool) -> StepResult:
    """@channel / @here: one page of the channel's members (STEP_RECIPIENTS at most)."""
    data, carry = step.event["data"], step.carry
    special = set(data.get("specialMentions") or ())
    skip = set(carry.get("skip") or ())
    page = channel_store.list_members(data["channelId"], limit=STEP_RECIPIENTS, position=step.cursor)
    candidates = {m.user_id: m for m in page.items if m.user_id not in skip}
    _, users = store.members_and_users(None, candidates)
    actor = carry["actor"]
    recipients = [
        (user_id, "channel_mention")
        for user_id, member in sorted(candidates.items())
        if (user := users.get(user_id)) is not None
        and reached_by(special, user)
        and wants("channel_mention", user, member, actor_id=actor["id"])
    ]
    about = _message_about(data, actor, carry["preview"], data["createdAt"])
    notified = _write(step, about, recipients, careful=careful)
    following = Step(step.event, step.number + 1, page.position, carry) if page.position else None
    return StepResult(notified, following)


def _message_updated(step: Step, careful: bool) -> StepResult:
    data = step.event["data"]
    if data.get("type") == "system" or not data.get("mentions") or not data.get("editedAt"):
        return StepResult(0)
    actor_id = data["authorId"]
    already = store.notified_about(data["id"])
    new = [u for u in data["mentions"] if u not in already and u != actor_id]
    if not new:
        return StepResult(0)
    members, users = store.members_and_users(data["channelId"], [*new, actor_id])
    recipients = [
        (u, "mention") for u in sorted(new) if wants("mention", users.get(u), members.get(u), actor_id=actor_id)
    ]
    about = _message_about(data, _actor(users.get(actor_id), actor_id), _message_preview(data), data["editedAt"])
    return StepResult(_write(step, about, recipients, careful=careful))


def _message_deleted(step: Step) -> StepResult:
    """Empty the previews of the message's notifications, STEP_RECIPIENTS a step."""
    message_id = step.event["data"]["id"]
    position, cleared = step.cursor, 0
    while cleared < STEP_RECIPIENTS:
        page = store.sources_of(message_id, limit=_SOURCES_PER_READ, position=position)
        for source in page.items:
            for user_id in source.recipients or ():
                store.clear_preview(user_id, store.derived_id(int(source.id_ms), source.seed, user_id))
                cleared += 1
        position = page.position
        if position is None:
            return StepResult(cleared)
    return StepResult(cleared, Step(step.event, step.number + 1, position, step.carry))


def _reaction_added(step: Step, careful: bool) -> StepResult:
    data = step.event["data"]
    actor_id, message_id = data["userId"], data["messageId"]
    found = message_store.locate(message_id)
    message = message_store.get(found[0], found[1]) if found else None
    if message is None or message.deleted or message.kind == "system":
        return StepResult(0)
    recipient = message.author_id
    if recipient == actor_id:
        return StepResult(0)
    members, users = store.members_and_users(message.channel_id, [recipient, actor_id])
    if not wants("reaction", users.get(recipient), members.get(recipient), actor_id=actor_id):
        return StepResult(0)
    about = _About(
        workspace_id=message.workspace_id,
        channel_id=message.channel_id,
        message_id=message.id,
        thread_id=message.thread_id,
        actor=_actor(users.get(actor_id), actor_id),
        preview=truncate(f"{data['emoji']} {preview(message.content)}".strip(), PREVIEW_CHARS),
        id_ms=_ms(step.event["createdAt"]),
        seed=f"reaction:{message.id}:{data['emoji']}:{actor_id}",
    )
    return StepResult(_write(step, about, [(recipient, "reaction")], careful=careful))


def _invite_created(step: Step, careful: bool) -> StepResult:
    """An email invite to an address that already has a verified account."""
    data = step.event["data"]
    address, workspace_id, actor_id = data.get("email"), data["workspaceId"], data["createdBy"]
    login = user_store.get_login(address) if address else None
    if login is None or not login.email_verified or login.user_id == actor_id:
        return StepResult(0)
    recipient = login.user_id
    if workspace_store.get_membership(workspace_id, recipient) is not None:
        return StepResult(0)  # joined meanwhile
    workspace = workspace_store.get(workspace_id)
    _, users = store.members_and_users(None, [recipient, actor_id])
    if workspace is None or not wants("invite", users.get(recipient), None, actor_id=actor_id):
        return StepResult(0)
    actor = _actor(users.get(actor_id), actor_id)
    about = _About(
        workspace_id=workspace_id,
        channel_id=None,
        message_id=None,
        thread_id=None,
        actor=actor,
        preview=truncate(f"{actor['displayName']} invited you to join {workspace.name}", PREVIEW_CHARS),
        id_ms=_ms(step.event["createdAt"]),
        seed=f"invite:{data['inviteId']}",
    )
    return StepResult(_write(step, about, [(recipient, "invite")], careful=careful))


def actor_of(notification: Notification) -> dict[str, str]:
    return {
        "id": notification.actor_id,
        "username": notification.actor_username,
        "displayName": notification.actor_display_name,
    }


def event_payload(notification: Notification) -> dict[str, Any]:
    """``notification.created``'s data (the router's projection; the push worker reads it)."""
    return {
        "notificationId": notification.id,
        "userId": notification.user_id,
        "type": notification.kind,
        "workspaceId": notification.workspace_id,
        "channelId": notification.channel_id,
        "messageId": notification.message_id,
        "threadId": notification.thread_id,
        "actor": actor_of(notification),
        "preview": notification.preview,
        "createdAt": notification.created_at,
    }


# --- reading and marking --------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    notification: Notification
    read: bool


def _token_workspace(principal: Principal, workspace_id: str | None) -> str | None:
    """An API token sees its own workspace's notifications only."""
    if principal.workspace_id is None:
        return workspace_id
    authz.require_token_workspace(principal, workspace_id or principal.workspace_id)
    return principal.workspace_id


def _is_read(notification: Notification, watermark: str | None) -> bool:
    return bool(notification.read) or (watermark is not None and notification.id <= watermark)


def list_notifications(
    principal: Principal,
    *,
    workspace_id: str | None,
    unread: bool,
    limit: int,
    position: dict[str, Any] | None,
) -> tuple[list[Shown], dict[str, Any] | None]:
    """Newest first: the watermark (GetItem), then one Query (per workspace: GSI1)."""
    authz.require_scope(principal, scopes.USERS_READ)
    workspace_id = _token_workspace(principal, workspace_id)
    watermark = store.watermark(principal.user_id)
    page = store.list_page(
        principal.user_id,
        workspace_id=workspace_id,
        unread_after=watermark,
        unread_only=unread,
        limit=limit,
        position=position,
    )
    return [Shown(n, _is_read(n, watermark)) for n in page.items], page.position


def unread_count(principal: Principal) -> int:
    authz.require_scope(principal, scopes.USERS_READ)
    return store.count_unread(principal.user_id, store.watermark(principal.user_id), principal.workspace_id)


def mark_read(principal: Principal, notification_ids: list[str]) -> int:
    """All or nothing: any id that is not the caller's is 404 and nothing is marked.
    One BatchGetItem, then one conditional write per notification not read yet.
    Returns the unread count after."""
    authz.require_scope(principal, scopes.USERS_WRITE)
    found = store.get_many(principal.user_id, notification_ids)
    for index, notification_id in enumerate(notification_ids):
        notification = found.get(notification_id)
        if notification is None or (
            principal.workspace_id is not None and notification.workspace_id != principal.workspace_id
        ):
            raise NotFound(f"ids[{index}]: notification not found.", field=f"ids[{index}]")
    watermark = store.watermark(principal.user_id)
    for notification in found.values():
        if not _is_read(notification, watermark):
            store.mark_read(principal.user_id, notification.id)
    return store.count_unread(principal.user_id, watermark, principal.workspace_id)


def mark_all_read(principal: Principal, now_ms: int) -> int:
    """One write: the watermark moves to now. Everything that happened until now is
    read, including notifications a worker writes a moment later about earlier events."""
    authz.require_scope(principal, scopes.USERS_WRITE)
    if principal.workspace_id is not None:
        raise InsufficientScope("Marking everything read spans workspaces: it needs a user session, or send ids.")
    watermark = store.watermark_at(now_ms)
    store.raise_watermark(principal.user_id, watermark)
    return store.count_unread(principal.user_id, watermark)


def set_channel_level(principal: Principal, channel_id: str, level: str) -> str:
    """The caller's notification setting in a channel they are a member of."""
    from chalicelib.services import channels

    found = channels.access(principal, channel_id, scopes.CHANNELS_WRITE)
    if found.member is None or not store.set_channel_level(channel_id, principal.user_id, level):
        raise NotMember("Join the channel to choose its notifications.")
    return level
