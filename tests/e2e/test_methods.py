"""Any HTTP method gets the v1 envelope from the local runtime: a method no route of
the path declares is a 405 with ``Allow`` (HEAD without a body), an unknown path a
404, whatever the method; and keep-alive responses leave without Nagle's delay."""

from __future__ import annotations

import http.client
import statistics
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.harness import Devserver

pytestmark = pytest.mark.e2e


def _request(server: Devserver, method: str, path: str) -> http.client.HTTPResponse:
    """A raw request: requests would not send CONNECT with a path, nor PROPFIND as is."""
    address = urlsplit(server.base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "FOO", "PROPFIND", "HEAD"])
def test_method_no_route_declares_is_a_405_envelope(server: Devserver, method: str) -> None:
    response = requests.request(method, f"{server.base_url}/v1/workspaces", timeout=10)

    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}  # not the fallback's methods
    request_id = response.headers["X-Request-Id"]
    assert request_id.startswith("req_")
    if method == "HEAD":
        assert response.content == b""
        assert int(response.headers["Content-Length"]) > 0  # what a body would have been
        return
    error = response.json()["error"]
    assert error == {"code": "E_METHOD_NOT_ALLOWED", "message": "Allowed methods: GET, POST.", "requestId": request_id}


def test_405_lists_the_methods_of_the_path(server: Devserver) -> None:
    response = requests.request(
        "TRACE", f"{server.base_url}/v1/messages/01a2b3c4-0000-7000-8000-000000000000", timeout=10
    )

    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE"}


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO"])
def test_unknown_path_is_a_404_envelope_whatever_the_method(server: Devserver, method: str) -> None:
    response = requests.request(method, f"{server.base_url}/v1/nothing-here", timeout=10)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "E_NOT_FOUND"
    assert response.headers["X-Request-Id"] == response.json()["error"]["requestId"]


def test_connect_with_a_path_is_answered_not_dropped(server: Devserver) -> None:
    response = _request(server, "CONNECT", "/v1/workspaces")

    assert response.status == 405
    assert response.getheader("Content-Type") == "application/json"


def test_options_is_still_the_cors_preflight(server: Devserver) -> None:
    response = requests.options(f"{server.base_url}/v1/workspaces", timeout=10)

    assert response.status_code == 200


def test_keep_alive_responses_are_not_delayed(server: Devserver) -> None:
    """http.server writes headers and body apart; with Nagle's algorithm the body
    waited for the client's delayed ACK: 40 ms or more on every keep-alive response."""
    http = requests.Session()
    http.get(f"{server.base_url}/v1/nothing-here", timeout=10)  # the connection
    times = []
    for _ in range(15):
        started = time.perf_counter()
        assert http.get(f"{server.base_url}/v1/nothing-here", timeout=10).status_code == 404
        times.append(time.perf_counter() - started)

    assert statistics.median(times) < 0.035, f"median {statistics.median(times) * 1000:.0f} ms"
