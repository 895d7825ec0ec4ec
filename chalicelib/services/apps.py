"""OAuth apps (clients) and their installations: registration by a workspace's admins.

An app belongs to the workspace that registered it and is installed there when it is
created. A distributed app may also be installed in other workspaces (by their admins,
through the consent page: chalicelib/services/oauth.py). Its admins see and change it
with the admin role and, on an API token, the ``admin`` scope; an OAuth token never
manages apps (an app could otherwise widen its own redirect URIs or read its secret's
hint). A confidential app's secret is shown once (create, rotate-secret) and kept as a
SHA-256 hash. Deleting an app, uninstalling it, or narrowing its scopes revokes the
grants (refresh-token families) it no longer may hold. See docs/permissions.md.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.auth import scopes as scope_names
from chalicelib.auth import tokens
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, Forbidden, InsufficientScope, NotFound, NotMember, ValidationError
from chalicelib.ids import new_id, now_iso
from chalicelib.services import authz
from chalicelib.store import apps as app_store
from chalicelib.store import oauth as oauth_store
from chalicelib.store import sessions as session_store
from chalicelib.store.db import update_existing
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import App, Event, Installation
from chalicelib.store.outbox import new_event

MAX_REDIRECT_URIS = 10
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
# A DNS name (LDH labels) or a bracketed IPv6 literal; anything else (a "*", "%", "_",
# non-ASCII: IDNs must be given in punycode) cannot be matched exactly and safely.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


# --- URL rules -------------------------------------------------------------------------


def _url_problem(url: str, *, loopback_http: bool) -> str | None:
    """Why a URL may not be registered (None if it may): absolute, https (plain http
    only to the loopback host on the local stage), no userinfo, no fragment, no wildcard."""
    if any(c.isspace() for c in url) or "*" in url:
        return "must not contain spaces or wildcards"
    if "#" in url:
        return "must not have a fragment"
    try:
        parts = urlsplit(url)
        port = parts.port  # a non-numeric or out-of-range port raises
    except ValueError:
        return "must be an absolute URL"
    scheme, netloc, host = parts.scheme.lower(), parts.netloc, parts.hostname or ""
    if scheme not in ("https", "http") or not netloc or not host:
        return "must be an absolute https URL"
    if "@" in netloc:
        return "must not contain userinfo (user:password@)"
    if netloc.endswith(":") or (port is not None and port == 0):
        return "must have a valid port"
    if scheme == "http" and not (loopback_http and host in LOOPBACK_HOSTS):
        return "must be an https URL (plain http only to 127.0.0.1 or localhost, on the local stage)"
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "must have a valid host"
    elif not _HOST.fullmatch(host):
        return "must have a valid host"
    return None


def check_redirect_uris(uris: list[str], field: str = "redirectUris") -> list[str]:
    """The redirect URIs as registered, exactly (matching is exact: RFC 9700 2.1)."""
    local = get_settings().stage == "local"
    for index, uri in enumerate(uris):
        problem = _url_problem(uri, loopback_http=local)
        if problem:
            raise ValidationError(f"{field}[{index}] {problem}.", field=f"{field}[{index}]")
    return uris


def check_homepage(url: str | None, field: str = "homepageUrl") -> str | None:
    if url is not None:
        problem = _url_problem(url, loopback_http=False)
        if problem:
            raise ValidationError(f"{field} {problem}.", field=field)
    return url


# --- access ----------------------------------------------------------------------------


def _refuse_apps(principal: Principal) -> None:
    if principal.kind not in ("session", "api_token"):
        raise InsufficientScope("Apps are managed with a user session or an API token, not an app's token.")


def _workspace_admin(principal: Principal, workspace_id: str) -> None:
    """Admins and owners (an API token also needs the admin scope). Members 403,
    non-members 404."""
    _refuse_apps(principal)
    authz.workspace_access(principal, workspace_id, role="admin")


def _app(principal: Principal, app_id: str) -> App:
    """An app its workspace's admins may see; for anyone else it does not exist."""
    _refuse_apps(principal)
    authz.require_scope(principal, scope_names.ADMIN)
    app = app_store.get(app_id)
    if app is None:
        raise NotFound("App not found.")
    try:
        _workspace_admin(principal, app.workspace_id)
    except (NotFound, NotMember, Forbidden):
        raise NotFound("App not found.") from None
    return app


