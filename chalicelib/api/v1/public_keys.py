"""/v1/workspaces/{id}/public-keys: public keys, a workspace's Disqus ``api_key``
(admins and owners). A public key is no secret: list shows it in full."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Id, List, Obj, Str
from chalicelib.services import public_keys
from chalicelib.store.models import PublicKey

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Public keys")

DOMAINS = List(
    # Strict checks (IDNA, labels, port, wildcard) are the service's: errors name domains[i].
    Str(min_len=1, max_len=300),
    min_items=1,
    max_items=public_keys.MAX_DOMAINS,
    description=(
        "Host names the key is valid on (the request's Origin, else its Referer): example.com, "
        "*.example.com (every subdomain, not the name itself), localhost:3000 (that port only); "
        "no scheme or path; international names are stored in IDNA ASCII form"
    ),
)


def view(key: PublicKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "key": key.key,
        "workspaceId": key.workspace_id,
        "domains": list(key.domains or []),
        "createdBy": key.created_by,
        "createdAt": key.created_at,
    }


@v1.route(
    "/v1/workspaces/{workspaceId}/public-keys",
    "POST",
    summary="Create a public key (the Disqus api_key) for some domains (admins and owners)",
    scope=scopes.ADMIN,
    status=201,
    body=Obj({"domains": DOMAINS}),
)
def create_public_key(call: Call) -> Any:
    created = public_keys.create(call.user, call.params["workspaceId"], call.body["domains"])
    return Reply(view(created), status=201)


@v1.route(
    "/v1/workspaces/{workspaceId}/public-keys",
    "GET",
    summary="List public keys (admins and owners)",
    scope=scopes.ADMIN,
    query=page_query(),
)
def list_public_keys(call: Call) -> Any:
    items, position = public_keys.list_keys(
        call.user, call.params["workspaceId"], limit=call.query["limit"], position=call.position()
    )
    return call.page([view(k) for k in items], position)


@v1.route(
    "/v1/workspaces/{workspaceId}/public-keys/{keyId}",
    "DELETE",
    summary="Delete a public key: pages that embed it stop working (admins and owners)",
    scope=scopes.ADMIN,
    status=204,
    params={"keyId": Id()},
)
def delete_public_key(call: Call) -> Any:
    public_keys.delete(call.user, call.params["workspaceId"], call.params["keyId"])
    return Reply(status=204)
