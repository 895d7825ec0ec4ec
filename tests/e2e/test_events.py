"""Events keep flowing through the stream and the queues in the local runtime."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.harness import Devserver, wait_for_email, wait_for_verification_link

pytestmark = pytest.mark.e2e


def _register(server: Devserver, email: str, username: str) -> requests.Response:
    return requests.post(
        f"{server.base_url}/v1/auth/register",
        json={"email": email, "password": "correct horse battery staple", "username": username, "displayName": "J"},
        timeout=10,
    )


def test_mail_still_flows_after_a_cancelled_transaction(server: Devserver) -> None:
    """A second sign-up with a taken email cancels its transaction; the owner gets a
    notice, and the stream (which moto would otherwise swap out) still delivers."""
    suffix = uuid.uuid4().hex[:8]
    first = f"owner.{suffix}@example.com"
    assert _register(server, first, f"owner{suffix}").status_code == 201
    wait_for_verification_link(server.outbox, first)

    again = _register(server, first, f"other{suffix}")
    assert again.status_code == 201  # the caller learns nothing
    notice = wait_for_email(server.outbox, first, subject="Someone tried to sign up with your email address")
    assert "already has one" in notice.get_content()

    later = f"later.{suffix}@example.com"
    assert _register(server, later, f"later{suffix}").status_code == 201
    wait_for_verification_link(server.outbox, later)
