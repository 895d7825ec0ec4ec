"""Realtime over API Gateway WebSockets: tickets, connections, subscriptions, typing, and who
receives an event (docs/realtime.md).

A connection is authenticated once, on ``$connect`` (a single-use ticket, or a token), and
stores the principal it stands for; every frame after that is authorized as that principal
through the same services as REST: a channel you may not read is E_NOT_FOUND.

Who receives an event of channel C in workspace W: the connections subscribed to C, and to W,
less, for a private channel, the users who are not (or no longer) its members or carry the
ban's copy (read with the subscribers: one more Query). Public channels are readable by every
member of W who is not banned: a ban (Admin v2) or a removal from W drops the user's
subscriptions in W at once (``revoke``), and a subscribe racing with it cannot slip in (the
subscription's write checks the membership in the same transaction).
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from chalicelib.auth import scopes, tokens
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import Forbidden, InvalidToken, NotFound, ValidationError
from chalicelib.ids import new_id, now_iso
from chalicelib.observability import count, logger
from chalicelib.services import authz
from chalicelib.store import keys
from chalicelib.store import realtime as store

TICKET_PREFIX = "dqw_"
TICKET_SECONDS = 60
TYPING_INTERVAL_MS = 3000  # one typing relay per user and channel every 3 s
_PRINCIPAL_FIELDS = {f.name for f in dataclasses.fields(Principal)}


class Gone(Exception):
    """The connection is not known (disconnected, expired): the client must reconnect."""


# --- principals -----------------------------------------------------------------------------


def _principal_record(principal: Principal) -> dict[str, Any]:
    record = dataclasses.asdict(principal)
    record["scopes"] = sorted(principal.scopes) if principal.scopes is not None else None
    return record


def _principal_from(record: dict[str, Any]) -> Principal:
    values = {k: v for k, v in record.items() if k in _PRINCIPAL_FIELDS}
    if values.get("scopes") is not None:
        values["scopes"] = frozenset(values["scopes"])
    return Principal(**values)


def _require_user(principal: Principal) -> None:
    if principal.kind == "public_key" or not principal.user_id:
        raise Forbidden("Realtime needs a user's token (not a public key).")


# --- tickets and connecting -----------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    ticket: str
    expires_in: int
    url: str | None


def websocket_url() -> str | None:
    """The WebSocket URL clients connect to: REALTIME_ENDPOINT's (the Management API and the
    WebSocket API share the host and stage), as ws(s)."""
    endpoint = get_settings().realtime_endpoint
    if not endpoint:
        return None
    return (
        "wss://" + endpoint.removeprefix("https://")
        if endpoint.startswith("https://")
        else "ws://" + (endpoint.removeprefix("http://"))
    )


def issue_ticket(principal: Principal) -> Ticket:
    """A single-use ticket (60 s) standing for the caller: ``?ticket=`` on connect keeps the
    token itself out of URLs and access logs. Stored as its SHA-256 only."""
    _require_user(principal)
    ticket = TICKET_PREFIX + secrets.token_urlsafe(32)
    store.put_ticket(tokens.sha256_hex(ticket), principal.user_id, _principal_record(principal), TICKET_SECONDS)
    return Ticket(ticket, TICKET_SECONDS, websocket_url())


def authenticate(*, ticket: str | None, token: str | None) -> Principal:
    """Who is connecting: a ticket (used up here) or a token (access token, API token, an app's
    token), exactly as the REST API checks it. InvalidToken (401) otherwise."""
    from chalicelib.services import authn

    if ticket:
        if not ticket.startswith(TICKET_PREFIX) or len(ticket) > 100:
            raise InvalidToken("Unknown or used ticket.")
        found = store.take_ticket(tokens.sha256_hex(ticket))
        if found is None:
            raise InvalidToken("Unknown, expired or used ticket.")
        principal = _principal_from(found.principal)
    elif token:
        principal = authn.authenticate(f"Bearer {token}")
    else:
        raise InvalidToken("Connect with ?ticket= (POST /v1/realtime/tickets) or ?token=.")
    _require_user(principal)
    return principal


def connect(connection_id: str, principal: Principal) -> None:
    store.put_connection(connection_id, principal.user_id, _principal_record(principal), now_iso())
    count("RealtimeConnected")


def disconnect(connection_id: str) -> None:
    store.delete_connection(connection_id)


def principal_of(connection_id: str) -> Principal:
    found = store.get_connection(connection_id)
    if found is None:
        raise Gone(connection_id)
    return _principal_from(found.principal)


# --- subscriptions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    workspace_id: str
    channel_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"workspaceId": self.workspace_id, **({"channelId": self.channel_id} if self.channel_id else {})}


def _authorized_scope(principal: Principal, workspace_id: str | None, channel_id: str | None) -> tuple[Scope, Any]:
    """What the subscription covers and the key of the membership it rests on, checked as
    GET /v1/channels/:id/messages (a channel) or GET /v1/workspaces/:id (a workspace) would."""
    from chalicelib.services import messages

    if channel_id:
        channel, _ = messages.channel_for_reading(principal, channel_id, scopes.MESSAGES_READ)
        if channel.channel_type == "private":
            return Scope(channel.workspace_id, channel.id), (keys.channel(channel.id), keys.member(principal.user_id))
        authority = (keys.workspace(channel.workspace_id), keys.member(principal.user_id))
        return Scope(channel.workspace_id, channel.id), authority
    assert workspace_id is not None
    authz.workspace_access(principal, workspace_id, scope=scopes.MESSAGES_READ)
    return Scope(workspace_id), (keys.workspace(workspace_id), keys.member(principal.user_id))


def subscribe(connection_id: str, principal: Principal, *, workspace_id: str | None, channel_id: str | None) -> Scope:
    """Subscribe to a channel the caller may read, or to a workspace (every channel the caller
    may read there, now and later). The same errors as REST: E_NOT_FOUND for what you may not
    see, E_USER_BANNED, E_AUTHZ_INSUFFICIENT_SCOPE..."""
    scope, authority = _authorized_scope(principal, workspace_id, channel_id)
    try:
        store.subscribe(connection_id, principal.user_id, scope.workspace_id, scope.channel_id, authority=authority)
    except store.NoConnection:
        if store.get_connection(connection_id) is None:
            raise Gone(connection_id) from None
        raise ValidationError(f"At most {store.MAX_SUBSCRIPTIONS} subscriptions per connection.") from None
    except store.NotAllowed:  # removed or banned between the check and the write
        raise NotFound("Channel not found." if channel_id else "Workspace not found.") from None
    return scope


def unsubscribe(connection_id: str, principal: Principal, *, workspace_id: str | None, channel_id: str | None) -> Scope:
    """Idempotent; needs no read right (leaving a channel you were removed from is fine)."""
    if channel_id:
        from chalicelib.store import channels as channel_store

        channel = channel_store.get(channel_id)
        if channel is None:
            raise NotFound("Channel not found.")
        scope = Scope(channel.workspace_id, channel_id)
    else:
        assert workspace_id is not None
        scope = Scope(workspace_id)
    store.unsubscribe(connection_id, scope.workspace_id, scope.channel_id)
    return scope


def revoke(workspace_id: str, user_id: str) -> int:
    """Stop every delivery of the workspace to this user now (a global ban, a removal from the
    workspace): their subscriptions there are deleted. How many were."""
    dropped = store.drop_user(user_id, workspace_id)
    if dropped:
        logger().info("realtime subscriptions revoked", extra={"workspaceId": workspace_id, "dropped": dropped})
    return dropped


# --- typing ---------------------------------------------------------------------------------


def typing(principal: Principal, channel_id: str) -> dict[str, Any] | None:
    """A typing indicator for the channel's other subscribers, or None when throttled (one per
    3 s per user and channel, across all their connections). Only someone who may post there
    types: the checks of POST /v1/channels/:id/messages. Never stored as a message: it goes
    straight to the realtime queue (no outbox, no stream)."""
    from chalicelib.services import messages

    channel = messages.channel_for_posting(principal, channel_id)
    if not store.take_typing_slot(channel.id, principal.user_id, TYPING_INTERVAL_MS):
        count("RealtimeTypingThrottled")
        return None
    event = {
        "id": f"typ_{new_id()}",
        "type": "typing",
        "workspaceId": channel.workspace_id,
        "createdAt": now_iso(),
        "data": {"channelId": channel.id, "userId": principal.user_id, "channelType": channel.channel_type},
    }
    from chalicelib.aws import client

    client("sqs").send_message(QueueUrl=get_settings().queue_url("realtime"), MessageBody=json.dumps(event))
    return event


# --- fan-out: who receives an event -----------------------------------------------------------


@dataclass
class Audience:
    """The connections an event goes to, and what finding them cost."""

    connections: dict[str, str] = field(default_factory=dict)  # connection id -> user id
    queries: int = 0
    rcu: float = 0.0


def audience(workspace_id: str, channel_id: str, channel_type: str, *, exclude_user: str | None = None) -> Audience:
    """Connections subscribed to the channel or its workspace that may read it now: one Query
    each, plus the channel's members for a private channel."""
    found = Audience()
    candidates: dict[str, str] = {}
    for scope_pk in (store.scope_key(workspace_id, channel_id), store.scope_key(workspace_id, None)):
        subscribers, cost = store.subscribers(scope_pk)
        found.queries += int(cost["calls"])
        found.rcu += cost["rcu"]
        for subscriber in subscribers:
            candidates[subscriber.connection_id] = subscriber.user_id
    if candidates and channel_type == "private":
        readers, cost = store.channel_readers(channel_id)
        found.queries += int(cost["calls"])
        found.rcu += cost["rcu"]
        candidates = {c: u for c, u in candidates.items() if u in readers}
    if exclude_user is not None:
        candidates = {c: u for c, u in candidates.items() if u != exclude_user}
    found.connections = candidates
    return found


def user_audience(user_id: str, workspace_id: str) -> Audience:
    """The user's own connections subscribed to something in the workspace (their notifications)."""
    return Audience({c: user_id for c in store.user_connections_in(user_id, workspace_id)}, queries=1)


def forget_connection(connection_id: str) -> None:
    """API Gateway says the connection is gone (410): its records go."""
    store.delete_connection(connection_id)
    count("RealtimeConnectionGone")


def frame(kind: str, **fields: Any) -> bytes:
    return json.dumps({"type": kind, **fields}, ensure_ascii=False, separators=(",", ":")).encode()


def send(connection_id: str, data: bytes) -> bool:
    """Post one frame to a connection through the Management API; False when it is gone
    (410 GoneException: its records are deleted)."""
    from chalicelib.aws import MANAGEMENT_API, client

    api = client(MANAGEMENT_API)
    try:
        api.post_to_connection(ConnectionId=connection_id, Data=data)
    except api.exceptions.GoneException:
        forget_connection(connection_id)
        return False
    return True
