"""/v1/workspaces/{id}/search: messages, files and people, with <mark> highlights (docs/search.md)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.routing import Call
from chalicelib.api.v1 import views
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Enum, Id, Str
from chalicelib.services import search

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Search")

DAY = Str(required=False, max_len=10, description="YYYY-MM-DD (UTC), exclusive")


@v1.route(
    "/v1/workspaces/{workspaceId}/search",
    "GET",
    summary="Search messages (messages:read), files (files:read) or users (users:read)",
    limit="search",
    # The scope depends on ``type``: the service checks it (search.SCOPES).
    scope=scopes.ANY_TOKEN,
    query=page_query(
        q=Str(required=False, max_len=1000, strip=False, description="The query language of docs/search.md"),
        type=Enum(("messages", "files", "users"), required=False, default="messages"),
        channelId=Id(required=False),
        **{"from": Str(required=False, max_len=65, description="A username, as from:@username")},
        before=DAY,
        after=DAY,
        sort=Enum(("relevance", "recent"), required=False, default="relevance"),
    ),
)
def search_workspace(call: Call) -> Any:
    query = call.query
    position = call.position()
    criteria = search.Criteria(
        q=query.get("q") or "",
        kind=query["type"],
        channel_id=query.get("channelId"),
        from_user=query.get("from"),
        before=query.get("before"),
        after=query.get("after"),
        sort=query["sort"],
        cursor=(position or {}).get("engine"),
        limit=query["limit"],
    )
    results, cursor = search.search(call.user, call.params["workspaceId"], criteria)
    return call.page([_shown(r) for r in results], {"engine": cursor} if cursor else None)


def _shown(result: Any) -> dict[str, Any]:
    if isinstance(result, search.MessageResult):
        channel = {"id": result.channel.id, "name": result.channel.name}
        return {**views.message(result.message), "channel": channel, "contentHtml": result.content_html}
    if isinstance(result, search.FileResult):
        return {**views.file(result.file), "filenameHtml": result.filename_html}
    return {
        **views.user_profile(result.user),
        "usernameHtml": result.username_html,
        "displayNameHtml": result.display_name_html,
    }
