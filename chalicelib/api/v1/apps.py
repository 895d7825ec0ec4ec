"""/v1/workspaces/{id}/apps, /v1/apps/{id} and /v1/workspaces/{id}/installations: OAuth
apps (admins and owners; an API token needs the admin scope; never an app's own token).

A confidential app's client secret is in the answers of create and rotate-secret only
(and never in an idempotent replay of them); list and get show its last 4 characters.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.auth.principal import API_TOKEN, SESSION
from chalicelib.auth.tokens import CLIENT_SECRET_PREFIX
from chalicelib.http.schema import HTTPS_URL, Bool, Enum, List, Obj, Str, Text
from chalicelib.services import apps
from chalicelib.services.apps import MAX_REDIRECT_URIS, InstalledApp
from chalicelib.store.models import App

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="OAuth apps")
# An app must not widen its own redirect URIs or rotate its own secret: no OAuth token here.
NOT_APPS = (SESSION, API_TOKEN)

NAME = Text(min_len=1, max_len=80)
DESCRIPTION = Text(max_len=500, multiline=True, nullable=True, required=False)
URL = Str(
    min_len=1,
    max_len=2048,
    doc_pattern=HTTPS_URL,
    description=(
        "An absolute https URL, matched exactly: no fragment, no userinfo, no wildcard "
        "(the local stage also allows http://127.0.0.1[:port] and http://localhost[:port])"
    ),
)
HOMEPAGE = Str(
    min_len=1, max_len=2048, nullable=True, required=False, doc_pattern=HTTPS_URL, description="An https URL"
)
SCOPES = List(Enum(scopes.ALL), min_items=1, max_items=len(scopes.ALL), unique=True)


def redirect_uris(**kw: Any) -> List:
    return List(URL, min_items=1, max_items=MAX_REDIRECT_URIS, unique=True, **kw)


def view(app: App) -> dict[str, Any]:
    return {
        "id": app.id,
        "clientId": app.client_id,
        "workspaceId": app.workspace_id,
        "name": app.name,
        "description": app.description,
        "homepageUrl": app.homepage_url,
        "redirectUris": list(app.redirect_uris or []),
        "scopes": sorted(app.scopes),
        "public": bool(app.public),
        "distributed": bool(app.distributed),
        "clientSecretHint": f"{CLIENT_SECRET_PREFIX}…{app.secret_hint}" if app.secret_hint else None,
        "createdBy": app.created_by,
        "createdAt": app.created_at,
        "updatedAt": app.updated_at,
    }


def installation_view(found: InstalledApp) -> dict[str, Any]:
    installation, app = found.installation, found.app
    return {
        "appId": app.id,
        "clientId": app.client_id,
        "name": app.name,
        "description": app.description,
        "homepageUrl": app.homepage_url,
        "workspaceId": installation.workspace_id,
        "ownWorkspace": app.workspace_id == installation.workspace_id,
        "scopes": sorted(installation.scopes),
        "installedBy": installation.installed_by,
        "installedAt": installation.created_at,
    }


@v1.route(
    "/v1/workspaces/{workspaceId}/apps",
    "POST",
    summary="Register an OAuth app (installed in this workspace); a confidential app's secret is in this response only",
    scope=scopes.ADMIN,
    callers=NOT_APPS,
    status=201,
    body=Obj(
        {
            "name": NAME,
            "redirectUris": redirect_uris(),
            "scopes": SCOPES,
            "public": Bool(description="A public client (no secret: native and browser apps); PKCE either way"),
            "distributed": Bool(description="Other workspaces may install it"),
            "description": DESCRIPTION,
            "homepageUrl": HOMEPAGE,
        }
    ),
)
def create_app(call: Call) -> Any:
    b = call.body
    created = apps.create(
        call.user,
        call.params["workspaceId"],
        name=b["name"],
        redirect_uris=b["redirectUris"],
        scopes=b["scopes"],
        public=b["public"],
        distributed=b["distributed"],
        description=b.get("description"),
        homepage_url=b.get("homepageUrl"),
    )
    body = view(created.app)
    if created.secret is not None:
        body["clientSecret"] = created.secret
    return Reply(body, status=201, secrets=("clientSecret",))


@v1.route(
    "/v1/workspaces/{workspaceId}/apps",
    "GET",
    summary="List the workspace's OAuth apps (never their secrets)",
    scope=scopes.ADMIN,
    callers=NOT_APPS,
    query=page_query(),
)
def list_apps(call: Call) -> Any:
    items, position = apps.list_apps(
        call.user, call.params["workspaceId"], limit=call.query["limit"], position=call.position()
    )
    return call.page([view(a) for a in items], position)


@v1.route(
    "/v1/apps/{appId}", "GET", summary="Read an OAuth app (never its secret)", scope=scopes.ADMIN, callers=NOT_APPS
)
def get_app(call: Call) -> Any:
    return view(apps.get(call.user, call.params["appId"]))


@v1.route(
    "/v1/apps/{appId}",
    "PATCH",
    summary="Update an OAuth app; narrowing its scopes revokes the grants holding a removed one",
    scope=scopes.ADMIN,
    callers=NOT_APPS,
    body=Obj(
        {
            "name": Text(required=False, min_len=1, max_len=80),
            "description": DESCRIPTION,
            "homepageUrl": HOMEPAGE,
            "redirectUris": redirect_uris(required=False),
            "scopes": List(Enum(scopes.ALL), required=False, min_items=1, max_items=len(scopes.ALL), unique=True),
            "distributed": Bool(required=False),
        },
        at_least_one=True,
    ),
)
def update_app(call: Call) -> Any:
    return view(apps.update(call.user, call.params["appId"], call.body))


@v1.route(
    "/v1/apps/{appId}",
    "DELETE",
    summary="Delete an OAuth app: its installations go and every token it issued is revoked",
    scope=scopes.ADMIN,
    callers=NOT_APPS,
    status=204,
)
def delete_app(call: Call) -> Any:
    apps.delete(call.user, call.params["appId"])
    return Reply(status=204)


@v1.route(
    "/v1/apps/{appId}/rotate-secret",
    "POST",
    summary="A new client secret (in this response only); the old one stops working now. 409 for a public app",
    scope=scopes.ADMIN,
    callers=NOT_APPS,
)
def rotate_app_secret(call: Call) -> Any:
    rotated = apps.rotate_secret(call.user, call.params["appId"])
    return Reply({**view(rotated.app), "clientSecret": rotated.secret}, secrets=("clientSecret",))


@v1.route(
    "/v1/workspaces/{workspaceId}/installations",
    "GET",
    summary="The OAuth apps installed in the workspace (its own and others' distributed apps)",
    scope=scopes.ADMIN,
    callers=NOT_APPS,
    query=page_query(),
)
def list_installations(call: Call) -> Any:
    items, position = apps.list_installations(
        call.user, call.params["workspaceId"], limit=call.query["limit"], position=call.position()
    )
    return call.page([installation_view(i) for i in items], position)


@v1.route(
    "/v1/workspaces/{workspaceId}/installations/{appId}",
    "DELETE",
    summary="Uninstall an app: revokes its tokens in this workspace (its own workspace deletes it instead: 409)",
    scope=scopes.ADMIN,
    callers=NOT_APPS,
    status=204,
)
def uninstall_app(call: Call) -> Any:
    apps.uninstall(call.user, call.params["workspaceId"], call.params["appId"])
    return Reply(status=204)
