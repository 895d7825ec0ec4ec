"""/v1/workspaces/{id}/members and /v1/workspaces/{id}/users/{userId}."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1 import views
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Enum, Obj
from chalicelib.services import members

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Members")


@v1.route(
    "/v1/workspaces/{workspaceId}/members",
    "GET",
    summary="List workspace members with their role and profile",
    scope=scopes.USERS_READ,
    query=page_query(),
)
def list_members(call: Call) -> Any:
    items, position = members.list_members(
        call.user, call.params["workspaceId"], limit=call.query["limit"], position=call.position()
    )
    return call.page([views.workspace_member(m, u) for m, u in items], position)


@v1.route(
    "/v1/workspaces/{workspaceId}/members/{userId}",
    "PATCH",
    summary="Change a member's role (owners)",
    scope=scopes.SESSION,
    errors=(409,),  # the last owner stays owner
    body=Obj({"role": Enum(members.ROLES)}),
)
def change_role(call: Call) -> Any:
    membership = members.change_role(call.user, call.params["workspaceId"], call.params["userId"], call.body["role"])
    return {"userId": membership.user_id, "role": membership.role}


@v1.route(
    "/v1/workspaces/{workspaceId}/members/{userId}",
    "DELETE",
    summary="Remove a member (admins), or leave (yourself)",
    scope=scopes.ADMIN,
    status=204,
    errors=(409,),  # the last owner cannot go
)
def remove_member(call: Call) -> Any:
    members.remove(call.user, call.params["workspaceId"], call.params["userId"])
    return Reply(status=204)


@v1.route(
    "/v1/workspaces/{workspaceId}/users/{userId}",
    "GET",
    summary="Get a workspace member's profile",
    scope=scopes.USERS_READ,
)
def get_member_profile(call: Call) -> Any:
    membership, user = members.profile(call.user, call.params["workspaceId"], call.params["userId"])
    return views.workspace_member(membership, user)
