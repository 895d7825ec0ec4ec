"""Generate docs/webhooks.md: the event catalog with one example per type, built by
the same code that builds the real payloads (router projections, services' payload
helpers), plus the headers, the retry schedule and how to verify a delivery.

`make webhooks-doc` writes it; tests/tools/test_webhooks_doc.py fails when it is out
of date, and checks the examples against events the running code really emits.
"""

from __future__ import annotations

import json
import sys
from typing import Any

WORKSPACE = "0190b6a4-1000-7000-8000-00000000a001"
CHANNEL = "0190b6a4-1000-7000-8000-00000000c001"
AUTHOR = "0190b6a4-1000-7000-8000-00000000e001"
OTHER = "0190b6a4-1000-7000-8000-00000000e002"
MESSAGE = "0190b6a4-2000-7000-8000-00000000f001"
FILE_ID = "0190b6a4-3000-7000-8000-00000000f00a"
INVITE = "0190b6a4-4000-7000-8000-00000000d001"
WEBHOOK = "wh_0190b6a4-5000-7000-8000-00000000b001"
AT = "2026-03-14T09:26:53.589Z"
LATER = "2026-03-14T09:31:02.114Z"


def _message(edited: bool = False) -> Any:
    from chalicelib.store.models import Message

    return Message(
        id=MESSAGE,
        channel_id=CHANNEL,
        workspace_id=WORKSPACE,
        channel_type="public",
        author_id=AUTHOR,
        content="Deploy finished :rocket: @sam please check",
        kind="message",
        thread_id=None,
        mentions=[OTHER],
        special_mentions=[],
        created_at=AT,
        edited_at=LATER if edited else None,
        deleted=False,
    )


def _channel() -> Any:
    from chalicelib.store.models import Channel

    return Channel(
        id=CHANNEL,
        workspace_id=WORKSPACE,
        name="deploys",
        channel_type="public",
        topic="Ship it",
        archived=False,
        created_by=AUTHOR,
        created_at=AT,
    )


def _file() -> Any:
    from chalicelib.store.models import File

    return File(
        id=FILE_ID,
        workspace_id=WORKSPACE,
        uploader_id=AUTHOR,
        filename="diagram.png",
        content_type="image/png",
        kind="image",
        size=48213,
        created_at=AT,
    )


def example_data() -> dict[str, dict[str, Any]]:
    """event type -> its ``data``, from the code that builds the real ones."""
    from types import SimpleNamespace

    from chalicelib.services import admin_users, channel_close, channels, files
    from chalicelib.store.models import Message, PostVote, Reaction
    from chalicelib.workers import router

    message, edited = _message(), _message(edited=True)
    deleted = Message(**{**edited.attribute_values, "deleted": True})
    reaction = Reaction(
        message_id=MESSAGE, channel_id=CHANNEL, workspace_id=WORKSPACE, emoji="🚀", user_id=OTHER, created_at=LATER
    )
    vote = PostVote(
        target_id=MESSAGE,
        target_kind="post",
        channel_id=CHANNEL,
        workspace_id=WORKSPACE,
        user_id=OTHER,
        vote=1,
        voted_at=LATER,
    )
    channel = _channel()
    projected = {
        "message.created": router._message(message, None),
        "message.updated": router._message(edited, message),
        "message.deleted": router._message(deleted, edited),
        "reaction.added": router._reaction(reaction, None),
        "reaction.removed": router._reaction(None, reaction),
        "post.voted": router._post_vote(vote, None),
    }
    data = {kind: found[2] for kind, found in projected.items() if found}

    def event(kind: str, **fields: Any) -> dict[str, Any]:
        return channels._event(kind, channel, **fields).data

    data["channel.created"] = event("channel.created", createdBy=AUTHOR, **channels.channel_summary(channel))
    data["channel.updated"] = event("channel.updated", changes=["name", "topic"], updatedBy=AUTHOR)
    data["channel.archived"] = event("channel.archived", by=AUTHOR)
    data["channel.unarchived"] = event("channel.unarchived", by=AUTHOR)
    data["channel.didClose"] = channel_close.close_event(channel, AUTHOR, LATER).data
    # Workspace membership (invites.accept, members.remove); channel membership events
    # carry channelId and addedBy instead (services/channels.py).
    data["member.joined"] = {"workspaceId": WORKSPACE, "userId": OTHER, "role": "member", "inviteId": INVITE}
    data["member.left"] = {"workspaceId": WORKSPACE, "userId": OTHER, "removedBy": OTHER}
    data["member.removed"] = {"workspaceId": WORKSPACE, "userId": OTHER, "removedBy": AUTHOR}
    # A global ban (services/admin_users.py); a channel ban carries channelId (services/channels.py).
    principal = SimpleNamespace(user_id=AUTHOR)
    data["member.banned"] = admin_users.ban_event(WORKSPACE, OTHER, principal, LATER, True).data
    data["member.unbanned"] = admin_users.ban_event(WORKSPACE, OTHER, principal, LATER, False).data
    item = _file()
    ready = {"status": "ready", "size": 48213, "content_type": "image/png", "kind": "image", "processed_at": LATER}
    data["file.ready"] = files.file_event(item, {**ready, "thumbnails": {"small": "thumbnails/x/small"}})[1]
    data["file.rejected"] = files.file_event(item, {"status": "rejected", "reason": "infected", "processed_at": LATER})[
        1
    ]
    data["file.deleted"] = files.deleted_data(item, AUTHOR)
    data["ping"] = _ping()["data"]
    return data


