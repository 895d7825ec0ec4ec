"""Outgoing email: composed here, sent through SES in AWS or written as .eml files
under var/outbox/ in the local stage (so sign-up works with no mail server)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from chalicelib.config import get_settings
from chalicelib.ids import new_id
from chalicelib.observability import logger


def compose(to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = get_settings().email_sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="disqua.local")
    message.set_content(text)
    return message


def send(message: EmailMessage) -> None:
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
