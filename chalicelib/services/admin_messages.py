"""Admin v2's message and reaction routes over the message services (docs/admin-v2.md).

Every rule is v1's: sending goes through ``services/messages.send`` (membership, archived,
closed, muted, threads one level deep, the moderation engine), deleting through
``messages.delete`` (an admin deletes anyone's), reactions through ``services/reactions``
(exact counts). This module checks that the token's creator is still a workspace admin or
owner, finds channels by their Admin v2 id (the name), reads query windows, and builds the
message bundle ``{messages[], users[], files[]}``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import DisquaError, ModerationBlocked, NotFound, ValidationError
from chalicelib.services import admin_channels, reactions
from chalicelib.services import messages as message_service
from chalicelib.store import channels as channel_store
from chalicelib.store import keys, message_windows, reaction_ranks
from chalicelib.store import messages as message_store
from chalicelib.store import users as user_store
from chalicelib.store.models import Message, Reaction

DEFAULT_WINDOW = 20
MAX_WINDOW = 100
MAX_READS = 10  # Queries per window at most when tags filter (a window may then be short)
FILTERED_READ = 25  # items a filtered read asks for at least
MAX_SKIP = 1000
CUSTOM_DATA_BYTES = 8192
MEDIA = ("image", "file")
IMAGE_SIZES = ("small", "medium", "large", "full")
INLINE_BYTES = 5 * 1024 * 1024  # past this a GET answers a redirect (Lambda answers at most 6 MB)


@dataclass
class Bundle:
    messages: list[Message] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)  # ids answered as deleted (the delete route)
    channel_names: dict[str, str] = field(default_factory=dict)  # v1 id -> name, when known

    def as_dict(self) -> dict[str, Any]:
        unknown = {m.channel_id for m in self.messages} - set(self.channel_names)
        names = {**self.channel_names, **_channel_names(unknown)}
        creators = list(dict.fromkeys(m.author_id for m in self.messages))
        users = user_store.get_many(creators)
        files = {f["id"]: f for m in self.messages for f in m.attachments or [] if isinstance(f, dict) and "id" in f}
        return {
            "messages": [message_view(m, names.get(m.channel_id), m.id in self.deleted) for m in self.messages],
            "users": [admin_channels.user_view(users[uid]) for uid in creators if uid in users],
            "files": [file_view(f) for f in files.values()],
        }


def _channel_names(channel_ids: set[str]) -> dict[str, str]:
    if not channel_ids:
        return {}
    return {cid: c.name for cid, c in channel_store.get_many(sorted(channel_ids)).items()}


def message_view(message: Message, channel_name: str | None, deleted: bool = False) -> dict[str, Any]:
    counts = {emoji: count for emoji, (count, _) in message.reaction_tally().items()}
    data_type = message.data_type or "text"
    custom = data_type == "custom"
    data: dict[str, Any] = dict(message.custom_data or {}) if custom else {"text": message.content}
    file_ids = [f["id"] for f in message.attachments or [] if isinstance(f, dict) and "id" in f]
    if data_type in MEDIA and file_ids:  # an image or file message: its file, and the caption
        data = {"fileId": file_ids[0], "caption": message.content, **(message.custom_data or {})}
        if data_type == "image":
            data["thumbnailFileId"] = file_ids[0]  # thumbnails are sizes of the same file
    elif file_ids:
        data["fileIds"] = file_ids
    return {
        "messageId": message.id,
        "channelId": channel_name,
        "parentId": message.thread_id if not message.is_post else message.parent_post,
        "creatorId": message.author_id,
        "dataType": data_type,
        "data": data,
        "tags": list(message.tags or []),
        "metadata": message.metadata or {},
        "reactions": counts,
        "reactionCount": sum(counts.values()),
        "flagCount": int(message.num_reports or 0),
        "childCount": int(message.reply_count or 0),
        "isDeleted": bool(message.deleted) or deleted,
        "editedAt": message.edited_at,
        "createdAt": message.created_at,
        "updatedAt": message.edited_at or message.created_at,
        "v1Type": message.kind,
    }


def file_view(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "fileId": summary["id"],
        "name": summary.get("filename"),
        "contentType": summary.get("contentType"),
        "size": summary.get("size"),
        "kind": summary.get("kind"),
        "status": summary.get("status"),
    }


def _renamed(exc: DisquaError, names: dict[str, str]) -> DisquaError:
    """The services name v1's fields; Admin v2's names are the spec's."""
    if exc.field in names:
        exc.field = names[exc.field]
    return exc


# --- messages: create, get, delete ------------------------------------------------------------


