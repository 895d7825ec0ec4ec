"""/v1/channels/{id}/messages, /v1/messages/{id}, threads, reactions and pins.

Lists of messages stay under 5 MB of JSON (chalicelib/api/v1/budget.py): a page may
hold fewer than ``limit`` items, with ``hasMore`` and a cursor to continue."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalice import Blueprint

from chalicelib.api.routing import Call, Reply
from chalicelib.api.v1 import views
from chalicelib.api.v1.budget import Budget
from chalicelib.api.v1.schemas import page_query
from chalicelib.api.v1.surface import V1Surface
from chalicelib.auth import scopes
from chalicelib.http.schema import Id, List, Obj, Str, Text
from chalicelib.services import flags, messages, pins, reactions, threads
from chalicelib.store.models import Message, Pin

bp = Blueprint(__name__)
v1 = V1Surface(bp, tag="Messages")

CONTENT = Str(min_len=1, max_len=messages.MAX_CONTENT, strip=False, description="Markdown")
BOUND = Str(required=False, max_len=40, description="A message id or an ISO 8601 timestamp (exclusive)")
EMOJI = Str(
    min_len=1,
    max_len=200,
    doc_pattern=reactions.emoji_doc_pattern,
    description="A Unicode emoji or a :shortcode: (URL-encoded)",
)


@v1.route(
    "/v1/channels/{channelId}/messages",
    "POST",
    summary="Send a message (threadId: reply in a thread)",
    limit="send",
    limit_by="channelId",
    scope=scopes.MESSAGES_WRITE,
    status=201,
    body=Obj(
        {
            "content": CONTENT,
            "threadId": Id(required=False),
            "attachmentIds": List(Id(), required=False, max_items=10, default=[]),
        }
    ),
)
def send_message(call: Call) -> Any:
    b = call.body
    sent = messages.send(call.user, call.params["channelId"], b["content"], b.get("threadId"), b["attachmentIds"])
    return views.message(sent)


@v1.route(
    "/v1/channels/{channelId}/messages",
    "GET",
    summary="List top-level messages, newest first",
    scope=scopes.MESSAGES_READ,
    query=page_query(before=BOUND, after=BOUND),
)
def list_messages(call: Call) -> Any:
    budget = Budget(views.message)
    items, position = messages.list_messages(
        call.user,
        call.params["channelId"],
        limit=call.query["limit"],
        position=call.position(),
        before=call.query.get("before"),
        after=call.query.get("after"),
        admit=budget.admit,
    )
    return call.page(budget.shown(items), position)


@v1.route("/v1/messages/{messageId}", "GET", summary="Get a message", scope=scopes.MESSAGES_READ)
def get_message(call: Call) -> Any:
    return views.message(messages.get(call.user, call.params["messageId"]))


@v1.route(
    "/v1/messages/{messageId}",
    "PATCH",
    summary="Edit a message (its author)",
    scope=scopes.MESSAGES_WRITE,
    body=Obj({"content": CONTENT}),
)
def edit_message(call: Call) -> Any:
    return views.message(messages.edit(call.user, call.params["messageId"], call.body["content"]))


@v1.route(
    "/v1/messages/{messageId}",
    "DELETE",
    summary="Delete a message (author or admin)",
    scope=scopes.MESSAGES_WRITE,
    status=204,
)
def delete_message(call: Call) -> Any:
    messages.delete(call.user, call.params["messageId"])
    return Reply(status=204)


@v1.route(
    "/v1/messages/{messageId}/thread",
    "GET",
    summary="A thread: the parent and its replies, oldest first",
    scope=scopes.MESSAGES_READ,
    query=page_query(),
)
def get_thread(call: Call) -> Any:
    budget = Budget(views.message)
    parent, replies, position = messages.thread(
        call.user, call.params["messageId"], limit=call.query["limit"], position=call.position(), admit=budget.admit
    )
    page = call.page(budget.shown(replies), position)
    page.data = {"parent": budget.shown([parent])[0], "replies": page.data}
    return page


@v1.route(
    "/v1/workspaces/{workspaceId}/threads",
    "GET",
    summary="Threads you started or replied in, most recent activity first",
    scope=scopes.MESSAGES_READ,
    query=page_query(),
)
def list_threads(call: Call) -> Any:
    budget = Budget(views.message)
    parents, position = threads.list_threads(
        call.user, call.params["workspaceId"], limit=call.query["limit"], position=call.position(), admit=budget.admit
    )
    return call.page(budget.shown(parents), position)


@v1.route(
    "/v1/messages/{messageId}/reactions",
    "POST",
    summary="React with an emoji (once per user and emoji)",
    scope=scopes.MESSAGES_WRITE,
    body=Obj({"emoji": EMOJI}),
)
def add_reaction(call: Call) -> Any:
    return views.message(reactions.add(call.user, call.params["messageId"], call.body["emoji"]))


@v1.route(
    "/v1/messages/{messageId}/reactions/{emoji}",
    "DELETE",
    summary="Remove your reaction",
    scope=scopes.MESSAGES_WRITE,
    params={"emoji": EMOJI},
)
def remove_reaction(call: Call) -> Any:
    # API Gateway passes path parameters percent-encoded as sent.
    return views.message(reactions.remove(call.user, call.params["messageId"], unquote(call.params["emoji"])))


@v1.route(
    "/v1/channels/{channelId}/pins",
    "GET",
    summary="List pinned messages",
    scope=scopes.MESSAGES_READ,
    query=page_query(),
)
def list_pins(call: Call) -> Any:
    budget = Budget(_pinned)
    items, position = pins.list_pins(
        call.user, call.params["channelId"], limit=call.query["limit"], position=call.position(), admit=budget.admit
    )
    return call.page(budget.shown(items), position)


def _pinned(item: tuple[Pin, Message]) -> dict[str, Any]:
    pin, message = item
    return {"pinnedBy": pin.pinned_by, "pinnedAt": pin.pinned_at, "message": views.message(message)}


@v1.route(
    "/v1/channels/{channelId}/pins",
    "POST",
    summary="Pin a message of this channel",
    scope=scopes.MESSAGES_WRITE,
    status=201,
    body=Obj({"messageId": Id()}),
)
def pin_message(call: Call) -> Any:
    return _pinned(pins.pin(call.user, call.params["channelId"], call.body["messageId"]))


@v1.route(
    "/v1/channels/{channelId}/pins/{messageId}",
    "DELETE",
    summary="Unpin a message",
    scope=scopes.MESSAGES_WRITE,
    status=204,
)
def unpin_message(call: Call) -> Any:
    pins.unpin(call.user, call.params["channelId"], call.params["messageId"])
    return Reply(status=204)


@v1.route(
    "/v1/messages/{messageId}/flag",
    "POST",
    summary="Flag a message for the moderators (once per flagger)",
    scope=scopes.MESSAGES_READ,
    status=201,
    body=Obj({"reason": Text(required=False, max_len=flags.MAX_REASON)}),
)
def flag_message(call: Call) -> Any:
    flagged = flags.flag_message_by_id(call.user, call.params["messageId"], call.body.get("reason"))
    shown = {"messageId": call.params["messageId"], "flagged": True, "flagCount": flagged.count}
    return shown if flagged.created else Reply(shown, status=200)
