"""Calling the Disqus 3.0 surface through the Chalice test client, and reading its answers."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client

ORIGIN = {"Origin": "https://example.com"}  # a domain of the forum fixture's public key
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Reply:
    def __init__(self, response: Any):
        self.status = response.status_code
        self.headers = {k.lower(): v for k, v in response.headers.items()}
        self.text = response.body.decode() if isinstance(response.body, bytes) else response.body

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def code(self) -> int:
        return self.json["code"]

    @property
    def response(self) -> Any:
        return self.json["response"]


def call(client: Client, method: str, path: str, query: Any = (), **kw: Any) -> Reply:
    url = f"/api/3.0/{path}" + (f"?{urlencode(query, doseq=True)}" if query else "")
    return Reply(getattr(client.http, method.lower())(url, **kw))


def get(client: Client, path: str, query: Any, **kw: Any) -> Reply:
    return call(client, "GET", path, query, **kw)


def post(client: Client, path: str, form: Any, **kw: Any) -> Reply:
    """A form-encoded POST, as Disqus clients send writes."""
    body = urlencode(form, doseq=True)
    return Reply(client.http.post(f"/api/3.0/{path}", body=body, headers={**FORM, **kw.pop("headers", {})}, **kw))