def create(
    principal: Principal,
    channel_name: str,
    *,
    data_type: str,
    data: dict[str, Any],
    tags: list[str],
    parent_id: str | None,
    metadata: dict[str, Any] | None,
) -> Bundle:
    found = admin_channels.find(principal, channel_name)
    extra: dict[str, Any] = {}
    if tags:
        extra["tags"] = tags
    if metadata:
        extra["metadata"] = metadata
    if data_type == "text":
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("data[text] is required for a text message.", field="data.text")
        if len(text) > message_service.MAX_CONTENT:
            raise ValidationError(f"data[text] is at most {message_service.MAX_CONTENT} characters.", field="data.text")
        content, moderated, names = text, None, {"content": "data.text", "threadId": "parentId"}
    else:  # custom: the data is the admin's; its strings still pass the moderation engine
        if len(json.dumps(data, separators=(",", ":")).encode()) > CUSTOM_DATA_BYTES:
            raise ValidationError(f"data must be at most {CUSTOM_DATA_BYTES} bytes as JSON.", field="data")
        extra.update(data_type="custom", custom_data=data)
        content, moderated, names = "", "\n".join(_strings(data)), {"content": "data", "threadId": "parentId"}
    try:
        message = message_service.send(
            principal, found.channel.id, content, parent_id, [], extra=extra or None, moderated_text=moderated
        )
    except ModerationBlocked as exc:
        raise _renamed(exc, names) from None
    except ValidationError as exc:
        if exc.field is None and found.channel.channel_type == "comments":
            exc.field = "channelId"
        raise _renamed(exc, names) from None
    return Bundle([message], channel_names={found.channel.id: found.channel.name})


def _strings(value: Any) -> list[str]:
    """Every string of a JSON value (keys and values), for the moderation engine."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def get(principal: Principal, message_id: str) -> Bundle:
    admin_channels.require_admin(principal)
    return Bundle([message_service.get(principal, message_id)])


def delete(principal: Principal, message_id: str) -> Bundle:
    """The message as it was, marked deleted (v1's rules: an admin deletes anyone's; a parent
    with replies stays as a tombstone)."""
    admin_channels.require_admin(principal)
    message = message_service.get(principal, message_id)
    message_service.delete(principal, message_id)
    return Bundle([message], {message.id})


# --- messages: query ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    channel_name: str
    parent_id: str | None = None
    filter_by_parent_id: bool = False
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        text = json.dumps(
            [self.channel_name, self.parent_id, self.filter_by_parent_id, sorted(self.tags), sorted(self.exclude_tags)]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def admits(self, message: Message) -> bool:
        tags = {t.lower() for t in message.tags or ()}
        return {t.lower() for t in self.tags} <= tags and not tags & {t.lower() for t in self.exclude_tags}


@dataclass(frozen=True)
class Window:
    """Where a window starts and how many it holds: ``forward`` reads the ``size`` messages
    right after ``after_id`` (``first``), else the ``size`` right before ``before_id``
    (``last``); the other bound, when given, ends the range."""

    forward: bool
    size: int
    after_id: str | None = None
    before_id: str | None = None

    def as_position(self, fingerprint: str) -> dict[str, Any]:
        return {"q": fingerprint, "f": self.forward, "n": self.size, "a": self.after_id, "b": self.before_id}

    @classmethod
    def from_position(cls, position: dict[str, Any], fingerprint: str) -> Window:
        if position.get("q") != fingerprint:
            raise ValidationError("options[token] belongs to another query.", field="options.token")
        return cls(bool(position["f"]), int(position["n"]), position.get("a"), position.get("b"))


def _inner(position: dict[str, Any] | None, fingerprint: str) -> dict[str, Any] | None:
    """The store position inside a list token bound to one list's filters."""
    if position is None:
        return None
    if position.get("q") != fingerprint:
        raise ValidationError("options[token] belongs to another query.", field="options.token")
    return position.get("at")


def _outer(at: dict[str, Any] | None, fingerprint: str) -> dict[str, Any] | None:
    return {"q": fingerprint, "at": at} if at is not None else None


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def window_of(options: dict[str, Any]) -> Window:
    """options after/first/before/last -> a window (the newest DEFAULT_WINDOW when none)."""
    first, last = options.get("first"), options.get("last")
    if first is not None and last is not None:
        raise ValidationError("options[first] and options[last] do not go together.", field="options.last")
    after, before = options.get("after"), options.get("before")
    if first is not None or (last is None and after is not None and before is None):
        return Window(True, first or DEFAULT_WINDOW, after, before)
    return Window(False, last or DEFAULT_WINDOW, after, before)


