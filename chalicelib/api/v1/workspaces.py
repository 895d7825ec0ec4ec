"""/v1/workspaces: create, list mine, read one."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call
from chalicelib.api.v1 import views
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Bool, Obj, Str, Text, Url
from chalicelib.services import workspaces

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Workspaces")


def slug(*, required: bool = True) -> Str:
    return Str(
        required=required,
        min_len=3,
        max_len=40,
        lower=True,
        pattern=r"[a-z0-9]([a-z0-9-]*[a-z0-9])?",
        pattern_hint="may contain lowercase letters, digits and inner hyphens",
    )


@v1.route(
    "/v1/workspaces",
    "POST",
    summary="Create a workspace (the caller becomes its owner)",
    scope=scopes.SESSION,
    status=201,
    body=Obj({"name": Text(min_len=1, max_len=80), "slug": slug(required=False)}),
)
def create_workspace(call: Call) -> Any:
    return views.workspace(workspaces.create(call.user, call.body["name"], call.body.get("slug")))


@v1.route(
    "/v1/workspaces",
    "GET",
    summary="List the workspaces the caller belongs to",
    scope=scopes.ANY_TOKEN,
    query=page_query(),
)
def list_workspaces(call: Call) -> Any:
    items, position = workspaces.list_mine(call.user, limit=call.query["limit"], position=call.position())
    return call.page([views.workspace(v) for v in items], position)


@v1.route("/v1/workspaces/{workspaceId}", "GET", summary="Get workspace details", scope=scopes.ANY_TOKEN)
def get_workspace(call: Call) -> Any:
    return views.workspace(workspaces.get(call.user, call.params["workspaceId"]))


@v1.route(
    "/v1/workspaces/{workspaceId}",
    "PATCH",
    summary="Update workspace name, slug or icon (admins)",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "name": Text(required=False, min_len=1, max_len=80),
            "slug": slug(required=False),
            "iconUrl": Url(required=False, nullable=True),
            # The forum's comment settings (Disqus API 3.0, docs/disqus.md).
            "comments": Obj(
                {
                    "allowGuests": Bool(required=False, description="anonymous posts through a public key"),
                    "premoderate": Bool(required=False, description="new posts wait for a moderator"),
                },
                required=False,
                at_least_one=True,
            ),
        },
        at_least_one=True,
    ),
)
def update_workspace(call: Call) -> Any:
    names = {"name": "name", "slug": "slug", "iconUrl": "icon_url"}
    settings = {"allowGuests": "comments_allow_guests", "premoderate": "comments_premoderate"}
    changes = {names[k]: v for k, v in call.body.items() if k in names}
    changes.update({settings[k]: v for k, v in (call.body.get("comments") or {}).items()})
    return views.workspace(workspaces.update(call.user, call.params["workspaceId"], changes))
