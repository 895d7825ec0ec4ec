"""Disqus threads: a thread is a channel of type ``comments`` in the forum's workspace.

- It is public within its workspace: every member reads and answers it from v1 too
  (services/channels.py and messages.py treat any non-private channel so).
- Create: a member's token, or a workspace API token, with ``comments:write``. The creator
  becomes the channel's first member (manager), as with any channel.
- Close / open: moderators (workspace admins and owners; a token needs
  ``comments:moderate``). Closed means no new posts; removed threads are archived channels.
- Its name is ``comments-<channel id>``: unique, valid under v1's name rules, and in
  creation order (ids are UUIDv7), which is what threads/list pages over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.ids import new_id, now_iso
from chalicelib.services import authz, categories, channels, forums
from chalicelib.services.forums import MODERATOR_ROLES
from chalicelib.store import categories as category_store
from chalicelib.store import channels as channel_store
from chalicelib.store import comment_threads as thread_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import AlreadyExists
from chalicelib.store.models import Channel, Entity, Membership, Workspace
from chalicelib.store.outbox import new_event

COMMENTS = "comments"


@dataclass(frozen=True)
class Lookup:
    """How a thread is named: its id, or its identifier / url within ``forum``."""

    thread_id: str | None = None
    identifier: str | None = None
    link: str | None = None
    forum: str | None = None


@dataclass(frozen=True)
class Found:
    thread: Channel
    workspace: Workspace
    membership: Membership | None  # None for a public key


def normalize_link(url: str) -> str:
    """Scheme and host lowercased, no fragment, "/" for an empty path: one page, one key."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError("must be an http(s) URL.", field="url")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def link_hash(url: str) -> str:
    return hashlib.sha256(normalize_link(url).encode()).hexdigest()


def _forum_not_found(slug: str) -> NotFound:
    return NotFound(f"Unable to find forum '{slug[:100]}'.", field="forum")


def _thread_not_found() -> NotFound:
    return NotFound("Unable to find thread.", field="thread")


def _workspace_id(slug: str) -> str:
    workspace_id = workspace_store.workspace_id_for_slug(slug) if slug else None
    if workspace_id is None:
        raise _forum_not_found(slug)
    return workspace_id


def _access(
    principal: Principal, workspace_id: str, scope: str, more: list[tuple[str, str]]
) -> tuple[Workspace, Membership | None, dict[tuple[str, str], Entity]]:
    """The workspace, the caller's membership and ``more``, in one BatchGetItem (forums.access)."""
    return forums.access(principal, workspace_id, scope, more)


# --- reading -------------------------------------------------------------------------


def find(principal: Principal, lookup: Lookup, scope: str = scopes.COMMENTS_READ) -> Found:
    """A thread the caller may read. By id: the channel (GetItem), then the workspace and
    membership (BatchGetItem). By identifier or url: the forum's slug (GetItem), then the
    workspace, membership and claim in one BatchGetItem, then the channel (GetItem)."""
    if lookup.thread_id is not None:
        thread = channel_store.get(lookup.thread_id)
        if thread is None or thread.channel_type != COMMENTS:
            raise _thread_not_found()
        try:
            workspace, membership, _ = _access(principal, thread.workspace_id, scope, [])
        except NotFound:
            raise _thread_not_found() from None
        if lookup.forum is not None and workspace.slug != lookup.forum.lower():
            raise _thread_not_found()
        return Found(thread, workspace, membership)
    if not lookup.forum:
        raise ValidationError("is required with thread:ident or thread:link.", field="forum")
    workspace_id = _workspace_id(lookup.forum)
    if lookup.identifier is not None:
        key = thread_store.identifier_key(workspace_id, lookup.identifier)
    else:
        key = thread_store.link_key(workspace_id, link_hash(lookup.link or ""))
    workspace, membership, found = _access(principal, workspace_id, scope, [key])
    channel_id = thread_store.claimed_channel_id(found, key)
    thread = channel_store.get(channel_id) if channel_id else None
    if thread is None:
        raise _thread_not_found()
    return Found(thread, workspace, membership)