def query(
    principal: Principal, wanted: Query, window: Window
) -> tuple[Bundle, dict[str, Any] | None, dict[str, Any] | None]:
    """One window of messages, oldest first, and the positions of the later (next) and the
    earlier (previous) windows: bounds are message ids, exclusive, so consecutive windows
    neither repeat nor skip a message. Without ``parentId`` the channel's top-level messages
    (each with its ``childCount``); with it, that thread's replies."""
    if wanted.parent_id is not None and wanted.filter_by_parent_id:
        raise ValidationError("filterByParentId lists messages without a parent: drop parentId.", field="parentId")
    found = admin_channels.find(principal, wanted.channel_name)
    channel_id = found.channel.id
    if wanted.parent_id is not None:
        parent = message_store.get(channel_id, keys.message(wanted.parent_id))
        if parent is None:
            raise ValidationError("parentId is not a top-level message of this channel.", field="parentId")
    collected: list[Message] = []
    last_read: Message | None = None
    at: dict[str, Any] | None = None
    more = False
    for _ in range(MAX_READS):
        page = message_windows.read(
            channel_id,
            parent_id=wanted.parent_id,
            after_id=window.after_id,
            before_id=window.before_id,
            forward=window.forward,
            # with tags, read ahead: what the filters drop is still paid for one Query at a time
            limit=max(window.size - len(collected), FILTERED_READ if wanted.tags or wanted.exclude_tags else 1),
            position=at,
        )
        for index, message in enumerate(page.items):
            last_read = message
            if wanted.admits(message):
                collected.append(message)
            if len(collected) == window.size:
                more = index < len(page.items) - 1 or page.position is not None
                break
        at = page.position
        if len(collected) == window.size or at is None:
            break
    if len(collected) < window.size:  # the range ended, or MAX_READS did
        more = at is not None
    fingerprint = wanted.fingerprint()
    further = None
    if more and last_read is not None:  # on the same way, inside the same range
        if window.forward:
            further = Window(True, window.size, last_read.id, window.before_id).as_position(fingerprint)
        else:
            further = Window(False, window.size, window.after_id, last_read.id).as_position(fingerprint)
    back = None
    started_inside = window.after_id if window.forward else window.before_id
    if collected and started_inside is not None:  # the other way from this window's first message
        if window.forward:
            back = Window(False, window.size, None, collected[0].id).as_position(fingerprint)
        else:
            back = Window(True, window.size, collected[0].id, None).as_position(fingerprint)
    ordered = collected if window.forward else collected[::-1]
    later, earlier = (further, back) if window.forward else (back, further)
    return Bundle(ordered, channel_names={channel_id: found.channel.name}), later, earlier


# --- reactions ----------------------------------------------------------------------------------


def react(principal: Principal, message_id: str, name: str) -> Bundle:
    admin_channels.require_admin(principal)
    try:
        return Bundle([reactions.add(principal, message_id, name)])
    except DisquaError as exc:
        raise _renamed(exc, {"emoji": "reactionName"}) from None


def unreact(principal: Principal, message_id: str, name: str) -> Bundle:
    admin_channels.require_admin(principal)
    try:
        return Bundle([reactions.remove(principal, message_id, name)])
    except DisquaError as exc:
        raise _renamed(exc, {"emoji": "reactionName"}) from None


