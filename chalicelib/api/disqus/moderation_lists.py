"""/api/3.0/blacklists/* and /api/3.0/whitelists/*: a forum's moderation lists (docs/disqus.md).

Values come as ``type`` + ``value`` (several) or as Disqus's per-type arguments
(``word=``, ``ip=``, ``user=``, ``email=``, ``domain=``; several each), both in one call too.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.disqus import protocol
from chalicelib.api.disqus.paging import key_page, key_position
from chalicelib.api.disqus.surface import DisqusSurface
from chalicelib.api.routing import Call, Reply
from chalicelib.auth import scopes
from chalicelib.errors import ValidationError
from chalicelib.services import moderation_lists
from chalicelib.services.moderation_lists import TYPES
from chalicelib.store.models import ModerationEntry

bp = Blueprint(__name__)
disqus = DisqusSurface(bp, tag="Disqus 3.0: blacklists and whitelists")

FORUM = {"forum": "required: the forum id (workspace slug)"}


def entry_view(entry: ModerationEntry, forum: str) -> dict[str, Any]:
    return {
        "id": entry.id,
        "type": entry.entry_type,
        "value": entry.value,
        "notes": entry.notes or "",
        "createdAt": protocol.render_timestamp(entry.created_at),
        "forum": forum,
    }


def _pairs(args: dict[str, list[str]], list_name: str) -> list[tuple[str, str, str]]:
    """(type, value, argument) for ``type`` + ``value`` and for each per-type argument."""
    entry_type = protocol.one(args, "type")
    values = [v for v in args.get("value", []) if v != ""]
    if values and entry_type is None:
        raise ValidationError("is required with value.", field="type")
    pairs = [(entry_type or "", value, "value") for value in values]
    for name in TYPES[list_name]:
        pairs += [(name, value, name) for value in args.get(name, []) if value != ""]
    return pairs


def _retroactive(args: dict[str, list[str]]) -> None:
    """Accepted as Disqus takes it, and not applied: entries judge posts written after them."""
    value = protocol.one(args, "retroactive")
    if value is not None and value.lower() not in ("0", "1", "true", "false"):
        raise ValidationError("is 0, 1, true or false.", field="retroactive")


def _arguments(list_name: str, *extra: str) -> dict[str, str]:
    per_type = {name: f"{name} values (several allowed)" for name in TYPES[list_name]}
    return {
        **FORUM,
        "type": " | ".join(TYPES[list_name]) + ": the type of value",
        "value": "values of that type (several allowed)",
        **per_type,
        **{name: words for name, words in EXTRA.items() if name in extra},
    }


EXTRA = {
    "notes": "a note for moderators (up to 250 characters)",
    "retroactive": "accepted; entries apply to posts written after them only",
    "item": "entry ids (several allowed)",
}


def _add(call: Call, list_name: str) -> Any:
    args = call.query
    _retroactive(args)
    pairs = _pairs(args, list_name)
    change = moderation_lists.add(
        call.user, protocol.one(args, "forum", required=True) or "", list_name, pairs, protocol.one(args, "notes")
    )
    return [entry_view(e, change.workspace.slug) for e in change.entries]


def _remove(call: Call, list_name: str) -> Any:
    args = call.query
    _retroactive(args)
    ids = [v for v in args.get("item", []) if v != ""]
    change = moderation_lists.remove(
        call.user, protocol.one(args, "forum", required=True) or "", list_name, ids, _pairs(args, list_name)
    )
    return [entry_view(e, change.workspace.slug) for e in change.entries]


def _list(call: Call, list_name: str) -> Reply:
    position = key_position(call)
    workspace, read, shown, more = moderation_lists.list_entries(
        call.user,
        protocol.one(call.query, "forum", required=True) or "",
        list_name,
        entry_type=protocol.one(call.query, "type"),
        newest_first=position.newest_first,
        from_ms=position.from_ms,
        skip=position.skip,
        limit=position.limit,
    )
    return key_page(position, [e.id for e in read], [entry_view(e, workspace.slug) for e in shown], more)


LIST_ARGUMENTS = {
    **FORUM,
    "type": "only entries of this type",
    "order": "desc (default) or asc, by creation",
    "since": "Unix seconds or ISO 8601: from that moment on, in the order asked",
}


@disqus.endpoint(
    "blacklists/add",
    "POST",
    summary="Add words, IPs, users, e-mails or e-mail domains to the forum's blacklist (moderators)",
    scope=scopes.COMMENTS_MODERATE,
    arguments=_arguments("blacklist", "notes", "retroactive"),
)
def add_to_blacklist(call: Call) -> Any:
    return _add(call, "blacklist")


@disqus.endpoint(
    "blacklists/list",
    "GET",
    summary="The forum's blacklist, newest first (moderators)",
    scope=scopes.COMMENTS_MODERATE,
    arguments=LIST_ARGUMENTS,
    lists=True,
)
def list_blacklist(call: Call) -> Reply:
    return _list(call, "blacklist")


@disqus.endpoint(
    "blacklists/remove",
    "POST",
    summary="Remove blacklist entries by id or by value (moderators)",
    scope=scopes.COMMENTS_MODERATE,
    arguments=_arguments("blacklist", "item", "retroactive"),
)
def remove_from_blacklist(call: Call) -> Any:
    return _remove(call, "blacklist")


@disqus.endpoint(
    "whitelists/add",
    "POST",
    summary="Add users or e-mails to the forum's whitelist (moderators)",
    scope=scopes.COMMENTS_MODERATE,
    arguments=_arguments("whitelist", "notes", "retroactive"),
)
def add_to_whitelist(call: Call) -> Any:
    return _add(call, "whitelist")


@disqus.endpoint(
    "whitelists/list",
    "GET",
    summary="The forum's whitelist, newest first (moderators)",
    scope=scopes.COMMENTS_MODERATE,
    arguments=LIST_ARGUMENTS,
    lists=True,
)
def list_whitelist(call: Call) -> Reply:
    return _list(call, "whitelist")


@disqus.endpoint(
    "whitelists/remove",
    "POST",
    summary="Remove whitelist entries by id or by value (moderators)",
    scope=scopes.COMMENTS_MODERATE,
    arguments=_arguments("whitelist", "item", "retroactive"),
)
def remove_from_whitelist(call: Call) -> Any:
    return _remove(call, "whitelist")