def find_many(principal: Principal, thread_ids: list[str]) -> list[Found]:
    """Threads by id (one BatchGetItem, then one per workspace they span) the caller may read;
    the others are left out, as Disqus leaves out what it cannot find."""
    found = thread_store.get_many(thread_ids)
    readable: list[Found] = []
    access: dict[str, tuple[Workspace, Membership | None] | None] = {}
    for thread_id in dict.fromkeys(thread_ids):
        thread = found.get(thread_id)
        if thread is None or thread.channel_type != COMMENTS:
            continue
        if thread.workspace_id not in access:
            try:
                workspace, membership, _ = _access(principal, thread.workspace_id, scopes.COMMENTS_READ, [])
                access[thread.workspace_id] = (workspace, membership)
            except NotFound:
                access[thread.workspace_id] = None
        allowed = access[thread.workspace_id]
        if allowed is not None:
            readable.append(Found(thread, *allowed))
    return readable


def list_threads(
    principal: Principal,
    forum: str,
    *,
    killed: bool,
    newest_first: bool,
    from_ms: int | None,
    skip: int,
    limit: int,
) -> tuple[Workspace, list[Channel], bool]:
    """A page of the forum's threads in creation order: slug (GetItem), access (BatchGetItem,
    none for a public key) and one Query."""
    workspace_id = _workspace_id(forum)
    workspace, _, _ = _access(principal, workspace_id, scopes.COMMENTS_READ, [])
    threads, more = thread_store.list_page(
        workspace_id, killed, newest_first=newest_first, from_ms=from_ms, skip=skip, limit=limit
    )
    return workspace, threads, more


# --- writing -------------------------------------------------------------------------


def create(
    principal: Principal,
    forum: str,
    *,
    title: str,
    message: str | None = None,
    identifier: str | None = None,
    url: str | None = None,
    slug: str | None = None,
    category: str | None = None,
    date: datetime | None = None,
) -> Found:
    workspace_id = _workspace_id(forum)
    authz.require_scope(principal, scopes.COMMENTS_WRITE)
    if principal.kind == "public_key":
        raise Forbidden("Creating a thread needs an authenticated user.")
    # The category named (or the forum's default) is read with the access check: no extra call.
    more = categories.more_keys(workspace_id, category)
    workspace, _, found = _access(principal, workspace_id, scopes.COMMENTS_WRITE, more)
    category = categories.resolve(found, workspace, category)
    link = normalize_link(url) if url else None
    thread_id = new_id()
    created_at = date.isoformat().replace("+00:00", "Z") if date else now_iso()
    thread = channel_store.new_channel(
        thread_id,
        workspace_id,
        thread_store.NAME_PREFIX + thread_id,
        COMMENTS,
        principal.user_id,
        created_at,
        topic=title,
        description=message,
        identifier=identifier,
        link=link,
        thread_slug=slug,
        category=category,
        closed=False,
    )
    creator = channel_store.new_member(thread, principal.user_id, "manager", created_at)
    event = _event("channel.created", thread, createdBy=principal.user_id, **channels.channel_summary(thread))
    try:
        in_category = [category_store.thread_ref(category, thread_id, workspace_id)] if category else []
        thread_store.create(thread, creator, event, link_hash(link) if link else None, also=in_category)
    except AlreadyExists as exc:
        if exc.what == "identifier":
            raise Conflict("A thread with this identifier already exists.", field="identifier") from None
        raise
    return Found(thread, workspace, None)


def set_closed(principal: Principal, lookup: Lookup, closed: bool) -> Found:
    """Moderators only: a token with ``comments:moderate`` of a workspace admin or owner."""
    found = find(principal, lookup, scopes.COMMENTS_MODERATE)
    if found.membership is None or found.membership.role not in MODERATOR_ROLES:
        raise Forbidden("Only the forum's moderators may close or open a thread.")
    thread = found.thread
    if bool(thread.closed) == closed:
        return found
    event = _event("channel.updated", thread, changes=["closed"], updatedBy=principal.user_id)
    thread_store.set_closed(thread, closed, event)
    thread.closed = closed
    return found