def reactors(
    principal: Principal,
    message_id: str,
    name: str | None,
    *,
    skip: int,
    limit: int,
    position: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Who reacted to a message (one Query of its reaction items: by reaction, then user id).
    ``skip`` applies to the first page only (read and dropped)."""
    admin_channels.require_admin(principal)
    if name is not None:
        name = reactions.validate_emoji(name, field="options.reactionName")
    elif position is not None:  # a token keeps its reactionName
        name = position.get("name")
    message = message_service.locate(principal, message_id, scopes.MESSAGES_READ).message
    fingerprint = _fingerprint(message.id, name)
    at = _inner(position, fingerprint)
    to_skip = 0 if position is not None else min(skip, MAX_SKIP)
    page = message_store.reactions_of(message.id, name, limit=limit + to_skip, position=at)
    items: list[Reaction] = page.items[to_skip:]
    users = user_store.get_many(list(dict.fromkeys(r.user_id for r in items)))
    body = {
        "reactions": [
            {
                "referenceId": r.message_id,
                "referenceType": "message",
                "reactionName": r.emoji,
                "userId": r.user_id,
                "createdAt": r.created_at,
            }
            for r in items
        ],
        "users": [admin_channels.user_view(u) for u in users.values()],
    }
    following = _outer(page.position, fingerprint)
    return body, ({**following, "name": name} if following else None)


def most_reacted(
    principal: Principal, channel_name: str, name: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[Bundle, dict[str, Any] | None]:
    """The channel's messages with the most ``name`` reactions, the highest count first: one
    GSI6 Query of the ranking (store/reaction_ranks.py) and one BatchGetItem of its messages.
    Deleted messages are left out (a page may come out shorter)."""
    found = admin_channels.find(principal, channel_name)
    name = reactions.validate_emoji(name, field="reactionName")
    fingerprint = _fingerprint(found.channel.id, name)
    ranked, following = reaction_ranks.most_reacted(
        found.channel.id, name, limit=limit, position=_inner(position, fingerprint)
    )
    by_key = message_windows.get_many(found.channel.id, [sort_key for sort_key, _ in ranked])
    messages = [by_key[sort_key] for sort_key, _ in ranked if sort_key in by_key]
    bundle = Bundle([m for m in messages if not m.deleted], channel_names={found.channel.id: found.channel.name})
    return bundle, _outer(following, fingerprint)


# --- image and file messages -------------------------------------------------------------------


def upload(
    principal: Principal,
    channel_name: str,
    uploaded: Any,
    *,
    kind: str,
    caption: str,
    tags: list[str],
    parent_id: str | None,
    full_image: bool,
) -> Bundle:
    """An image or file message: the bytes become a file record's quarantine object (the v1
    pipeline scans, checks the type, makes thumbnails: the S3 notification queues it), then
    ``messages.send`` posts the caption with that attachment (v1's rules, the engine on the
    caption). The file is served only once it is ``ready``."""
    from chalicelib.files.inspect import ACCEPTED_IMAGE_TYPES, safe_filename
    from chalicelib.ids import new_id, now_iso
    from chalicelib.services import files
    from chalicelib.store import files as file_store
    from chalicelib.store import objects

    found = admin_channels.find(principal, channel_name)
    if kind == "image" and uploaded.content_type not in ACCEPTED_IMAGE_TYPES:
        raise ValidationError(f"file must be an image ({', '.join(sorted(ACCEPTED_IMAGE_TYPES))}).", field="file")
    if len(caption) > message_service.MAX_CONTENT:
        raise ValidationError(f"caption is at most {message_service.MAX_CONTENT} characters.", field="caption")
    item = file_store.new_file(
        new_id(),
        found.channel.workspace_id,
        uploader_id=principal.user_id,
        filename=safe_filename(uploaded.filename),
        content_type=uploaded.content_type,
        kind=files.kind_of(uploaded.content_type),
        size=len(uploaded.data),
        created_at=now_iso(),
    )
    extra: dict[str, Any] = {"data_type": kind}
    if tags:
        extra["tags"] = tags
    if kind == "image":
        extra["custom_data"] = {"fullImage": full_image}
    # The moderation engine and the posting rules first: nothing is stored for a refused caption.
    message_service.channel_for_posting(principal, found.channel.id)
    from chalicelib.services import moderation

    moderation.enforce(found.channel.workspace_id, caption, field="caption")
    file_store.put(item)
    objects.put_bytes(item.object_key, uploaded.data, uploaded.content_type)
    try:
        message = message_service.send(principal, found.channel.id, caption, parent_id, [item.id], extra=extra)
    except DisquaError as exc:
        raise _renamed(exc, {"content": "caption", "threadId": "parentId", "attachmentIds[0]": "file"}) from None
    return Bundle([message], channel_names={found.channel.id: found.channel.name})


def media(principal: Principal, message_id: str, kind: str, size: str | None) -> tuple[bytes | None, str, str]:
    """(bytes, content type, filename) of an image or file message's file, or (None, presigned
    URL, filename) when it is past INLINE_BYTES. 404 unless the message is of that kind and
    the file passed the pipeline (409 E_FILE_NOT_READY while it is being processed)."""
    from chalicelib.services import files
    from chalicelib.store import objects

    admin_channels.require_admin(principal)
    message = message_service.get(principal, message_id)
    summaries = [f for f in message.attachments or [] if isinstance(f, dict) and "id" in f]
    if message.deleted or message.data_type != kind or not summaries:
        raise NotFound(f"This message has no {kind}.")
    item = files.visible_file(principal, summaries[0]["id"])
    if item.status == "rejected":
        raise NotFound(f"This message's {kind} was rejected.")
    if item.status != "ready":
        raise files.StillProcessing()
    key, content_type = item.object_key, item.content_type
    if kind == "image" and size != "full":
        key = item.thumbnail_keys().get(size or "medium")
        if key is None:
            raise NotFound("This image has no thumbnail of that size.")
        content_type = "image/jpeg"
    elif kind == "image" and not (message.custom_data or {}).get("fullImage"):
        raise ValidationError("size full: the image was not uploaded with fullImage true.", field="size")
    if int(item.size or 0) > INLINE_BYTES and key == item.object_key:
        return None, objects.presign_get(key, item.filename, content_type, 60), item.filename
    return objects.read_bytes(key), content_type, item.filename
