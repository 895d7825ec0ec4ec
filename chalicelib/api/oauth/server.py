"""The OAuth 2.0 endpoints (docs/oauth.md): the authorization page, token, revocation and
metadata. They speak OAuth, not the v1 envelope: form-encoded bodies in, RFC 6749 JSON (or
HTML, or redirects) out, so they are plain Chalice routes rather than ``Surface`` routes;
``OPENAPI_PATHS`` describes them for tools/openapi.py.
"""

from __future__ import annotations

import json
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from chalice import Blueprint, Response

from chalicelib.api.oauth import pages
from chalicelib.config import get_settings
from chalicelib.errors import InvalidCredentials, RateLimited, ValidationError
from chalicelib.http.request import client_address, header, raw_body
from chalicelib.http.schema import Email, Str
from chalicelib.observability import logger
from chalicelib.services import oauth

bp = Blueprint(__name__)

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 32
_EMAIL = Email()
_PASSWORD = Str(min_len=1, max_len=256, strip=False)


def _page_headers(form_targets: tuple[str, ...] = ()) -> dict[str, str]:
    # form-action also governs where a form submission may be redirected (Chromium
    # enforces it), so the consent page names the redirect target's origin.
    targets = " ".join(("'self'", *form_targets))
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'unsafe-inline'; form-action {targets}; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def _html(body: str, status: int = 200, *, cookie: str | None = None, form_targets: tuple[str, ...] = ()) -> Response:
    headers = _page_headers(form_targets)
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(body=body, status_code=status, headers=headers)


def _redirect(location: str, status: int = 302, *, cookie: str | None = None) -> Response:
    headers = {"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(body="", status_code=status, headers=headers)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    sent = {
        "Content-Type": "application/json",
        # RFC 6749 5.1: token responses are never cached.
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "X-Content-Type-Options": "nosniff",
        **(headers or {}),
    }
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=status, headers=sent)


def _oauth_error(error: Any) -> Response:
    headers = {name: value for name, value in error.get_headers() if name.lower() == "www-authenticate"}
    return _json(dict(error.get_body()), error.status_code, headers)


