"""The OAuth 2.0 authorization server's rules (docs/oauth.md): the authorization request,
the consent decision, single-use codes, the token endpoint, revocation and metadata.

RFC 6749 (authorization code grant, refresh), RFC 7636 (PKCE, S256 required for every
client), RFC 9700 (exact redirect_uri match, refresh rotation with reuse detection, no
open redirector), RFC 7009 (revocation), RFC 8414 (metadata), RFC 9207 (``iss``).

Errors are authlib's ``OAuth2Error`` classes (their body, status and WWW-Authenticate are
RFC 6749 5.2's); the HTTP layer renders them. ``PageError`` is the one error that must never
redirect: an unknown client or a redirect_uri that is not registered (RFC 6749 4.1.2.1).
authlib is imported inside the functions: it pulls ``cryptography`` and ``joserfc``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.auth import scopes as scope_names
from chalicelib.auth import tokens
from chalicelib.config import get_settings, get_signing_keys
from chalicelib.errors import InvalidToken, TokenExpired
from chalicelib.ids import new_id, now_iso
from chalicelib.observability import count
from chalicelib.services import accounts, authn
from chalicelib.services.authz import ROLE_RANK
from chalicelib.store import apps as app_store
from chalicelib.store import oauth as oauth_store
from chalicelib.store import sessions as session_store
from chalicelib.store import users as user_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import App, AuthorizationCode
from chalicelib.store.outbox import new_event

CODE_TTL_SECONDS = oauth_store.CODE_TTL_SECONDS
WEB_SESSION_SECONDS = 3600
WEB_COOKIE = "dq_web"
LOGIN_COOKIE = "dq_login"  # binds the login form's CSRF token before there is a session
# RFC 7636 4.1: 43-128 unreserved characters; an S256 challenge is exactly 43 base64url.
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# The workspaces offered on the consent page (the user's memberships, one Query page).
MAX_WORKSPACES_OFFERED = 100
SCOPE_WORDS = {
    scope_names.MESSAGES_READ: "Read messages in the channels you can see",
    scope_names.MESSAGES_WRITE: "Send, edit and delete messages as you",
    scope_names.CHANNELS_READ: "See channels and their members",
    scope_names.CHANNELS_WRITE: "Create, edit and archive channels as you",
    scope_names.USERS_READ: "See people's profiles",
    scope_names.USERS_WRITE: "Edit your profile",
    scope_names.FILES_READ: "Download files you can see",
    scope_names.FILES_WRITE: "Upload and delete files as you",
    scope_names.WEBHOOKS_READ: "See the workspace's webhooks",
    scope_names.WEBHOOKS_WRITE: "Create and change the workspace's webhooks",
    scope_names.COMMENTS_READ: "Read comment threads and comments",
    scope_names.COMMENTS_WRITE: "Post, edit and vote on comments as you",
    scope_names.COMMENTS_MODERATE: "Moderate comments (approve, remove, mark spam) with your admin powers",
    scope_names.ADMIN: "Act with your admin powers in the workspace",
}


def _errors() -> Any:
    from authlib.oauth2.rfc6749 import errors

    return errors


class PageError(Exception):
    """Shown on the error page; never a redirect (the redirect target is not trusted)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def issuer() -> str:
    return get_settings().public_base_url


def redirect_location(redirect_uri: str, params: Sequence[tuple[str, str]]) -> str:
    """The registered redirect_uri with the response parameters (and ``iss``, RFC 9207)."""
    from authlib.common.urls import add_params_to_uri

    return add_params_to_uri(redirect_uri, [*params, ("iss", issuer())])


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    """A parameter that may appear at most once (RFC 6749 3.1 and 3.2)."""
    values = params.get(name) or []
    if len(values) > 1:
        raise _errors().InvalidRequestError(description=f"The {name} parameter is repeated.")
    return values[0] if values and values[0] != "" else None


