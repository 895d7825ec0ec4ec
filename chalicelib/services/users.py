"""User profiles, presence status and preferences."""

from __future__ import annotations

from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.errors import NotFound
from chalicelib.store import users as user_store
from chalicelib.store.models import User
from chalicelib.store.outbox import new_event

DEFAULT_PREFERENCES: dict[str, Any] = {
    # reactions: in-app notifications of reactions to your messages (off by default);
    # muteAll: no in-app notifications at all (chalicelib/services/notifications.py).
    "notifications": {
        "desktop": "mentions",
        "mobile": "mentions",
        "email": "never",
        "muteAll": False,
        "reactions": False,
    },
    "theme": "system",
    "language": "en",
}


def get_me(principal: Principal) -> User:
    user = user_store.get_user(principal.user_id)
    if user is None:  # the account was deleted after the token was issued
        raise NotFound("User not found.")
    return user


# Profile fields other features keep copies of (the search index of people): changing one raises
# user.updated with the write, so they follow.
INDEXED_FIELDS = {"display_name": "displayName"}  # store name -> the name events and the API use


def update_profile(principal: Principal, changes: dict[str, Any]) -> User:
    """``changes`` uses the store's attribute names; a None value clears the field."""
    changed = sorted(INDEXED_FIELDS[name] for name in changes if name in INDEXED_FIELDS)
    event = new_event("user.updated", {"userId": principal.user_id, "changes": changed}) if changed else None
    user_store.update_user(principal.user_id, changes, event)
    return get_me(principal)


def set_status(principal: Principal, status: str) -> User:
    return update_profile(principal, {"status": status})


def preferences_of(user: User) -> dict[str, Any]:
    stored = user.preferences or {}
    merged = {**DEFAULT_PREFERENCES, **stored}
    merged["notifications"] = {**DEFAULT_PREFERENCES["notifications"], **stored.get("notifications", {})}
    return merged


def update_preferences(principal: Principal, changes: dict[str, Any]) -> dict[str, Any]:
    """A partial update: nested ``notifications`` keys merge into the stored ones."""
    current = preferences_of(get_me(principal))
    updated = {**current, **{k: v for k, v in changes.items() if k != "notifications"}}
    updated["notifications"] = {**current["notifications"], **changes.get("notifications", {})}
    user_store.update_user(principal.user_id, {"preferences": updated})
    return updated
