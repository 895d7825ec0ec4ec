"""The email worker: turns account events into mail.

Each mail is sent through ``services.email.send`` with its kind, which caps what one
recipient gets (3 of a kind an hour) and drops the rest: the event still counts as
handled, so a dropped mail is never retried."""

from __future__ import annotations

from typing import Any

from chalicelib.services import accounts, invites

CONSUMER = "email"


def handle(event: dict[str, Any]) -> None:
    data = event["data"]
    if event["type"] in ("user.registered", "user.verification_requested"):
        accounts.send_verification(data["userId"])
    elif event["type"] == "user.registration_attempted":
        accounts.send_registration_notice(data["userId"])
    elif event["type"] == "invite.created" and data.get("email"):
        invites.send_email_invite(data["inviteId"])
