"""Helpers for API tests: JSON calls through chalice.test.Client, and ready users."""

from __future__ import annotations

import email
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.config import get_settings


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def data(self) -> Any:
        assert self.body.get("ok") is True, self.body
        return self.body["data"]

    @property
    def error(self) -> dict[str, Any]:
        assert self.body.get("ok") is False, self.body
        return self.body["error"]


class Api:
    def __init__(self, client: Any):
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: str | bytes | None = None,
    ) -> Answer:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(path, headers=sent, body=payload)
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        return Answer(response.status_code, json.loads(text) if text else None, dict(response.headers))

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Answer:
        return self.call("DELETE", path, **kw)


@dataclass
class Account:
    user_id: str
    email: str
    password: str
    username: str
    access_token: str
    refresh_token: str


def outbox_messages() -> list[email.message.Message]:
    folder = Path(get_settings().outbox_dir)
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def verification_token(to: str) -> str:
    for message in reversed(outbox_messages()):
        if message["To"] == to and "Verify" in message["Subject"]:
            body = message.get_payload(decode=True).decode()
            return re.search(r"token=([\w-]+)", body).group(1)
    raise AssertionError(f"no verification email to {to}")


def register(api: Api, name: str, *, verified: bool = True, password: str = "correct horse battery") -> Account:
    from chalicelib.services import accounts

    address = f"{name}@example.com"
    created = api.post(
        "/v1/auth/register", {"email": address, "password": password, "username": name, "displayName": name.title()}
    )
    assert created.status == 201, created.body
    user_id = created.data["userId"]
    if verified:
        accounts.send_verification(user_id)  # what the email worker does on user.registered
        assert api.post("/v1/auth/verify", {"token": verification_token(address)}).status == 200
    tokens = api.post("/v1/auth/login", {"email": address, "password": password}).data
    return Account(user_id, address, password, name, tokens["accessToken"], tokens["refreshToken"])


def create_workspace(api: Api, owner: Account, name: str = "Acme") -> dict[str, Any]:
    answer = api.post("/v1/workspaces", {"name": name}, token=owner.access_token)
    assert answer.status == 201, answer.body
    return answer.data


def join_workspace(workspace: dict[str, Any], account: Account, role: str = "member") -> None:
    """Membership and #general straight through the store, in the same transaction
    accepting an invite writes (the invite flow itself is tested in test_invites.py).
    Owners are made with PATCH .../members/{id}: the owner count moves with that role."""
    from chalicelib.ids import now_iso
    from chalicelib.store import channels as channel_store
    from chalicelib.store import workspaces as workspace_store
    from chalicelib.store.models import Channel
    from chalicelib.store.outbox import new_event

    assert role in ("member", "admin")
    joined_at = now_iso()
    general = channel_store.get(workspace["generalChannelId"])
    workspace_store.join(
        workspace_store.new_membership(workspace["id"], account.user_id, role, joined_at),
        [(general, [Channel.member_count.add(1)], Channel.PK.exists())],
        [channel_store.new_member(general, account.user_id, "member", joined_at)],
        new_event(
            "member.joined", {"workspaceId": workspace["id"], "userId": account.user_id}, workspace_id=workspace["id"]
        ),
    )