def parse_scope(value: str | None) -> list[str]:
    """Space separated (``+`` arrives as a space from the form decoding), deduplicated."""
    from authlib.oauth2.rfc6749.util import scope_to_list

    return sorted(set(scope_to_list(value) or []))


# --- the authorization request ----------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    app: App
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str

    def error_location(self, error: str, description: str) -> str:
        params = [("error", error), ("error_description", description)]
        if self.state is not None:
            params.append(("state", self.state))
        return redirect_location(self.redirect_uri, params)


def check_authorization_request(params: Mapping[str, list[str]]) -> AuthorizationRequest:
    """Validate in the order that keeps the redirect safe: the client and its exact
    redirect_uri first (PageError: shown, never redirected), then everything else
    (``OAuth2Error`` carrying the redirect_uri and state: redirected)."""
    if len(params.get("client_id") or []) != 1 or len(params.get("redirect_uri") or []) != 1:
        raise PageError("The request must name one client_id and one redirect_uri.")
    app_id = tokens.app_id_from_client_id(params["client_id"][0])
    app = app_store.get(app_id) if app_id else None
    if app is None:
        raise PageError("Unknown client: no app has this client_id.")
    redirect_uri = params["redirect_uri"][0]
    # Exact string comparison (RFC 9700 4.1.3): no prefix, port, path or query leeway.
    if redirect_uri not in (app.redirect_uris or []):
        raise PageError("The redirect_uri does not match a redirect URI registered for this app.")
    errors = _errors()
    state_values = params.get("state") or []
    state = state_values[0] if len(state_values) == 1 else None

    def fail(error_class: Any, description: str) -> Any:
        return error_class(description=description, state=state, redirect_uri=redirect_uri)

    if len(state_values) > 1:
        raise fail(errors.InvalidRequestError, "The state parameter is repeated.")
    try:
        response_type = _one(params, "response_type")
        scope = _one(params, "scope")
        challenge = _one(params, "code_challenge")
        method = _one(params, "code_challenge_method")
    except errors.InvalidRequestError as repeated:
        raise fail(errors.InvalidRequestError, repeated.description) from None
    if response_type != "code":
        raise errors.UnsupportedResponseTypeError(
            response_type,
            description="Only response_type=code is supported.",
            state=state,
            redirect_uri=redirect_uri,
        )
    if challenge is None:
        raise fail(errors.InvalidRequestError, "PKCE is required: send code_challenge (S256).")
    if method != "S256":
        raise fail(errors.InvalidRequestError, "code_challenge_method must be S256 (plain is refused).")
    if not _S256_CHALLENGE.match(challenge):
        raise fail(errors.InvalidRequestError, "code_challenge must be 43 base64url characters (S256).")
    requested = parse_scope(scope)
    if not requested:
        raise fail(errors.InvalidScopeError, "Ask for at least one scope.")
    beyond = [s for s in requested if s not in (app.scopes or set())]
    if beyond:
        # Only known scope names are echoed: error_description is restricted ASCII (RFC 6749
        # 4.1.2.1) and never repeats arbitrary input.
        known = [s for s in beyond if s in scope_names.ALL]
        named = f": {' '.join(known)}" if known and len(known) == len(beyond) else ""
        raise fail(errors.InvalidScopeError, f"The app may not ask for some of these scopes{named}.")
    return AuthorizationRequest(app, redirect_uri, tuple(requested), state, challenge)


# --- the consent decision ---------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceChoice:
    id: str
    name: str
    installed: bool
    role: str


