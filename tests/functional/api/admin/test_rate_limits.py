"""Admin v2 rate-limit answers: 429 in the Admin error shape, with Retry-After and X-RateLimit-*."""

from __future__ import annotations

HOUR = 3600


def test_admin_v2_answers_429_in_its_error_shape(console, set_limits):
    set_limits(read=(1, HOUR))
    assert console.call("GET", "/api/v2/roles").status == 200
    refused = console.call("GET", "/api/v2/roles")
    assert refused.status == 429
    assert (refused.body["status"], refused.body["code"], refused.body["type"]) == ("error", 429, "E_RATE_LIMIT")
    headers = {k.lower(): v for k, v in refused.headers.items()}
    assert int(headers["retry-after"]) > 0 and headers["x-ratelimit-limit"] == "1"
