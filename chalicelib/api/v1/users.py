"""/v1/users: the caller's profile, status and preferences."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1 import views
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Bool, Enum, Id, Obj, Str, Text, Url
from chalicelib.services import flags, users

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Users")

NOTIFY_LEVEL = Enum(("all", "mentions", "never"), required=False)


@v1.route("/v1/users/me", "GET", summary="Get the current user's profile", scope=scopes.ANY_TOKEN)
def get_me(call: Call) -> Any:
    return views.me(users.get_me(call.user))


@v1.route(
    "/v1/users/me",
    "PATCH",
    summary="Update display name, avatar, bio",
    scope=scopes.USERS_WRITE,
    body=Obj(
        {
            "displayName": Text(required=False, min_len=1, max_len=80),
            "avatarUrl": Url(required=False, nullable=True),
            "bio": Text(required=False, nullable=True, max_len=500, multiline=True),
        },
        at_least_one=True,
    ),
)
def update_me(call: Call) -> Any:
    names = {"displayName": "display_name", "avatarUrl": "avatar_url", "bio": "bio"}
    changes = {names[k]: (v or None) for k, v in call.body.items()}
    return views.me(users.update_profile(call.user, changes))


@v1.route(
    "/v1/users/me/status",
    "PATCH",
    summary="Set presence status",
    scope=scopes.USERS_WRITE,
    body=Obj({"status": Enum(("online", "away", "dnd", "invisible"))}),
)
def set_status(call: Call) -> Any:
    return views.me(users.set_status(call.user, call.body["status"]))


@v1.route(
    "/v1/users/me/preferences",
    "PATCH",
    summary="Update notification, theme and language preferences",
    scope=scopes.USERS_WRITE,
    body=Obj(
        {
            "notifications": Obj(
                {
                    "desktop": NOTIFY_LEVEL,
                    "mobile": NOTIFY_LEVEL,
                    "email": NOTIFY_LEVEL,
                    "muteAll": Bool(required=False),
                    "reactions": Bool(required=False),
                },
                required=False,
                at_least_one=True,
            ),
            "theme": Enum(("light", "dark", "system"), required=False),
            "language": Str(
                required=False,
                max_len=12,
                pattern=r"[a-z]{2,3}(-[A-Z]{2})?",
                pattern_hint="must be a language tag like en or pt-BR",
            ),
        },
        at_least_one=True,
    ),
)
def update_preferences(call: Call) -> Any:
    return users.update_preferences(call.user, call.body)


@v1.route(
    "/v1/users/{userId}/flag",
    "POST",
    summary="Flag a member of a workspace for its moderators (once per flagger)",
    scope=scopes.USERS_READ,
    status=201,
    body=Obj(
        {
            "workspaceId": Id(description="the workspace you share"),
            "reason": Text(required=False, max_len=flags.MAX_REASON),
        }
    ),
)
def flag_user(call: Call) -> Any:
    flagged = flags.flag_user(call.user, call.body["workspaceId"], call.params["userId"], call.body.get("reason"))
    shown = {"userId": call.params["userId"], "workspaceId": call.body["workspaceId"], "flagged": True}
    return shown if flagged.created else Reply(shown, status=200)