def _ping() -> dict[str, Any]:
    from chalicelib.services import webhooks
    from chalicelib.store.models import Webhook

    return webhooks.ping_event(Webhook(id=WEBHOOK, workspace_id=WORKSPACE))


def examples() -> dict[str, dict[str, Any]]:
    """event type -> a whole envelope, as delivered."""
    from chalicelib.services.webhook_catalog import EVENT_TYPES

    data = example_data()
    return {
        kind: {
            "id": f"evt_0190b6a4-9000-7000-8000-{index:012d}",
            "type": kind,
            "workspaceId": WORKSPACE,
            "createdAt": LATER,
            "data": data[kind],
        }
        for index, kind in enumerate(EVENT_TYPES, start=1)
    }


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h".replace(".0 h", " h")


def _schedule() -> str:
    from chalicelib.services.webhook_delivery import MAX_ATTEMPTS, RETRY_DELAYS

    rows = [
        "| attempt | waits before it (+/-20%) | after the first (about) | local stage (x0.05) |",
        "|---|---|---|---|",
    ]
    rows.append("| 1 | - | 0 | 0 |")
    total = 0.0
    for attempt in range(2, MAX_ATTEMPTS + 1):
        wait = RETRY_DELAYS[attempt - 2]
        total += wait
        rows.append(f"| {attempt} | {_duration(wait)} | {_duration(total)} | {_duration(total * 0.05)} |")
    return "\n".join(rows)


