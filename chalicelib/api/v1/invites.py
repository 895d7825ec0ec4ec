"""/v1/workspaces/{id}/invites (admins) and /v1/invites/{code} (whoever holds a code)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import links
from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1 import views
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Email, Enum, Int, Obj, Str
from chalicelib.services import invites

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Invites")

CODE = Str(min_len=40, max_len=80, pattern=r"[0-9a-f-]{36}\.[A-Za-z0-9_-]{16,40}", pattern_hint="is not an invite code")


@v1.route(
    "/v1/workspaces/{workspaceId}/invites",
    "POST",
    summary="Create an invite link, or send an email invite (with email)",
    scope=scopes.SESSION,
    status=201,
    body=Obj(
        {
            "email": Email(required=False),
            "role": Enum(("member", "admin"), default="member"),
            "expiresInHours": Int(required=False, minimum=1, maximum=invites.MAX_HOURS, default=invites.DEFAULT_HOURS),
            "maxUses": Int(required=False, minimum=1, maximum=10_000),
        }
    ),
)
def create_invite(call: Call) -> Any:
    b = call.body
    created = invites.create(
        call.user,
        call.params["workspaceId"],
        email_address=b.get("email"),
        role=b["role"],
        hours=b["expiresInHours"],
        max_uses=b.get("maxUses"),
    )
    url = links.invite(created.code) if created.code else None
    return views.invite(created.invite, created.code, url)


@v1.route(
    "/v1/workspaces/{workspaceId}/invites",
    "GET",
    summary="List invites (admins)",
    scope=scopes.ADMIN,
    query=page_query(),
)
def list_invites(call: Call) -> Any:
    items, position = invites.list_invites(
        call.user, call.params["workspaceId"], limit=call.query["limit"], position=call.position()
    )
    return call.page([views.invite(i) for i in items], position)


@v1.route(
    "/v1/workspaces/{workspaceId}/invites/{inviteId}",
    "DELETE",
    summary="Revoke an invite (admins)",
    scope=scopes.ADMIN,
    status=204,
)
def revoke_invite(call: Call) -> Any:
    invites.revoke(call.user, call.params["workspaceId"], call.params["inviteId"])
    return Reply(status=204)


@v1.route(
    "/v1/invites/{code}",
    "GET",
    summary="Look an invite up: the workspace it opens (no login needed)",
    auth=False,
    params={"code": CODE},
)
def look_up_invite(call: Call) -> Any:
    invite, workspace = invites.look_up(call.params["code"])
    return {
        "workspace": {
            "id": workspace.id,
            "name": workspace.name,
            "slug": workspace.slug,
            "iconUrl": workspace.icon_url,
        },
        "role": invite.role,
        "email": invite.email,
        "expiresAt": views.invite(invite)["expiresAt"],
    }


@v1.route(
    "/v1/invites/{code}/accept",
    "POST",
    summary="Accept an invite: join the workspace (and #general)",
    scope=scopes.SESSION,
    params={"code": CODE},
)
def accept_invite(call: Call) -> Any:
    workspace = invites.accept(call.user, call.params["code"])
    return {"workspaceId": workspace.id, "joined": True}