def _cookie_value(request: Any, name: str) -> str | None:
    raw = header(request, "cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _set_cookie(name: str, value: str, max_age: int) -> str:
    secure = "" if get_settings().stage in ("local", "test") else "; Secure"
    return f"{name}={value}; Path=/oauth; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"


def _query(request: Any) -> dict[str, list[str]]:
    params = request.query_params or {}
    return {name: list(params.getlist(name)) for name in params}


def _form(request: Any) -> dict[str, list[str]] | None:
    """The form-encoded body, or None if the body is not a form (or too large)."""
    media_type = (header(request, "content-type") or "").split(";")[0].strip().lower()
    body = raw_body(request)
    if media_type != FORM_MEDIA_TYPE or len(body) > get_settings().max_body_bytes:
        return None
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return None


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


# --- /oauth/authorize --------------------------------------------------------------------


@bp.route("/oauth/authorize", methods=["GET", "POST"], content_types=["*/*"])
def authorize() -> Response:
    try:
        return _authorize(bp.current_request)
    except Exception:
        logger().exception("oauth authorize failed", extra={"route": "/oauth/authorize"})
        return _html(pages.error_page("Something went wrong on our side: try again later."), 500)


def _authorize(request: Any) -> Response:
    from authlib.oauth2.base import OAuth2Error

    params = _query(request)
    try:
        auth_request = oauth.check_authorization_request(params)
    except oauth.PageError as refused:
        return _html(pages.error_page(refused.message), 400)
    except OAuth2Error as error:
        return _redirect(oauth.redirect_location(error.redirect_uri, error.get_body()))
    action = "/oauth/authorize?" + urlencode([(k, v) for k, values in params.items() for v in values])
    try:
        if request.method == "GET":
            user = oauth.web_user(_cookie_value(request, oauth.WEB_COOKIE))
            if user is None:
                return _login_form(auth_request, action)
            return _consent_form(auth_request, action, user)
        form = _form(request)
        if form is None:
            return _html(pages.error_page("The form could not be read: submit it again."), 400)
        if _first(form, "action") == "login":
            return _log_in(request, auth_request, action, form)
        if _first(form, "action") == "consent":
            return _decide(request, auth_request, action, form)
        return _html(pages.error_page("Unknown form action."), 400)
    except OAuth2Error as error:
        return _redirect(auth_request.error_location(error.error, error.description))


def _login_form(
    auth_request: oauth.AuthorizationRequest, action: str, *, message: str | None = None, status: int = 200, email=""
) -> Response:
    nonce = oauth.new_login_nonce()
    body = pages.login_page(
        action, oauth.csrf_token(nonce), app_name=auth_request.app.name, message=message, email=email
    )
    return _html(body, status, cookie=_set_cookie(oauth.LOGIN_COOKIE, nonce, oauth.WEB_SESSION_SECONDS))


def _consent_form(auth_request: oauth.AuthorizationRequest, action: str, user: oauth.WebUser) -> Response:
    choices = oauth.workspace_choices(auth_request, user.user_id)
    if not choices:
        return _redirect(
            auth_request.error_location(
                "access_denied",
                "You are not a member of the app's workspace."
                if not auth_request.app.distributed
                else "None of your workspaces has this app installed, and you are not an admin of any.",
            )
        )
    body = pages.consent_page(
        action,
        oauth.csrf_token(user.session_id),
        app_name=auth_request.app.name,
        homepage=oauth.homepage(auth_request.app),
        scopes=[(scope, oauth.scope_words(scope)) for scope in auth_request.scopes],
        workspaces=choices,
        installs=any(not choice.installed for choice in choices),
    )
    return _html(body, form_targets=(_origin(auth_request.redirect_uri),))


def _log_in(
    request: Any, auth_request: oauth.AuthorizationRequest, action: str, form: dict[str, list[str]]
) -> Response:
    if not oauth.csrf_valid(_cookie_value(request, oauth.LOGIN_COOKIE), _first(form, "csrf_token")):
        return _html(pages.error_page("The form expired or was not sent by this page: reload it."), 403)
    email, password = _first(form, "email").strip(), _first(form, "password")
    try:  # the API login's own field rules (the address lower-cased, the password's length)
        email = _EMAIL.clean(email, "email")
        password = _PASSWORD.clean(password, "password")
    except ValidationError:
        return _login_form(auth_request, action, message="Enter your email and password.", status=400, email=email)
    try:
        _user, cookie = oauth.web_login(email, password, client_address(request))
    except InvalidCredentials:
        return _login_form(auth_request, action, message="Wrong email or password.", status=401, email=email)
    except RateLimited as throttled:
        response = _login_form(auth_request, action, message=throttled.message, status=429, email=email)
        response.headers.update(throttled.headers)
        return response
    # Post/Redirect/Get: the consent page is a GET with the session cookie.
    return _redirect(action, 303, cookie=_set_cookie(oauth.WEB_COOKIE, cookie, oauth.WEB_SESSION_SECONDS))


def _decide(
    request: Any, auth_request: oauth.AuthorizationRequest, action: str, form: dict[str, list[str]]
) -> Response:
    user = oauth.web_user(_cookie_value(request, oauth.WEB_COOKIE))
    if user is None:
        return _login_form(auth_request, action, message="Your session ended: log in again.", status=401)
    if not oauth.csrf_valid(user.session_id, _first(form, "csrf_token")):
        return _html(pages.error_page("The form expired or was not sent by this page: reload it."), 403)
    decision = _first(form, "decision")
    if decision == "deny":
        return _redirect(oauth.deny(auth_request))
    if decision != "allow":
        return _html(pages.error_page("Choose Allow or Deny."), 400)
    return _redirect(oauth.approve(auth_request, user.user_id, _first(form, "workspace_id")))


# --- /oauth/token, /oauth/revoke, metadata -------------------------------------------------


def _protocol_endpoint(handler: Any) -> Response:
    from authlib.oauth2.base import OAuth2Error
    from authlib.oauth2.rfc6749.errors import InvalidRequestError

    request = bp.current_request
    try:
        form = _form(request)
        if form is None:
            raise InvalidRequestError(description="The body must be application/x-www-form-urlencoded.")
        return handler(form, header(request, "authorization"))
    except OAuth2Error as error:
        return _oauth_error(error)
    except Exception:
        logger().exception("oauth endpoint failed", extra={"route": request.path})
        return _json({"error": "server_error"}, 500)


@bp.route("/oauth/token", methods=["POST"], content_types=["*/*"])
def token() -> Response:
    return _protocol_endpoint(lambda form, authorization: _json(oauth.token(form, authorization)))


@bp.route("/oauth/revoke", methods=["POST"], content_types=["*/*"])
def revoke() -> Response:
    def handle(form: dict[str, list[str]], authorization: str | None) -> Response:
        oauth.revoke(form, authorization)
        return _json({})

    return _protocol_endpoint(handle)


@bp.route("/.well-known/oauth-authorization-server", methods=["GET"])
def authorization_server_metadata() -> Response:
    # Public and the same for everyone: caches may keep it (RFC 8414 3).
    return Response(
        body=json.dumps(oauth.metadata(), separators=(",", ":")),
        status_code=200,
        headers={"Content-Type": "application/json", "Cache-Control": "public, max-age=3600"},
    )