# --- apps -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WithSecret:
    app: App
    secret: str | None  # None for public apps


def create(
    principal: Principal,
    workspace_id: str,
    *,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    public: bool,
    distributed: bool,
    description: str | None = None,
    homepage_url: str | None = None,
) -> WithSecret:
    _workspace_admin(principal, workspace_id)
    authz.require_verified(principal)
    check_redirect_uris(redirect_uris)
    check_homepage(homepage_url)
    app_id = new_id()
    secret = None if public else tokens.new_client_secret()
    now = now_iso()
    app = app_store.new_app(
        app_id,
        workspace_id,
        client_id=tokens.client_id_for(app_id),
        name=name,
        description=description,
        homepage_url=homepage_url,
        redirect_uris=redirect_uris,
        scopes=set(scopes),
        public=public,
        distributed=distributed,
        secret_hash=tokens.sha256_hex(secret) if secret else None,
        secret_hint=secret[-4:] if secret else None,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    installation = app_store.new_installation(
        app_id, workspace_id, installed_by=principal.user_id, scopes=set(scopes), created_at=now
    )
    event = new_event(
        "app.created",
        {
            "appId": app_id,
            "clientId": app.client_id,
            "name": name,
            "scopes": sorted(scopes),
            "public": public,
            "distributed": distributed,
            "createdBy": principal.user_id,
        },
        workspace_id=workspace_id,
    )
    app_store.create(app, installation, event)
    return WithSecret(app, secret)


def list_apps(
    principal: Principal, workspace_id: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[App], dict[str, Any] | None]:
    _workspace_admin(principal, workspace_id)
    page = app_store.list_for_workspace(workspace_id, limit=limit, position=position)
    return page.items, page.position


def get(principal: Principal, app_id: str) -> App:
    return _app(principal, app_id)


# API field -> App attribute, for PATCH
_UPDATABLE = {
    "name": "name",
    "description": "description",
    "homepageUrl": "homepage_url",
    "redirectUris": "redirect_uris",
    "scopes": "scopes",
    "distributed": "distributed",
}


def update(principal: Principal, app_id: str, changes: dict[str, Any]) -> App:
    """Any of name, description, homepageUrl (null clears those two), redirectUris,
    scopes, distributed. ``public`` is fixed at creation: turning a public app
    confidential would need a secret its deployed clients do not have, and the reverse
    would let anyone holding the client id act as the app.

    Narrowing the scopes narrows every installation to what is left and revokes the
    grants that hold a removed scope (their holders authorize again). Widening them
    widens the app's own workspace's installation only: another workspace's admins
    approve new scopes by installing again. Turning ``distributed`` off keeps existing
    installations (their admins uninstall them); it stops new ones."""
    app = _app(principal, app_id)
    if "redirectUris" in changes:
        check_redirect_uris(changes["redirectUris"])
    if "homepageUrl" in changes:
        check_homepage(changes["homepageUrl"])
    fields = {_UPDATABLE[name]: value for name, value in changes.items()}
    if "scopes" in fields:
        fields["scopes"] = set(fields["scopes"])
    removed = set(app.scopes) - fields.get("scopes", set(app.scopes))
    fields["updated_at"] = now_iso()
    event = new_event("app.updated", {"appId": app.id, "fields": sorted(changes)}, workspace_id=app.workspace_id)
    _save(app, fields, event)
    if "scopes" in fields:
        _narrow_installations(app, removed)
    if removed:
        _revoke_grants(app.id, None, "app-scopes-narrowed", only_holding=removed)
    return app


def _narrow_installations(app: App, removed: set[str]) -> None:
    for installation in app_store.installations_of(app.id):
        own = installation.workspace_id == app.workspace_id
        wanted = set(app.scopes) if own else set(installation.scopes) - removed
        if wanted == set(installation.scopes):
            continue
        if not wanted:  # nothing the workspace approved is left
            _uninstall(app, installation, "app-scopes-narrowed")
            continue
        try:
            update_existing(installation, [Installation.scopes.set(wanted)])
        except ConditionFailed:  # uninstalled meanwhile
            continue


def delete(principal: Principal, app_id: str) -> None:
    """The app, every installation and every grant. Grants are revoked before the app
    goes (a failure part-way leaves an app its admins can delete again) and swept once
    more after it (a grant issued in between is caught: the token endpoint reads the app)."""
    app = _app(principal, app_id)
    _revoke_grants(app.id, None, "app-deleted")
    for installation in app_store.installations_of(app.id):
        _uninstall(app, installation, "app-deleted")
    try:
        app_store.delete(app, new_event("app.deleted", {"appId": app.id}, workspace_id=app.workspace_id))
    except ConditionFailed:
        raise NotFound("App not found.") from None
    _revoke_grants(app.id, None, "app-deleted")


def rotate_secret(principal: Principal, app_id: str) -> WithSecret:
    """A new secret (shown once); the old one stops working at once: unlike a webhook's,
    a client secret is presented by the client, which the app's admins update."""
    app = _app(principal, app_id)
    if app.public:
        raise Conflict("A public app has no client secret.")
    secret = tokens.new_client_secret()
    fields = {"secret_hash": tokens.sha256_hex(secret), "secret_hint": secret[-4:], "updated_at": now_iso()}
    event = new_event("app.updated", {"appId": app.id, "fields": ["clientSecret"]}, workspace_id=app.workspace_id)
    _save(app, fields, event)
    return WithSecret(app, secret)


# --- installations -------------------------------------------------------------------


@dataclass(frozen=True)
class InstalledApp:
    installation: Installation
    app: App


def list_installations(
    principal: Principal, workspace_id: str, *, limit: int, position: dict[str, Any] | None
) -> tuple[list[InstalledApp], dict[str, Any] | None]:
    """A page of installations and their apps: one Query and one BatchGetItem."""
    _workspace_admin(principal, workspace_id)
    page = app_store.list_installations(workspace_id, limit=limit, position=position)
    found = app_store.get_many([i.app_id for i in page.items])
    # An installation whose app is being deleted is already gone for its users.
    return [InstalledApp(i, found[i.app_id]) for i in page.items if i.app_id in found], page.position


def uninstall(principal: Principal, workspace_id: str, app_id: str) -> None:
    """Remove an app from a workspace and revoke its grants there. The app's own
    workspace cannot uninstall it (409): delete the app instead."""
    _workspace_admin(principal, workspace_id)
    app, installation = app_store.get_with_installation(app_id, workspace_id)
    if app is None or installation is None:
        raise NotFound("Installation not found.")
    if app.workspace_id == workspace_id:
        raise Conflict("An app cannot be uninstalled from its own workspace: delete the app instead.")
    if not _uninstall(app, installation, "uninstalled", by=principal.user_id):
        raise NotFound("Installation not found.")
    _revoke_grants(app.id, workspace_id, "app-uninstalled")


def _uninstall(app: App, installation: Installation, reason: str, by: str | None = None) -> bool:
    data = {"appId": app.id, "workspaceId": installation.workspace_id, "reason": reason, "by": by}
    try:
        app_store.uninstall(installation, new_event("app.uninstalled", data, workspace_id=installation.workspace_id))
    except ConditionFailed:
        return False
    return True


def _revoke_grants(app_id: str, workspace_id: str | None, reason: str, *, only_holding: set[str] | None = None) -> int:
    """Revoke the app's live grants (in one workspace, or all; or only those holding one
    of ``only_holding``): one Query page at a time plus one UpdateItem per grant."""
    from chalicelib.services.authn import forget_cached_tokens

    revoked = 0
    for grant in oauth_store.grants_of(app_id, workspace_id):
        if grant.revoked or (only_holding is not None and not (set(grant.scopes or ()) & only_holding)):
            continue
        session_store.revoke(grant.user_id, grant.id, reason)
        revoked += 1
    if revoked:
        forget_cached_tokens()  # this container's cached grants (others expire theirs)
    return revoked


def _save(app: App, fields: dict[str, Any], event: Event) -> None:
    """Write the changes with their event and show them on ``app``; 404 if it is gone."""
    try:
        app_store.update(app, fields, event)
    except ConditionFailed:
        raise NotFound("App not found.") from None
    for name, value in fields.items():
        setattr(app, name, value)