HEAD = """# Webhooks

<!-- Generated by `make webhooks-doc` (tools/webhooks_doc.py) from the code: do not edit. -->

A webhook sends a workspace's events to your HTTPS endpoint as they happen. Admins and
owners manage them (`webhooks:read` / `webhooks:write` on an API token, whose user must
be an admin or owner); the Free plan allows 10 per workspace (403 `E_PLAN_LIMIT`
beyond), other plans are unlimited.

| Method | Endpoint | |
|---|---|---|
| GET | /v1/workspaces/:wId/webhooks | list (cursor, limit) |
| POST | /v1/workspaces/:wId/webhooks | create: `name`, `url`, `events[]`, `secret?`; 201 with the secret, shown this once |
| GET | /v1/webhooks/:id | read (never the secret) |
| PATCH | /v1/webhooks/:id | `name`, `url`, `events`, `status` (`active` or `paused`; `active` re-enables a disabled one) |
| DELETE | /v1/webhooks/:id | delete |
| POST | /v1/webhooks/:id/rotate-secret | a new secret, shown once; the old one keeps signing for 24 h |
| POST | /v1/webhooks/:id/test | send a `ping` now; answers the attempt (status, responseStatus, latencyMs) |
| GET | /v1/webhooks/:id/deliveries | every attempt, newest first, kept 30 days (cursor, limit) |
| POST | /v1/webhooks/:id/deliveries/:deliveryId/redeliver | queue that delivery's event again (202) |

A URL must be `https` (the local stage also takes `http` to loopback). Outside the local
stage a URL whose host resolves to a private, loopback, link-local, multicast, reserved
or IPv4-mapped address (169.254.169.254 and fd00:ec2::254 included) is refused when it is
set (400 naming `url`) and again at every delivery, which connects to the address it
checked (requests-hardened: no DNS rebinding window). Redirects are never followed.

## Deliveries

Each delivery is a `POST` with `Content-Type: application/json` and the envelope
`{"id", "type", "workspaceId", "createdAt", "data"}`. `id` (`evt_...`) is the event's:
the same on every retry and redelivery, so it is your idempotency key.

| Header | Value |
|---|---|
| X-Disqua-Event | the event type, e.g. `message.created` |
| X-Disqua-Delivery | the event id (`evt_...`), the same on every retry |
| X-Disqua-Timestamp | Unix seconds when this attempt was sent |
| X-Disqua-Signature-256 | `sha256=<hex HMAC-SHA256(secret, "<X-Disqua-Timestamp>.<raw body>")>`, keyed with the whole secret string (`whsec_...`) as UTF-8 |
| User-Agent | `Disqua-Webhook/1.0` |
| webhook-id | the event id (Standard Webhooks) |
| webhook-timestamp | the same Unix seconds |
| webhook-signature | `v1,<base64 HMAC-SHA256(base64-decoded secret after whsec_, "<id>.<timestamp>.<raw body>")>` (Standard Webhooks) |

For 24 h after `rotate-secret` both secrets sign: `sha256=<new>,sha256=<old>` and
`v1,<new> v1,<old>`. Accept a delivery if any signature matches.

Secrets are never stored in clear (they cannot be hashed: every delivery is signed with
them): AES-256-GCM under a key derived (HKDF-SHA256) from the app's active signing key,
whose id is stored alongside; a secret sealed under an older signing key is sealed again
under the active one at its next use, so rotating the signing keys keeps webhooks working.

Verify before trusting the payload, with a constant-time comparison, and reject a
timestamp more than 5 minutes away from your clock (replays). The README has a 15-line
Python receiver; any Standard Webhooks library also works
(`standardwebhooks.Webhook(secret).verify(body, headers)`).

## Retries

A 2xx answer within 10 s is a success. Anything else (another status, a timeout, a
refused connection, a redirect) is retried on this schedule, with +/-20% jitter:

"""  # noqa: E501 (markdown tables)

TAIL = """

After the last attempt fails the delivery goes to the webhooks dead-letter queue (an
alarm watches it) and its log entry says `failed`. Every attempt is in
`GET /v1/webhooks/:id/deliveries`: `{id, eventId, eventType, attempt, status
(succeeded | failed | pending: this attempt failed, the next is at nextAttemptAt),
responseStatus, responseBody (first 2 KB), latencyMs, error, createdAt, nextAttemptAt}`.

- **410 Gone** disables the webhook (`status: disabled`, `disabledReason`) with no
  further attempts; `PATCH {"status": "active"}` turns it back on.
- **Paused** (or disabled) webhooks get nothing, and pending retries are dropped:
  resuming starts with the next event, without a backlog.
- How it runs: the webhooks worker takes each event from its queue once, and fans it
  out into one delivery task per subscribed active webhook, sent back to the same queue;
  each task is one attempt, and the tasks of a batch run concurrently (a slow endpoint
  holds up nobody else). A failed attempt queues the next one as a new task. Waits
  longer than 15 minutes (SQS's maximum delay) hop through the queue until their
  time. Each attempt is claimed per (event, webhook, attempt): SQS delivering a message
  twice never sends twice.
- **Local stage**: `WEBHOOK_RETRY_SCALE` (default 0.05 in the local stage, 1 elsewhere)
  multiplies every wait, so the second attempt comes about 3 s after the first. `0`
  retries at once.

## Event catalog

`member.*` events without a `channelId` are about the workspace; with one, about a
channel (those carry `addedBy` / `removedBy`). Message events carry the text as
written (`content`, markdown); `contentOmitted: true` replaces it when the event would
exceed 240 KB (read the message through the API).

Events of **private channels** (their messages, reactions, creation, changes and
membership) are not delivered: a webhook is workspace-wide, and a private channel is
visible to its members only (admins included only when they are in it).

"""


def render() -> str:
    from chalicelib.services.webhook_catalog import EVENT_TYPES

    parts = [HEAD, _schedule(), TAIL]
    parts.append("| type | when |\n|---|---|\n")
    parts.append("\n".join(f"| `{kind}` | {text} |" for kind, text in EVENT_TYPES.items()))
    parts.append("\n")
    for kind, envelope in examples().items():
        body = json.dumps(envelope, indent=2, ensure_ascii=False)
        parts.append(f"\n### {kind}\n\n{EVENT_TYPES[kind]}\n\n```json\n{body}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render())
