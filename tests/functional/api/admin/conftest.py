"""Admin v2 test fixtures: a workspace with its owner, an admin, two members, an Admin Access
Token, and ``admin_call``: a request to /api/v2 with a body form-encoded or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.helpers import Account, Api, create_workspace, join_workspace, register


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


def form_pairs(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The family's form shapes: arrays as repeated keys, objects in bracket form."""
    pairs: list[tuple[str, str]] = []
    for name, value in body.items():
        if isinstance(value, list):
            pairs += [(name, str(v)) for v in value]
        elif isinstance(value, dict):
            pairs += [(f"{name}[{k}]", str(v)) for k, v in value.items()]
        else:
            pairs.append((name, str(value)))
    return pairs


def send(
    api: Api,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    token: str | None,
    encoding: str = "json",
    raw: str | None = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if raw is not None:
        payload = raw
    elif body is None:
        payload = None
    elif encoding == "form":
        payload = urlencode(form_pairs(body))
    else:
        payload = json.dumps(body)
    headers["Content-Type"] = content_type or (
        "application/x-www-form-urlencoded" if encoding == "form" else "application/json"
    )
    response = getattr(api.client.http, method.lower())(path, headers=headers, body=payload)
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    return Reply(response.status_code, json.loads(text) if text else None, dict(response.headers))


@dataclass
class Console:
    api: Api
    ws: dict[str, Any]
    owner: Account
    admin: Account
    alice: Account
    bob: Account
    token: str  # the owner's Admin Access Token
    encoding: str = "json"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, **kw: Any) -> Reply:
        kw.setdefault("token", self.token)
        kw.setdefault("encoding", self.encoding)
        return send(self.api, method, path, body, **kw)

    def mint(self, account: Account, scopes: list[str]) -> str:
        answer = self.api.post(
            f"/v1/workspaces/{self.ws['id']}/tokens", {"name": "console", "scopes": scopes}, token=account.access_token
        )
        assert answer.status == 201, answer.body
        return answer.data["token"]


@pytest.fixture(params=["form", "json"])
def console(api, request) -> Console:
    owner = register(api, "olive")
    ws = create_workspace(api, owner, "Acme")
    admin, alice, bob = register(api, "adam"), register(api, "alice"), register(api, "bob")
    join_workspace(ws, admin, role="admin")
    join_workspace(ws, alice)
    join_workspace(ws, bob)
    made = Console(api, ws, owner, admin, alice, bob, token="", encoding=request.param)
    made.token = made.mint(owner, ["admin"])
    return made
