"""What answers before and around the routes: the gateway's 404, 405, bad JSON."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.harness import Devserver

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/v1/nothing-here", {}),
        ("POST", "/v2/users/me", {}),
        ("GET", "/", {}),
        # chalice.local answers these with a different 403 when a token is sent.
        ("GET", "/v1/nothing-here", {"Authorization": "Bearer dqa_whatever"}),
    ],
)
def test_unknown_path_is_a_404_envelope(server: Devserver, method: str, path: str, headers: dict[str, str]) -> None:
    response = requests.request(method, server.base_url + path, headers=headers, timeout=10)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["ok"] is False
    assert body["error"]["code"] == "E_NOT_FOUND"
    assert body["error"]["requestId"].startswith("req_")
    assert response.headers["X-Request-Id"] == body["error"]["requestId"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_wrong_method_is_a_405_envelope(server: Devserver) -> None:
    response = requests.delete(f"{server.base_url}/v1/workspaces", timeout=10)

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "E_METHOD_NOT_ALLOWED"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert response.headers["X-Request-Id"] == response.json()["error"]["requestId"]


def test_malformed_json_is_a_400_validation_error(server: Devserver) -> None:
    response = requests.post(
        f"{server.base_url}/v1/auth/login",
        data=b'{"email": "jane@example.com", "password": ',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "E_VALIDATION"
    assert error["field"] == "body"
