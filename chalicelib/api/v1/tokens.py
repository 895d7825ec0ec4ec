"""/v1/workspaces/{id}/tokens: workspace API tokens (Settings -> Integrations)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1 import views
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Bool, Enum, List, Obj, Text
from chalicelib.services import api_tokens

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="API tokens")


@v1.route(
    "/v1/workspaces/{workspaceId}/tokens",
    "POST",
    summary="Create an API token; the secret is in this response only",
    scope=scopes.SESSION,
    status=201,
    body=Obj(
        {
            "name": Text(min_len=1, max_len=80),
            "scopes": List(Enum(scopes.ALL), min_items=1, max_items=len(scopes.ALL), unique=True),
            "bot": Bool(required=False, default=False, description="A bot integration: its messages have type bot"),
        }
    ),
)
def create_token(call: Call) -> Any:
    created = api_tokens.create(
        call.user, call.params["workspaceId"], call.body["name"], call.body["scopes"], bot=call.body["bot"]
    )
    return Reply({**views.api_token(created.record), "token": created.secret}, status=201, secrets=("token",))


@v1.route(
    "/v1/workspaces/{workspaceId}/tokens",
    "GET",
    summary="List API tokens (yours; admins see every member's), never their secrets",
    scope=scopes.SESSION,
    query=page_query(),
)
def list_tokens(call: Call) -> Any:
    items, position = api_tokens.list_tokens(
        call.user, call.params["workspaceId"], limit=call.query["limit"], position=call.position()
    )
    return call.page([views.api_token(t) for t in items], position)


@v1.route(
    "/v1/workspaces/{workspaceId}/tokens/{tokenId}",
    "DELETE",
    summary="Revoke an API token",
    scope=scopes.SESSION,
    status=204,
)
def revoke_token(call: Call) -> Any:
    api_tokens.revoke(call.user, call.params["workspaceId"], call.params["tokenId"])
    return Reply(status=204)