def workspace_choices(request: AuthorizationRequest, user_id: str) -> list[WorkspaceChoice]:
    """Where this user may authorize the app: its own workspace (if a member); for a
    distributed app also every workspace of the user where it is installed or where the
    user could install it (admin or owner). Three calls at most: the memberships Query,
    one BatchGetItem of the installations, one of the workspace names."""
    app = request.app
    if not app.distributed:
        workspace, membership = workspace_store.get_with_membership(app.workspace_id, user_id)
        if workspace is None or membership is None:
            return []
        return [WorkspaceChoice(workspace.id, workspace.name, True, membership.role)]
    page = workspace_store.memberships_of_user(user_id, limit=MAX_WORKSPACES_OFFERED, position=None)
    roles = {m.workspace_id: m.role for m in page.items}
    installed = app_store.installations_in(app.id, list(roles))
    eligible = [wid for wid in roles if wid in installed or ROLE_RANK.get(roles[wid], 0) >= ROLE_RANK["admin"]]
    names = workspace_store.get_many(eligible)
    choices = [WorkspaceChoice(wid, names[wid].name, wid in installed, roles[wid]) for wid in eligible if wid in names]
    # The app's own workspace first, then by name: the default choice is the likely one.
    return sorted(choices, key=lambda c: (c.id != app.workspace_id, c.name.lower()))


def approve(request: AuthorizationRequest, user_id: str, workspace_id: str) -> str:
    """The user allowed: check the installation rules, install if an admin consents to
    more than the workspace approved, and mint the code. Returns the redirect location;
    a refusal raises ``OAuth2Error`` (redirected with its error)."""
    errors = _errors()
    app = request.app

    def denied(description: str) -> Any:
        return errors.AccessDeniedError(description=description, state=request.state, redirect_uri=request.redirect_uri)

    if not _ID.match(workspace_id):
        raise denied("Choose one of the workspaces offered.")
    if workspace_id != app.workspace_id and not app.distributed:
        raise denied("This app works only in its own workspace.")
    workspace, membership = workspace_store.get_with_membership(workspace_id, user_id)
    if workspace is None or membership is None:
        raise denied("You are not a member of that workspace.")
    installation = app_store.get_installation(app.id, workspace_id)
    wanted = set(request.scopes)
    if installation is None or not wanted <= set(installation.scopes or ()):
        if ROLE_RANK.get(membership.role, 0) < ROLE_RANK["admin"]:
            raise denied(
                "An admin of the workspace must install this app first."
                if installation is None
                else "The workspace approved fewer scopes than the app asks for: ask an admin."
            )
        approved = wanted | set(installation.scopes or ()) if installation else wanted
        app_store.install(
            app_store.new_installation(
                app.id, workspace_id, installed_by=user_id, scopes=approved, created_at=now_iso()
            ),
            new_event(
                "app.installed",
                {"appId": app.id, "workspaceId": workspace_id, "scopes": sorted(approved), "by": user_id},
                workspace_id=workspace_id,
            ),
        )
        count("OAuthAppInstalled")
    code = secrets.token_urlsafe(32)
    oauth_store.save_code(
        tokens.sha256_hex(code),
        expires_at=int(time.time()) + CODE_TTL_SECONDS,
        app_id=app.id,
        client_id=app.client_id,
        redirect_uri=request.redirect_uri,
        user_id=user_id,
        workspace_id=workspace_id,
        scopes=wanted,
        code_challenge=request.code_challenge,
        code_challenge_method="S256",
    )
    count("OAuthCodeIssued")
    params = [("code", code)] + ([("state", request.state)] if request.state is not None else [])
    return redirect_location(request.redirect_uri, params)


def deny(request: AuthorizationRequest) -> str:
    return request.error_location("access_denied", "The user denied the request.")


# --- client authentication (token and revocation endpoints) ------------------------------


def _invalid_client(description: str) -> Any:
    # Always 401 with WWW-Authenticate (RFC 6749 5.2), whichever method was tried.
    return _errors().InvalidClientError(description=description, status_code=401)


