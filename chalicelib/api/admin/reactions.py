"""Admin v2 reaction routes: /api/v2/reactions (reactors, react, unreact) and
/api/v2/reactions/messages/most (a channel's most reacted messages, from a maintained ranking).

A reaction's name is v1's emoji field: one Unicode emoji or a ``:shortcode:``; reacting goes
through services/reactions.py as the token's creator (exact counts, the same code as v1).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.admin import message_schemas  # noqa: F401 - their answers in the OpenAPI feed
from chalicelib.api.admin.channels import CHANNEL_ID
from chalicelib.api.admin.forms import FormInt
from chalicelib.api.admin.surface import AdminSurface
from chalicelib.api.routing import Call
from chalicelib.auth import scopes
from chalicelib.http.schema import Enum, Id, Obj, Str
from chalicelib.services import admin_messages, reactions

bp = Blueprint(__name__)
admin = AdminSurface(bp, tag="Admin v2: reactions")

REFERENCE_ID = Id(description="The message's id")
REFERENCE_TYPE = Enum(("message",), required=False, default="message")
REACTION_NAME = Str(
    min_len=1, max_len=64, doc_pattern=reactions.emoji_doc_pattern, description="One emoji or a :shortcode:"
)
TOKEN = Str(required=False, nullable=True, max_len=8192, description="paging.next of an earlier page")
REACTION = Obj({"referenceId": REFERENCE_ID, "referenceType": REFERENCE_TYPE, "reactionName": REACTION_NAME})


@admin.route(
    "/api/v2/reactions",
    "GET",
    summary="Who reacted to a message (options[reactionName] one reaction; skip, limit 1-100 (20), token)",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "referenceId": REFERENCE_ID,
            "referenceType": REFERENCE_TYPE,
            "options": Obj(
                {
                    "reactionName": Str(required=False, min_len=1, max_len=64),
                    "skip": FormInt(required=False, minimum=0, maximum=admin_messages.MAX_SKIP),
                    "limit": FormInt(required=False, minimum=1, maximum=100),
                    "token": TOKEN,
                },
                required=False,
            ),
        }
    ),
    idempotent=False,
)
def query_reactors(call: Call) -> Any:
    body = call.body
    options = body.get("options") or {}
    position = call.position()
    limit = options.get("limit") or (position or {}).get("limit") or 20
    answer, following = admin_messages.reactors(
        call.user,
        body["referenceId"],
        options.get("reactionName"),
        skip=options.get("skip") or 0,
        limit=limit,
        position=position,
    )
    return call.page(answer, {"next": {**following, "limit": limit} if following else None})


@admin.route(
    "/api/v2/reactions",
    "POST",
    summary="React to a message as the token's creator (reacting twice is once); answers the message",
    scope=scopes.ADMIN,
    body=REACTION,
)
def add_reaction(call: Call) -> Any:
    return admin_messages.react(call.user, call.body["referenceId"], call.body["reactionName"]).as_dict()


@admin.route(
    "/api/v2/reactions",
    "DELETE",
    summary="Withdraw the token's creator's reaction (404 when there is none); answers the message",
    scope=scopes.ADMIN,
    body=REACTION,
)
def remove_reaction(call: Call) -> Any:
    return admin_messages.unreact(call.user, call.body["referenceId"], call.body["reactionName"]).as_dict()


@admin.route(
    "/api/v2/reactions/messages/most",
    "GET",
    summary="A channel's messages with the most reactions of one name, the highest count first "
    "(limit 0 = 20, at most 100): one Query of a ranking kept in each reaction's transaction",
    scope=scopes.ADMIN,
    body=Obj(
        {
            "channelId": CHANNEL_ID,
            "reactionName": REACTION_NAME,
            "limit": FormInt(required=False, default=0, minimum=0, maximum=100, description="0: 20"),
            "options": Obj({"token": TOKEN}, required=False),
        }
    ),
    idempotent=False,
)
def most_reacted(call: Call) -> Any:
    body = call.body
    position = call.position()
    limit = body.get("limit") or (position or {}).get("limit") or 20
    bundle, following = admin_messages.most_reacted(
        call.user, body["channelId"], body["reactionName"], limit=limit, position=position
    )
    return call.page(bundle.as_dict(), {"next": {**following, "limit": limit} if following else None})
