"""Admin v2 user routes: /api/v2/users (query, update), /api/v2/users/ban|unban (global ban),
/api/v2/users/{userId}/flags (clear flags). Users are user ids; every route answers the user
bundle ``{users[], files[]}`` (services/admin_users.py); bodies form-encoded or JSON."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.admin.forms import AnyObject, FormInt
from chalicelib.api.admin.surface import AdminSurface
from chalicelib.api.routing import Call
from chalicelib.auth import scopes
from chalicelib.errors import ValidationError
from chalicelib.http import cursors
from chalicelib.http.schema import Enum, Id, List, Obj, Str, Text
from chalicelib.services import admin_users, roles

bp = Blueprint(__name__)
admin = AdminSurface(bp, tag="Admin v2: users")

ROLE_NAMES = List(
    Str(min_len=1, max_len=40, pattern=roles.NAME_PATTERN, pattern_hint="must be a role name"),
    required=False,
    max_items=20,
    unique=True,
    description="Role names (PUT /api/v2/roles); an empty list removes every role",
)
USER_IDS = List(Id(), required=False, min_items=1, max_items=100, unique=True, description="Or userId")


@admin.route(
    "/api/v2/users",
    "GET",
    summary="Query the workspace's users (search: a displayName/username prefix; filter all|flagged)",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "search": Text(required=False, min_len=1, max_len=100, description="A prefix, case-insensitive"),
            "filter": Enum(admin_users.FILTERS, required=False, description="Default all"),
            "pageToken": Str(required=False, nullable=True, max_len=8192, description="paging.next or .previous"),
            "limit": FormInt(required=False, minimum=1, maximum=100, description="Default 10"),
        }
    ),
)
def query_users(call: Call) -> Any:
    body = call.body
    try:
        position = cursors.decode(body.get("pageToken"), call.list_identity())
    except ValidationError:
        raise ValidationError("pageToken is invalid or belongs to another list.", field="pageToken") from None
    limit = body.get("limit") or (position or {}).get("limit") or 10  # a token keeps its page size
    wanted = admin_users.Query(search=body.get("search"), filter=body.get("filter"))
    bundle, following, previous = admin_users.query(call.user, wanted, limit=limit, position=position)
    return call.page(bundle.as_dict(), {"next": following, "previous": previous})


@admin.route(
    "/api/v2/users",
    "PUT",
    summary="Update a user's displayName, roles and metadata in this workspace",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "userId": Id(),
            "displayName": Text(required=False, max_len=100, description='"" goes back to the account\'s name'),
            "roles": ROLE_NAMES,
            "metadata": AnyObject(required=False, description="metadata[key]=value or a JSON object (4 KB); {} clears"),
        }
    ),
)
def update_user(call: Call) -> Any:
    body = call.body
    bundle = admin_users.update(
        call.user,
        body["userId"],
        display_name=body.get("displayName"),
        roles=body.get("roles"),
        metadata=body.get("metadata"),
    )
    return bundle.as_dict()


def _user_ids(call: Call) -> list[str]:
    body = call.body
    if ("userId" in body) == ("userIds" in body):
        raise ValidationError("Give userId (or userIds, an array).", field="userId")
    return [body["userId"]] if "userId" in body else body["userIds"]


BAN_BODY = Obj({"userId": Id(required=False), "userIds": USER_IDS})


@admin.route(
    "/api/v2/users/ban",
    "POST",
    summary="Global ban: the user can no longer use this workspace on any surface (E_USER_BANNED)",
    scope=scopes.ADMIN,
    body=BAN_BODY,
)
def global_ban_users(call: Call) -> Any:
    return admin_users.set_banned(call.user, _user_ids(call), True).as_dict()


@admin.route(
    "/api/v2/users/unban",
    "POST",
    summary="Global unban: the user may use this workspace again",
    scope=scopes.ADMIN,
    body=BAN_BODY,
)
def global_unban_users(call: Call) -> Any:
    return admin_users.set_banned(call.user, _user_ids(call), False).as_dict()


@admin.route(
    "/api/v2/users/{userId}/flags",
    "DELETE",
    summary="Clear the flags on a user (idempotent)",
    scope=scopes.ADMIN,
    params={"userId": Id()},
)
def clear_flags(call: Call) -> Any:
    return admin_users.clear_flags(call.user, call.params["userId"]).as_dict()