def authenticate_client(params: Mapping[str, list[str]], authorization: str | None) -> App:
    """client_secret_basic or client_secret_post for confidential apps; a public app sends
    its client_id alone (``none``) and must not present a secret."""
    from authlib.oauth2.rfc6749.util import extract_basic_authorization

    errors = _errors()
    basic_id, basic_secret = (None, None)
    if authorization:
        scheme = authorization.split(" ", 1)[0].lower()
        if scheme != "basic":
            raise _invalid_client("Only HTTP Basic client authentication is accepted in the header.")
        basic_id, basic_secret = extract_basic_authorization({"Authorization": authorization})
        if not basic_id:
            raise _invalid_client("The Basic credentials are malformed.")
    body_id, body_secret = _one(params, "client_id"), _one(params, "client_secret")
    if basic_id and body_secret is not None:
        raise errors.InvalidRequestError(description="Use one client authentication method, not two.")
    if basic_id and body_id and body_id != basic_id:
        raise errors.InvalidRequestError(description="client_id differs from the authenticated client.")
    client_id = basic_id or body_id
    secret = basic_secret if basic_id else body_secret
    app_id = tokens.app_id_from_client_id(client_id) if client_id else None
    app = app_store.get(app_id) if app_id else None
    if app is None:
        raise _invalid_client("Unknown client.")
    if app.public:
        if secret is not None or basic_id:
            raise _invalid_client("A public client has no secret: send client_id only.")
        return app
    if not secret or not app.secret_hash or not secrets.compare_digest(tokens.sha256_hex(secret), app.secret_hash):
        raise _invalid_client("Client authentication failed.")
    return app


# --- the token endpoint -----------------------------------------------------------------


def _token_response(session_id: str, user_id: str, email_verified: bool, grant: Any, refresh: str, scopes: list[str]):
    access = tokens.issue_access_token(
        user_id,
        session_id,
        email_verified=email_verified,
        scopes=scopes,
        workspace_id=grant.workspace_id,
        app_id=grant.app_id,
    )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": tokens.ACCESS_TTL_SECONDS,
        "refresh_token": refresh,
        "scope": " ".join(scopes),
    }


def token(params: Mapping[str, list[str]], authorization: str | None) -> dict[str, Any]:
    errors = _errors()
    grant_type = _one(params, "grant_type")
    if grant_type is None:
        raise errors.InvalidRequestError(description="grant_type is required.")
    if grant_type not in ("authorization_code", "refresh_token"):
        unsupported = errors.UnsupportedGrantTypeError(grant_type)
        unsupported.description = "Use authorization_code or refresh_token."
        raise unsupported
    app = authenticate_client(params, authorization)
    if grant_type == "authorization_code":
        return _exchange_code(app, params)
    return _refresh(app, params)


def _revoke_grant(user_id: str, session_id: str, reason: str) -> None:
    session_store.revoke(user_id, session_id, reason)
    authn.forget_grant(session_id)


def _exchange_code(app: App, params: Mapping[str, list[str]]) -> dict[str, Any]:
    """Reads: the code (consistent), the installation and the user; writes: the code's
    conditional consumption and the grant. The code is spent only by a request that
    proves everything (verifier, redirect_uri, client), so a guess cannot burn it."""
    errors = _errors()
    code, redirect_uri, verifier = _one(params, "code"), _one(params, "redirect_uri"), _one(params, "code_verifier")
    if code is None or redirect_uri is None or verifier is None:
        raise errors.InvalidRequestError(description="code, redirect_uri and code_verifier are required.")
    record = oauth_store.get_code(tokens.sha256_hex(code))
    if record is None or record.app_id != app.id:
        raise errors.InvalidGrantError(description="The code is invalid.")
    if record.used_by:
        _code_replayed(record)
    if record.expires_at < time.time():
        raise errors.InvalidGrantError(description="The code has expired.")
    if record.redirect_uri != redirect_uri:
        raise errors.InvalidGrantError(description="redirect_uri differs from the authorization request's.")
    from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge

    if not _VERIFIER.match(verifier) or not compare_s256_code_challenge(verifier, record.code_challenge):
        raise errors.InvalidGrantError(description="The code_verifier does not match the code_challenge.")
    installation = app_store.get_installation(app.id, record.workspace_id)
    if installation is None or not set(record.scopes) <= set(installation.scopes or ()):
        raise errors.InvalidGrantError(description="The app is no longer installed for these scopes.")
    user = user_store.get_user(record.user_id)
    if user is None:
        raise errors.InvalidGrantError(description="The code is invalid.")
    session_id = new_id()
    refresh = tokens.new_refresh_token(record.user_id, session_id)
    try:
        oauth_store.consume_code(record, session_id)
    except ConditionFailed:
        # Another exchange won the race: this is a replay too.
        fresh = oauth_store.get_code(tokens.sha256_hex(code))
        if fresh is not None and fresh.used_by:
            _code_replayed(fresh)
        raise errors.InvalidGrantError(description="The code is invalid.") from None
    grant = oauth_store.new_grant(
        session_id,
        record.user_id,
        token_hash=refresh.secret_hash,
        created_at=now_iso(),
        expires_at=int(time.time()) + tokens.REFRESH_TTL_SECONDS,
        app_id=app.id,
        workspace_id=record.workspace_id,
        scopes=set(record.scopes),
    )
    grant.save()
    count("OAuthCodeExchanged")
    return _token_response(
        session_id, record.user_id, bool(user.email_verified), grant, str(refresh), sorted(record.scopes)
    )