def set_removed(principal: Principal, lookups: list[Lookup], removed: bool) -> list[Found]:
    """threads/remove and threads/restore: v1's archive / unarchive of the channel, for the
    forum's moderators only (a token needs ``comments:moderate``). Every thread is checked
    before any is changed, so a refusal changes nothing."""
    found = [find(principal, lookup, scopes.COMMENTS_MODERATE) for lookup in lookups]
    for one in found:
        if one.membership is None or one.membership.role not in MODERATOR_ROLES:
            raise Forbidden("Only the forum's moderators may remove or restore a thread.")
    for one in found:
        thread = one.thread
        if bool(thread.archived) == removed:
            continue
        # The same change and event as channels.set_archived, whose scope is channels:write.
        event = _event("channel.archived" if removed else "channel.unarchived", thread, by=principal.user_id)
        channel_store.update(thread, {"archived": removed}, event)
        thread.archived = removed
    return found


EDITABLE = {
    "title": "topic",
    "message": "description",
    "slug": "thread_slug",
    "url": "link",
    "identifier": "identifier",
    "category": "category",
}


def update(principal: Principal, lookup: Lookup, given: dict[str, str | None]) -> Found:
    """threads/update: the thread's author or a moderator. ``given`` maps Disqus names
    (EDITABLE) to new values, "" clearing one. Identifier and url move their claims in the
    thread's own transaction; a taken identifier is refused (Conflict naming it)."""
    found = find(principal, lookup, scopes.COMMENTS_WRITE)
    thread = found.thread
    is_moderator = found.membership is not None and found.membership.role in MODERATOR_ROLES
    if principal.kind == "public_key" or not (is_moderator or thread.created_by == principal.user_id):
        raise Forbidden("Only the thread's author and the forum's moderators may update it.")
    for required in ("title", "category"):
        if given.get(required) == "":
            raise ValidationError("cannot be empty.", field=required)
    changes: dict[str, Any] = {}
    for name, value in given.items():
        attribute = EDITABLE[name]
        value = value or None
        if name == "url" and value is not None:
            value = normalize_link(value)
        if name == "category" and value is not None and value != thread.category:
            value = categories.check(thread.workspace_id, value)  # one GetItem
        if getattr(thread, attribute) != value:
            changes[attribute] = value
    if not changes:
        return found
    release = take = None
    if "link" in changes:
        wid = thread.workspace_id
        old = thread_store.link_key(wid, link_hash(thread.link)) if thread.link else None
        new = thread_store.link_key(wid, link_hash(changes["link"])) if changes["link"] else None
        held = thread_store.claims([k for k in (old, new) if k is not None])
        release = old if old is not None and held.get(old) == thread.id else None
        take = new if new is not None and new not in held else None  # first thread keeps a shared url
    removed, added = [], []
    if "category" in changes:  # the thread's reference moves to its new category's list
        wid = thread.workspace_id
        removed = [category_store.thread_ref(thread.category, thread.id, wid)] if thread.category else []
        added = [category_store.thread_ref(changes["category"], thread.id, wid)]
    event = _event("channel.updated", thread, changes=sorted(changes), updatedBy=principal.user_id)
    try:
        thread_store.update(
            thread,
            changes,
            event,
            new_identifier=changes.get("identifier"),
            link_moves=(release, take),
            also=(removed, added),
        )
    except AlreadyExists:
        raise Conflict("A thread with this identifier already exists.", field="identifier") from None
    for attribute, value in changes.items():
        setattr(thread, attribute, value)
    return found


def _event(event_type: str, channel: Channel, **data: Any) -> Any:
    return new_event(
        event_type,
        {"workspaceId": channel.workspace_id, "channelId": channel.id, **data},
        workspace_id=channel.workspace_id,
    )
