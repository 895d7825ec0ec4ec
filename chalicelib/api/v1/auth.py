"""/v1/auth: register, verify, login, refresh, logout."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.auth.tokens import ACCESS_TTL_SECONDS
from chalicelib.http.schema import Bool, Email, Obj, Str, Text
from chalicelib.services import accounts

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Auth")

USERNAME = Str(
    min_len=3,
    max_len=30,
    lower=True,
    # @channel, @here and @everyone mention groups, never a user.
    pattern=r"(?!(channel|here|everyone)$)[a-z0-9][a-z0-9._-]*",
    pattern_hint="may contain letters, digits, '.', '_' and '-', must start with a letter or digit, "
    "and cannot be channel, here or everyone",
)
PASSWORD = Str(min_len=8, max_len=256, strip=False, description="At least 8 characters")
TOKEN = Str(min_len=1, max_len=128)


def _tokens(pair: accounts.TokenPair) -> dict[str, Any]:
    return {
        "accessToken": pair.access_token,
        "refreshToken": pair.refresh_token,
        "tokenType": "Bearer",
        "expiresIn": ACCESS_TTL_SECONDS,
    }


@v1.route(
    "/v1/auth/register",
    "POST",
    summary="Register a new user account and send a verification email",
    idempotent=False,
    auth=False,
    status=201,
    body=Obj(
        {"email": Email(), "password": PASSWORD, "username": USERNAME, "displayName": Text(min_len=1, max_len=80)}
    ),
)
def register(call: Call) -> Any:
    b = call.body
    user_id = accounts.register(b["email"], b["password"], b["username"], b["displayName"], client_ip=call.client_ip)
    return {"userId": user_id}


@v1.route(
    "/v1/auth/verify",
    "GET",
    summary="Verify an email address (the link in the verification email)",
    auth=False,
    query=Obj({"token": TOKEN}),
)
def verify_link(call: Call) -> Any:
    accounts.verify_email(call.query["token"])
    return {"verified": True}


@v1.route(
    "/v1/auth/verify",
    "POST",
    summary="Verify an email address with the token from the verification email",
    idempotent=False,
    auth=False,
    body=Obj({"token": TOKEN}),
)
def verify(call: Call) -> Any:
    accounts.verify_email(call.body["token"])
    return {"verified": True}


@v1.route(
    "/v1/auth/verify/resend",
    "POST",
    summary="Send another verification email",
    limit="auth",
    scope=scopes.SESSION,
    status=202,
    idempotent=False,
)
def resend_verification(call: Call) -> Any:
    accounts.request_verification(call.user)
    return {"sent": True}


@v1.route(
    "/v1/auth/login",
    "POST",
    summary="Authenticate with email and password; returns access and refresh tokens",
    idempotent=False,
    errors=(401,),
    auth=False,
    body=Obj({"email": Email(), "password": Str(min_len=1, max_len=256, strip=False)}),
)
def login(call: Call) -> Any:
    return _tokens(accounts.login(call.body["email"], call.body["password"], call.client_ip))


@v1.route(
    "/v1/auth/refresh",
    "POST",
    summary="Exchange a refresh token for new tokens (the refresh token rotates)",
    idempotent=False,
    errors=(401,),
    auth=False,
    body=Obj({"refreshToken": Str(min_len=1, max_len=256)}),
)
def refresh(call: Call) -> Any:
    return _tokens(accounts.refresh(call.body["refreshToken"]))


@v1.route(
    "/v1/auth/logout",
    "POST",
    summary='Revoke this session\'s refresh token, or every session with {"all": true}',
    scope=scopes.SESSION,
    idempotent=False,
    errors=(404,),  # an API token has no session to end
    body=Obj({"all": Bool(required=False, default=False)}),
)
def logout(call: Call) -> Any:
    return Reply({"revokedSessions": accounts.logout(call.user, call.body["all"])})