def _code_replayed(record: AuthorizationCode) -> None:
    """RFC 6749 4.1.2: a code used twice is refused and what it issued is revoked (the
    first exchange may have been the attacker's)."""
    if record.used_by:
        _revoke_grant(record.user_id, record.used_by, "code-reuse")
    count("OAuthCodeReuse")
    raise _errors().InvalidGrantError(description="The code was already used.")


def _refresh(app: App, params: Mapping[str, list[str]]) -> dict[str, Any]:
    """The login sessions' rotation and reuse detection (services/accounts.refresh), for a
    grant of this app only. A narrower ``scope`` narrows this access token; the grant keeps
    its scopes (RFC 6749 6)."""
    errors = _errors()
    value = _one(params, "refresh_token")
    if value is None:
        raise errors.InvalidRequestError(description="refresh_token is required.")
    invalid = errors.InvalidGrantError(description="The refresh token is invalid.")
    try:
        presented = tokens.parse_refresh_token(value)
    except InvalidToken:
        raise invalid from None
    session, user = session_store.get_with_user(presented.user_id, presented.session_id)
    # A login's refresh token (app_id None) never works here: the families never cross.
    if session is None or user is None or session.app_id != app.id or session.revoked:
        raise invalid
    presented_hash = presented.secret_hash
    if not secrets.compare_digest(presented_hash, session.token_hash):
        if presented_hash in (session.previous_hashes or []):
            _revoke_grant(session.user_id, session.id, "reuse")
            count("RefreshTokenReuse")
        raise invalid
    if session.expires_at < time.time():
        raise errors.InvalidGrantError(description="The refresh token has expired.")
    granted = sorted(session.scopes or ())
    requested = parse_scope(_one(params, "scope"))
    if requested and not set(requested) <= set(granted):
        raise errors.InvalidScopeError(description="The scope exceeds what the grant holds.")
    new_refresh = tokens.new_refresh_token(session.user_id, session.id)
    try:
        session_store.rotate(session, new_refresh.secret_hash, int(time.time()) + tokens.REFRESH_TTL_SECONDS)
    except ConditionFailed:
        raise errors.InvalidGrantError(description="The refresh token was already used.") from None
    return _token_response(
        session.id, session.user_id, bool(user.email_verified), session, str(new_refresh), requested or granted
    )


# --- revocation (RFC 7009) --------------------------------------------------------------


