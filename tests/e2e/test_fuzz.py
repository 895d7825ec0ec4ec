"""Schemathesis over HTTP against the local runtime, as a user session and as an API token
(tests/e2e/fuzzing.py): no server error, no undocumented status, no response outside its
schema, no schema-valid request refused. `make fuzz` runs the long profile."""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e import fuzzing
from tests.e2e.harness import Devserver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fuzzed(start_devserver: Callable[..., Devserver], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    workdir = tmp_path_factory.mktemp("fuzz")
    server = start_devserver(workdir / "server")
    try:
        world = fuzzing.prepare(server)
        yield server, world, workdir
    finally:
        server.stop()


def test_the_api_keeps_its_document_under_fuzzing(fuzzed: tuple) -> None:
    server, world, workdir = fuzzed
    profile = fuzzing.PROFILES[os.environ.get("FUZZ_PROFILE", "ci")]
    outcomes = [fuzzing.run(server, world, caller, profile, workdir) for caller in world.callers]
    report = fuzzing.summary(outcomes)
    print(report)  # the figures, with -s (make fuzz)
    for outcome in outcomes:
        assert outcome.requests > 0, f"{outcome.caller}: no request made\n{outcome.output[-3000:]}"
        assert not outcome.failures, report
        assert outcome.exit_code == 0, f"{report}\n{outcome.output[-5000:]}"


HOSTILE_EXAMPLES = {"ci": 80, "long": 2000}


def test_hostile_inputs_are_answered_as_documented(fuzzed: tuple) -> None:
    """Lone surrogates, control and bidi characters, huge strings and deep bodies in every
    body field, query argument and path parameter of v1 and Admin v2: never a 5xx, always a
    status and a body the document gives the operation."""
    import json
    from urllib.parse import quote

    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from tests.e2e import hostile

    server, world, _ = fuzzed
    document = json.loads(fuzzing.DOCUMENT.read_text())
    schema = schemathesis.openapi.from_dict(document)
    targets = [
        (path, method, operation)
        for path, operations in sorted(document["paths"].items())
        for method, operation in sorted(operations.items())
        if method != "options" and path.startswith(("/v1/", "/api/admin/"))
    ]
    strings, short = hostile.hostile_strings(), hostile.hostile_strings(huge=False)
    seen: list[int] = []
    operations: dict[tuple[str, str], Any] = {}

    @settings(
        max_examples=HOSTILE_EXAMPLES[os.environ.get("FUZZ_PROFILE", "ci")],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def probe(data: st.DataObject) -> None:
        path, method, operation = data.draw(st.sampled_from(targets), label="operation")
        where = data.draw(st.sampled_from(["body", "deep", "query", "path"]), label="where")
        params = {name: world.ids.get(name, ["x"])[0] for name in hostile.path_params(path)}
        if where == "path" and params:
            # Not empty and without "/": the URL would name another route (/v1/workspaces/ is the list).
            segment = short.filter(lambda value: value.strip() and "/" not in value)
            params[data.draw(st.sampled_from(sorted(params)))] = data.draw(segment)
        url = server.base_url + path.format(
            **{k: quote(v.encode("utf-8", "surrogatepass"), safe="") for k, v in params.items()}
        )
        headers = dict(world.headers["admin" if path.startswith("/api/admin/") else "v1"])
        body: bytes | None = None
        query: dict[str, str] = {}
        if where == "deep":
            body = hostile.deep_json(data.draw(hostile.DEPTHS), data.draw(st.sampled_from(["list", "object"]))).encode()
        elif where == "body":
            content = operation.get("requestBody", {}).get("content", {})
            body_schema = (content.get("application/json") or {}).get("schema", {"type": "object"})
            body = hostile.encode(data.draw(hostile.fill(body_schema, strings)))
        elif where == "query":
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"] or ["q"]
            query = {name: data.draw(short) for name in names}
        if body is not None:
            headers["Content-Type"] = "application/json"
        encoded_query = "&".join(
            f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in query.items()
        )
        response = requests.request(
            method.upper(), url + (f"?{encoded_query}" if query else ""), data=body, headers=headers, timeout=60
        )
        seen.append(response.status_code)
        assert response.status_code < 500, (
            f"{method.upper()} {path} ({where}): {response.status_code} {response.text[:500]}"
        )
        assert str(response.status_code) in operation["responses"], (
            f"{method.upper()} {path} ({where}): undocumented {response.status_code} {response.text[:300]}"
        )
        if (path, method) not in operations:
            operations[path, method] = schema[path][method]
        operations[path, method].validate_response(response)

    probe()
    assert seen and all(status < 500 for status in seen)
    print(f"hostile inputs: {len(seen)} requests, statuses {dict(sorted(collections.Counter(seen).items()))}")
