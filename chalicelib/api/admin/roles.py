"""Admin v2 role routes: /api/v2/roles (query, add or update). A role is a name and permissions
from the documented model (services/roles.py, docs/permissions.md); answers ``{roles[]}``."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.admin.surface import AdminSurface
from chalicelib.api.routing import Call
from chalicelib.auth import scopes
from chalicelib.http.schema import Enum, List, Obj, Str
from chalicelib.services import roles

bp = Blueprint(__name__)
admin = AdminSurface(bp, tag="Admin v2: roles")

ROLE_NAME = Str(min_len=1, max_len=40, pattern=roles.NAME_PATTERN, pattern_hint="must be a role name")


@admin.route(
    "/api/v2/roles",
    "GET",
    summary="Query the workspace's roles (filter: a name prefix)",
    scope=scopes.ADMIN,
    body=Obj({"filter": Str(required=False, min_len=1, max_len=40, description="A role name prefix")}),
)
def query_roles(call: Call) -> Any:
    return {"roles": [roles.view(r) for r in roles.query(call.user, call.body.get("filter"))]}


@admin.route(
    "/api/v2/roles",
    "PUT",
    summary="Add roles or replace their permissions (publicIds: role names; permissions: "
    + ", ".join(roles.PERMISSIONS)
    + ")",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "publicIds": List(ROLE_NAME, min_items=1, max_items=20, unique=True, description="The roles' names"),
            "permissions": List(Enum(roles.PERMISSIONS), required=False, max_items=20, unique=True),
        }
    ),
)
def put_roles(call: Call) -> Any:
    body = call.body
    written = roles.put(call.user, body["publicIds"], body.get("permissions") or [])
    return {"roles": [roles.view(r) for r in written]}