def revoke(params: Mapping[str, list[str]], authorization: str | None) -> None:
    """Revoke the grant behind a refresh or access token of this client. Unknown, expired,
    malformed or other clients' tokens are answered the same (200): nothing is revealed."""
    app = authenticate_client(params, authorization)
    value = _one(params, "token")
    if value is None:
        raise _errors().InvalidRequestError(description="token is required.")
    _one(params, "token_type_hint")  # a hint only (RFC 7009 2.1): both kinds are tried by prefix
    if value.startswith(tokens.REFRESH_PREFIX):
        try:
            presented = tokens.parse_refresh_token(value)
        except InvalidToken:
            return
        session = session_store.get(presented.user_id, presented.session_id)
        known = session is not None and (
            secrets.compare_digest(presented.secret_hash, session.token_hash)
            or presented.secret_hash in (session.previous_hashes or [])
        )
        if session is not None and known and session.app_id == app.id and not session.revoked:
            _revoke_grant(session.user_id, session.id, "revoked")
        return
    if value.startswith(tokens.ACCESS_PREFIX):
        try:
            claims = tokens.verify_access_token(value)
        except (InvalidToken, TokenExpired):
            return
        if claims.app_id == app.id:
            # An access token cannot be revoked alone (it is verified without a read); its
            # grant can, and the grant check in authn stops the access token too.
            _revoke_grant(claims.user_id, claims.session_id, "revoked")


# --- metadata (RFC 8414) ----------------------------------------------------------------


def metadata() -> dict[str, Any]:
    base = issuer()
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "scopes_supported": list(scope_names.ALL),
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": "https://github.com/disqua/disqua/blob/main/docs/oauth.md",
    }


# --- the page's web session and CSRF tokens ---------------------------------------------


@dataclass(frozen=True)
class WebUser:
    user_id: str
    session_id: str


def _mac(purpose: str, value: str, key: bytes) -> str:
    return hmac.new(key, f"{purpose}\n{value}".encode(), hashlib.sha256).hexdigest()


def web_login(email_address: str, password: str, client_ip: str) -> tuple[WebUser, str]:
    """The API login (same throttles and errors), bound to a signed cookie value that
    lives an hour; the login Session behind it is checked on every page."""
    pair = accounts.login(email_address, password, client_ip)
    presented = tokens.parse_refresh_token(pair.refresh_token)
    user = WebUser(presented.user_id, presented.session_id)
    keys = get_signing_keys()
    body = f"{user.user_id}.{user.session_id}.{int(time.time()) + WEB_SESSION_SECONDS}"
    return user, f"{keys.active}.{body}.{_mac('web', body, keys.keys[keys.active])}"


def web_user(cookie: str | None) -> WebUser | None:
    """The signed cookie's user while it is unexpired and its login Session is not revoked
    (one GetItem); None otherwise."""
    if not cookie:
        return None
    parts = cookie.split(".")
    if len(parts) != 5:
        return None
    kid, user_id, session_id, expires, mac = parts
    key = get_signing_keys().keys.get(kid)
    body = f"{user_id}.{session_id}.{expires}"
    if key is None or not hmac.compare_digest(mac, _mac("web", body, key)):
        return None
    if not expires.isdigit() or int(expires) < time.time():
        return None
    session = session_store.get(user_id, session_id)
    if session is None or session.revoked or session.app_id is not None:
        return None
    return WebUser(user_id, session_id)


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(binding: str) -> str:
    """A token tied to the web session (or, on the login form, to the login cookie's
    nonce): a form posted from elsewhere cannot know it (synchronizer token, HMAC)."""
    keys = get_signing_keys()
    return _mac("csrf", binding, keys.keys[keys.active])


def csrf_valid(binding: str | None, presented: str | None) -> bool:
    if not binding or not presented:
        return False
    return any(hmac.compare_digest(presented, _mac("csrf", binding, key)) for key in get_signing_keys().keys.values())


def scope_words(scope: str) -> str:
    return SCOPE_WORDS.get(scope, scope)


def homepage(app: App) -> str | None:
    """Only an http(s) homepage is linked (never javascript: or data:)."""
    url = app.homepage_url
    return url if url and urlsplit(url).scheme in ("https", "http") else None
