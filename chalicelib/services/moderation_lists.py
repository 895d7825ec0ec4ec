"""A forum's Disqus blacklists and whitelists: what moderators add, list and remove.

- blacklist types: ``word``, ``ip``, ``user``, ``email``, ``domain``; whitelist: ``email``,
  ``user``. Values are normalized before they are compared or stored (``normalize``), so
  ``Bob@Example.com`` and ``bob@example.com`` are one entry.
- Moderators only: the forum's admins and owners, a token with ``comments:moderate``.
- How the entries judge a new post: chalicelib/services/comment_rules.py.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, CreationLimit, NotFound, ValidationError
from chalicelib.ids import new_id, now_iso
from chalicelib.services import forums
from chalicelib.services.public_keys import normalize_domain
from chalicelib.store import moderation_lists as store
from chalicelib.store.errors import TransactionCancelled
from chalicelib.store.models import ModerationEntry, Workspace

TYPES = {
    "blacklist": ("word", "ip", "user", "email", "domain"),
    "whitelist": ("email", "user"),
}
MAX_VALUES = 50  # per call: one transaction holds them and the counter
MAX_NOTES = 250
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}")
_USER_ID = re.compile(r"[\w-]{1,64}", re.ASCII)


@dataclass(frozen=True)
class Change:
    workspace: Workspace
    entries: list[ModerationEntry]


def normalize(entry_type: str, value: str, field: str) -> str:
    """The value as stored and compared, or ValidationError naming ``field``."""
    text = " ".join(value.split())
    if entry_type == "word":
        # Whole words or phrases, compared case-insensitively (comment_rules.py).
        if not 1 <= len(text) <= 100:
            raise ValidationError("a word is 1 to 100 characters.", field=field)
        return text.casefold()
    if entry_type == "email":
        text = text.lower()
        if len(text) > 254 or not _EMAIL.fullmatch(text):
            raise ValidationError("is not an e-mail address.", field=field)
        return text
    if entry_type == "domain":
        try:
            domain = normalize_domain(text.removeprefix("@"))
        except ValueError as exc:
            raise ValidationError(str(exc), field=field) from None
        if "*" in domain or ":" in domain:
            raise ValidationError("is an e-mail domain: no port and no *. (subdomains always match).", field=field)
        return domain
    if entry_type == "ip":
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValidationError("is not an IP address or network (CIDR).", field=field) from None
        single = network.num_addresses == 1
        return str(network.network_address) if single else str(network)
    if not _USER_ID.fullmatch(text):
        raise ValidationError("is not a user id.", field=field)
    return text


def _check_type(list_name: str, entry_type: str | None, field: str = "type") -> None:
    if entry_type is not None and entry_type not in TYPES[list_name]:
        raise ValidationError(f"is one of {', '.join(TYPES[list_name])}.", field=field)


def add(
    principal: Principal,
    forum: str,
    list_name: str,
    pairs: list[tuple[str, str, str]],
    notes: str | None,
) -> Change:
    """``pairs``: (type, value, the argument it came from). Values already listed are answered
    as they are (their notes unchanged); the new ones are written in one transaction."""
    if not pairs:
        raise ValidationError("is required (with type, or as word=, email=, ...).", field="value")
    if len(pairs) > MAX_VALUES:
        raise ValidationError(f"takes at most {MAX_VALUES} values.", field="value")
    if notes is not None and len(notes) > MAX_NOTES:
        raise ValidationError(f"is longer than {MAX_NOTES} characters.", field="notes")
    wanted: dict[tuple[str, str], None] = {}
    for entry_type, value, field in pairs:
        _check_type(list_name, entry_type)
        wanted[(entry_type, normalize(entry_type, value, field))] = None
    workspace, _, _ = forums.moderated(principal, forum)
    existing = {(e.entry_type, e.value): e for e in store.rules(workspace.id, list_name)}
    created_at = now_iso()
    new = [
        store.new_entry(
            new_id(),
            workspace.id,
            list_name,
            entry_type,
            value,
            notes=notes or None,
            created_by=principal.user_id,
            created_at=created_at,
        )
        for entry_type, value in wanted
        if (entry_type, value) not in existing
    ]
    try:
        store.add(workspace.id, new)
    except store.LimitReached:
        raise CreationLimit(f"A forum holds at most {store.MAX_ENTRIES} blacklist and whitelist entries.") from None
    except TransactionCancelled:
        raise Conflict("Someone changed this list at the same moment: retry.") from None
    made = {(e.entry_type, e.value): e for e in new}
    return Change(workspace, [existing.get(key) or made[key] for key in wanted])


def remove(
    principal: Principal,
    forum: str,
    list_name: str,
    ids: list[str],
    pairs: list[tuple[str, str, str]],
) -> Change:
    """Entries by id or by (type, value): all are found before any is removed (one unknown:
    NotFound naming it, nothing changes), then one transaction removes them."""
    if not ids and not pairs:
        raise ValidationError("is required: the entry ids, or type and value.", field="item")
    if len(ids) + len(pairs) > MAX_VALUES:
        raise ValidationError(f"takes at most {MAX_VALUES} entries.", field="item")
    keys = []
    for entry_type, value, field in pairs:
        _check_type(list_name, entry_type)
        keys.append((entry_type, normalize(entry_type, value, field), field))
    workspace, _, _ = forums.moderated(principal, forum)
    entries = store.rules(workspace.id, list_name)
    by_id = {e.id: e for e in entries}
    by_value = {(e.entry_type, e.value): e for e in entries}
    chosen: dict[str, ModerationEntry] = {}
    for entry_id in ids:
        if entry_id not in by_id:
            raise NotFound(f"No {list_name} entry {entry_id[:64]}.", field="item")
        chosen[entry_id] = by_id[entry_id]
    for entry_type, value, field in keys:
        if (entry_type, value) not in by_value:
            raise NotFound(f"No {list_name} entry for this {entry_type}.", field=field)
        entry = by_value[(entry_type, value)]
        chosen[entry.id] = entry
    try:
        store.remove(workspace.id, list(chosen.values()))
    except TransactionCancelled:
        raise Conflict("Someone changed this list at the same moment: retry.") from None
    return Change(workspace, list(chosen.values()))


def list_entries(
    principal: Principal,
    forum: str,
    list_name: str,
    *,
    entry_type: str | None,
    newest_first: bool,
    from_ms: int | None,
    skip: int,
    limit: int,
) -> tuple[Workspace, list[ModerationEntry], list[ModerationEntry], bool]:
    """A page in creation order: (workspace, entries read, those of ``entry_type``, more).
    The type is filtered in memory, so a page may show fewer than ``limit``."""
    _check_type(list_name, entry_type)
    workspace, _, _ = forums.moderated(principal, forum)
    read, more = store.list_page(
        workspace.id, list_name, newest_first=newest_first, from_ms=from_ms, skip=skip, limit=limit
    )
    shown = [e for e in read if entry_type is None or e.entry_type == entry_type]
    return workspace, read, shown, more
