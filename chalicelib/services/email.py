"""Outgoing email: composed here, sent through SES in AWS or written as .eml files
under var/outbox/ in the local stage (so sign-up works with no mail server).

Every mail has a kind, and one recipient gets at most ``MAX_PER_RECIPIENT`` mails of
a kind an hour, whoever asks: registering someone else's address over and over, or
inviting it again and again, cannot flood its inbox. A mail over the limit is
dropped here, with a metric (``EmailThrottled``) and a log line; the HTTP request
that caused it has long been answered and learns nothing (no enumeration, no
amplification). The counter is one conditional UpdateItem per mail.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from chalicelib.config import get_settings
from chalicelib.ids import new_id
from chalicelib.observability import count, logger
from chalicelib.store import throttle

WINDOW_SECONDS = 3600
# Per recipient, per kind, per hour.
MAX_PER_RECIPIENT = {"verification": 3, "registration-notice": 3, "invite": 3}


def compose(to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = get_settings().email_sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="disqua.local")
    message.set_content(text)
    return message


def send(kind: str, message: EmailMessage) -> bool:
    """Send ``message`` unless its recipient already had their share of ``kind``
    this hour; returns whether it went out."""
    recipient = str(message["To"])
    limit = throttle.Limit(throttle.Counter(f"mail-{kind}", recipient, WINDOW_SECONDS), MAX_PER_RECIPIENT[kind])
    try:
        throttle.take([limit])
    except throttle.Exceeded:
        count("EmailThrottled")
        # The address stays out of the logs; its counter key is a hash of it.
        logger().warning(
            "email dropped: too many to one recipient",
            extra={"kind": kind, "limit": limit.max, "windowSeconds": WINDOW_SECONDS},
        )
        return False
    _deliver(message)
    return True


def _deliver(message: EmailMessage) -> None:
    settings = get_settings()
    if settings.email_transport == "outbox":
        _write_to_outbox(message, Path(settings.outbox_dir))
    else:
        from chalicelib.aws import client

        client("sesv2").send_email(
            FromEmailAddress=settings.email_sender,
            Destination={"ToAddresses": [str(message["To"])]},
            Content={"Raw": {"Data": message.as_bytes()}},
        )


def _write_to_outbox(message: EmailMessage, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{new_id()}.eml"
    partial = path.with_suffix(".part")
    partial.write_bytes(message.as_bytes())
    partial.replace(path)  # atomic: a reader never sees half a message
    # Local stage only: the link is the point of the outbox, so it is logged.
    links = re.findall(r"https?://\S+", message.get_content())
    logger().info("email written to outbox", extra={"path": str(path), "subject": message["Subject"], "links": links})
