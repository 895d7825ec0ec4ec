"""The public URLs Disqua hands out: in API answers, emails and push notifications.

One module knows their formats (as chalicelib/store/keys.py knows key formats), so services
that mail or push a link and the v1 views that answer one agree, and a new surface or a web
front end changes them in one place. All are absolute, on ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

from chalicelib.config import get_settings


def _base() -> str:
    return get_settings().public_base_url


def verify_email(token: str) -> str:
    return f"{_base()}/v1/auth/verify?token={token}"


def verify_email_endpoint() -> str:
    return "/v1/auth/verify"


def invite(code: str) -> str:
    return f"{_base()}/v1/invites/{code}"


def file_download(file_id: str, size: str | None = None) -> str:
    suffix = f"?size={size}" if size else ""
    return f"{_base()}/v1/files/{file_id}/download{suffix}"


def message(channel_id: str, message_id: str) -> str:
    return f"{_base()}/v1/channels/{channel_id}/messages/{message_id}"


def workspace(workspace_id: str) -> str:
    return f"{_base()}/v1/workspaces/{workspace_id}"


def notifications() -> str:
    return f"{_base()}/v1/notifications"
