"""Admin v2 roles (docs/permissions.md, "Roles"): named sets of permissions a workspace defines
(``PUT /api/v2/roles``) and assigns to members (``PUT /api/v2/users`` ``roles``).

The permission model: each permission lets a member do one thing v1 otherwise keeps for
workspace admins, checked by the same code as the admin rule (``permits``):

- ``delete_any_message``: delete anyone's message (v1 ``DELETE /v1/messages/{id}``);
- ``post_in_muted_channel``: post in a channel muted by Admin v2.

A token also needs the route's scope, as for admins. Roles are read per process with a short
TTL (``CACHE_TTL_SECONDS``; the writing process drops its entry at once), and only for a
member who holds a role: 0 extra calls for everyone else, one Query on a cold cache.
"""

from __future__ import annotations

import threading
import time

from chalicelib.auth.principal import Principal
from chalicelib.errors import ValidationError
from chalicelib.ids import now_iso
from chalicelib.services import authz
from chalicelib.store import roles as role_store
from chalicelib.store.models import Membership, WorkspaceRole

DELETE_ANY_MESSAGE = "delete_any_message"
POST_IN_MUTED_CHANNEL = "post_in_muted_channel"
PERMISSIONS = (DELETE_ANY_MESSAGE, POST_IN_MUTED_CHANNEL)
NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,39}"
CACHE_TTL_SECONDS = 5.0

_cache: dict[str, tuple[float, dict[str, frozenset[str]]]] = {}
_cache_lock = threading.Lock()  # the local runtime serves requests from threads


def _granted(workspace_id: str) -> dict[str, frozenset[str]]:
    """Role name -> permissions, cached per process for CACHE_TTL_SECONDS."""
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(workspace_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    granted = {r.name: frozenset(r.permissions or ()) for r in role_store.all_roles(workspace_id)}
    with _cache_lock:
        if len(_cache) >= 1000:
            _cache.clear()
        _cache[workspace_id] = (now + CACHE_TTL_SECONDS, granted)
    return granted


def forget(workspace_id: str | None = None) -> None:
    with _cache_lock:
        if workspace_id is None:
            _cache.clear()
        else:
            _cache.pop(workspace_id, None)


def permits(principal: Principal, membership: Membership, permission: str) -> bool:
    """Admin powers (the admin role and, on a token, the admin scope), or a role of the
    member's that grants ``permission``."""
    if authz.acts_as_admin(principal, membership):
        return True
    if not membership.roles:
        return False
    granted = _granted(membership.workspace_id)
    return any(permission in granted.get(name, ()) for name in membership.roles)


def require_defined(workspace_id: str, names: list[str]) -> None:
    """Every name is a role of the workspace (400 naming ``roles[i]`` otherwise): one Query."""
    if not names:
        return
    defined = {r.name for r in role_store.all_roles(workspace_id)}
    for index, name in enumerate(names):
        if name not in defined:
            raise ValidationError(
                f"{name!r} is not a role of this workspace (PUT /api/v2/roles).", field=f"roles[{index}]"
            )


def query(principal: Principal, name_filter: str | None) -> list[WorkspaceRole]:
    """The workspace's roles by name (one Query), those whose name starts with ``filter``."""
    from chalicelib.services.admin_channels import require_admin

    roles = role_store.all_roles(require_admin(principal))
    if name_filter:
        roles = [r for r in roles if r.name.startswith(name_filter.lower())]
    return roles


def put(principal: Principal, names: list[str], permissions: list[str]) -> list[WorkspaceRole]:
    """Create or replace each role with these permissions (at most MAX_ROLES roles)."""
    from chalicelib.services.admin_channels import require_admin

    workspace_id = require_admin(principal)
    for index, permission in enumerate(permissions):
        if permission not in PERMISSIONS:
            raise ValidationError(
                f"Unknown permission {permission!r}: one of {', '.join(PERMISSIONS)}.", field=f"permissions[{index}]"
            )
    existing = {r.name for r in role_store.all_roles(workspace_id)}
    if len(existing | set(names)) > role_store.MAX_ROLES:
        raise ValidationError(f"A workspace has at most {role_store.MAX_ROLES} roles.", field="publicIds")
    at = now_iso()
    written = [role_store.put(workspace_id, name, set(permissions), at) for name in dict.fromkeys(names)]
    forget(workspace_id)
    return written


def view(role: WorkspaceRole) -> dict[str, object]:
    return {"roleId": role.name, "permissions": sorted(role.permissions or ()), "updatedAt": role.updated_at}
