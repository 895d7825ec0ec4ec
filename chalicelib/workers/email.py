"""The email worker: turns account events into mail."""

from __future__ import annotations

from typing import Any

from chalicelib.services import accounts

CONSUMER = "email"


def handle(event: dict[str, Any]) -> None:
    user_id = event["data"]["userId"]
    if event["type"] in ("user.registered", "user.verification_requested"):
        accounts.send_verification(user_id)
    elif event["type"] == "user.registration_attempted":
        accounts.send_registration_notice(user_id)
