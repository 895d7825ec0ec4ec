"""Schemathesis against the local runtime over HTTP (tests/e2e/test_fuzz.py, `make fuzz`).

One run per caller kind: a user session (v1, OAuth, Disqus 3.0 with the session's access
token, Admin v2 with an Admin Access Token of the same workspace), then a workspace API
token with every scope (the v1 routes it may call). The fuzzer gets real ids of a workspace,
its channel, a message and a thread (schemathesis dictionaries, drawn with a probability, so
random ids still reach the 404 paths), follows the document's links (create, then use the
id). Hostile strings and deep bodies come from our own strategies (tests/e2e/hostile.py).

Seed, examples per operation, phases and checks are fixed here (PROFILES): CI repeats the
same requests. The `long` profile is `make fuzz`.
"""

from __future__ import annotations

import base64
import collections
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.e2e.accounts import admin_console
from tests.e2e.harness import ROOT, Devserver

DOCUMENT = ROOT / "docs" / "openapi.json"
SEED = 20261202
# Every failure the issue counts: 5xx, undocumented statuses, bodies or content types
# that break the response schema, and schema-valid requests refused (the document must
# state what the validators enforce).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
)
# Where a schema-valid request may rightly be refused with 400: what decides is state or a
# secret the document cannot state (positive_data_acceptance is off there; the other checks
# stay on). Everything else the validators refuse, the document must exclude.
STATE_DEPENDENT = {
    "GET /v1/auth/verify": "the token comes from an email",
    "POST /v1/auth/verify": "the token comes from an email",
    "GET /oauth/authorize": "client_id and redirect_uri must name a registered app",
    "POST /oauth/authorize": "client_id and redirect_uri must name a registered app",
    "POST /v1/notifications/push/subscribe": "keys must be a browser's P-256 key and auth secret",
    "POST /v1/channels/{channelId}/members": "userIds must be members of the workspace",
    "POST /v1/messages/{messageId}/flag": "not your own message",
    "PATCH /v1/messages/{messageId}": "the workspace's moderation rules",
    "POST /v1/channels/{channelId}/messages": "the workspace's moderation rules",
    "POST /v1/files/presign": "workspaceId is required with a user session, not with an API token",
    "POST /v1/notifications/mark-read": "ids or all: true (one of two fields)",
    "GET /v1/workspaces/{workspaceId}/search": "q is a query language (docs/search.md)",
    "POST /v1/channels/{channelId}/pins": "messageId must be a message of the channel",
    "POST /api/v2/channel/{channelId}/users": "userIds must be members of the workspace",
    "POST /api/v2/channel": "userIds must be members of the workspace",
    "POST /api/v2/message": "data is free-form: which of its fields are required depends on type",
    "POST /v1/workspaces/{workspaceId}/public-keys": "domains must be host names",
    "POST /api/v2/users/ban": "userId or userIds (one of two fields)",
    "POST /api/v2/users/unban": "userId or userIds (one of two fields)",
    "POST /api/v2/messages/images": "the file's bytes must be an image",
    "POST /api/v2/whitelist/records": "host names, checked by the moderation service",
    "POST /api/v2/blacklist/records": "patterns, checked by the moderation service",
}
# The Disqus 3.0 surface documents its arguments as Disqus does (untyped strings, their
# rules in words): only 5xx, statuses and response shapes are checked there.
LOOSE_PATHS = r"^/api/3\.0/"


@dataclass(frozen=True)
class Profile:
    examples: int  # per operation and phase
    max_seconds: int  # per run (one run per caller kind): the bound CI relies on
    phases: str
    # Preflights answer 204 to anything: the CI run leaves them out.
    exclude_methods: tuple[str, ...] = ("OPTIONS",)


PROFILES = {
    # 50 s a caller keeps `make test` under its 15 minutes on 2 cores; `make fuzz` is the long run.
    "ci": Profile(examples=3, max_seconds=50, phases="examples,fuzzing,stateful"),
    "long": Profile(examples=60, max_seconds=600, phases="examples,coverage,fuzzing,stateful", exclude_methods=()),
}


@dataclass(frozen=True)
class Caller:
    name: str
    auth: dict[str, dict[str, str]]  # securitySchemes name -> schemathesis auth entry
    include_path_regex: str


@dataclass
class Outcome:
    caller: str
    exit_code: int
    output: str
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def success_share(self) -> float:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300) / max(self.requests, 1)


@dataclass(frozen=True)
class World:
    """What the fuzzer may use: real ids (by path parameter name) and its callers."""

    ids: dict[str, list[str]]
    callers: list[Caller]
    headers: dict[str, dict[str, str]]  # by surface ("v1", "admin"): a user session, an admin token


def prepare(server: Devserver) -> World:
    api = server.base_url
    console = admin_console(server, "fuzzowner", "Fuzz Workspace")
    session = console.owner.headers
    workspace = console.workspace_id
    channels = requests.get(f"{api}/v1/workspaces/{workspace}/channels", headers=session, timeout=10).json()["data"]
    channel = channels[0]["id"]
    posted = requests.post(
        f"{api}/v1/channels/{channel}/messages", json={"content": "hello, fuzzer"}, headers=session, timeout=10
    )
    assert posted.status_code == 201, posted.text
    message = posted.json()["data"]["id"]
    minted = requests.post(
        f"{api}/v1/workspaces/{workspace}/tokens",
        json={"name": "fuzz", "scopes": _all_scopes()},
        headers=session,
        timeout=10,
    )
    assert minted.status_code == 201, minted.text
    api_token = minted.json()["data"]["token"]
    access = session["Authorization"].removeprefix("Bearer ")
    admin = console.headers["Authorization"].removeprefix("Bearer ")
    ids = {
        "workspaceId": [workspace],
        "channelId": [channel],
        "messageId": [message],
        "userId": [console.owner.user_id],
    }
    user = Caller(
        "user session",
        {"bearer": {"bearer": access}, "adminToken": {"bearer": admin}, "access_token": {"api_key": access}},
        r"^/(v1|oauth|\.well-known|api)/",
    )
    token = Caller("API token", {"bearer": {"bearer": api_token}}, r"^/v1/")
    # The token's run first: the session's run may revoke tokens, leave or delete the workspace.
    return World(ids, [token, user], {"v1": session, "admin": console.headers})


def _all_scopes() -> list[str]:
    from chalicelib.auth import scopes

    return list(scopes.ALL)


def config(world: World, caller: Caller, profile: Profile) -> str:
    """schemathesis.toml for one run (TOML is a JSON superset for these values)."""
    lines = [
        f"seed = {SEED}",
        f"max-time = {profile.max_seconds}",
        'suppress-health-check = ["all"]',
        'hooks = "tests.e2e.fuzz_hooks"',
        "[generation]",
        f"max-examples = {profile.examples}",
        "deterministic = true",
        "no-shrink = true",
        "[checks]",
        "enabled = false",
        *(f"{check}.enabled = true" for check in CHECKS),
        "[dictionaries]",
        *(f"{name} = {{ values = {json.dumps(values)} }}" for name, values in world.ids.items()),
        "[parameters]",
        *(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.7 }}' for name in world.ids),
        "[auth.openapi]",
        *(f"{scheme} = {_inline_table(entry)}" for scheme, entry in caller.auth.items()),
        *_lenient_operations(),
    ]
    return "\n".join(lines) + "\n"


def _lenient_operations() -> list[str]:
    lines = ["[[operations]]", f"include-path-regex = {json.dumps(LOOSE_PATHS)}"]
    lines.append("checks.positive_data_acceptance.enabled = false")
    for name in STATE_DEPENDENT:
        lines += ["[[operations]]", f"include-name = {json.dumps(name)}"]
        lines.append("checks.positive_data_acceptance.enabled = false")
    return lines


def _inline_table(entry: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{key} = {json.dumps(value)}" for key, value in entry.items()) + " }"


def run(server: Devserver, world: World, caller: Caller, profile: Profile, workdir: Path) -> Outcome:
    workdir.mkdir(parents=True, exist_ok=True)
    slug = caller.name.replace(" ", "-")
    report = workdir / f"{slug}.ndjson"
    settings = workdir / f"{slug}.toml"
    settings.write_text(config(world, caller, profile))
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(settings),
        "run",
        str(DOCUMENT),
        "--url",
        server.base_url,
        "--phases",
        profile.phases,
        "--include-path-regex",
        caller.include_path_regex,
        "--workers",
        "1",  # two threads race in hypothesis' lambda descriptions (ast.parse)
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--request-timeout",
        "30",
        "--warnings",
        "off",
    ]
    for method in profile.exclude_methods:
        command += ["--exclude-method", method]
    statuses = workdir / f"{slug}.statuses"
    statuses.unlink(missing_ok=True)
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), "FUZZ_STATUS_LOG": str(statuses)}
    done = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=profile.max_seconds + 240, check=False
    )
    outcome = Outcome(caller.name, done.returncode, done.stdout + done.stderr)
    _read_report(report, outcome)
    for line in statuses.read_text().splitlines() if statuses.exists() else []:
        outcome.statuses[int(line.split()[0])] += 1
    return outcome


def _read_report(report: Path, outcome: Outcome) -> None:
    """Each failed check as 'METHOD path: title [status] body'."""
    if not report.exists():
        return
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                if check["status"] == "failure":
                    failure = check["failure_info"]["failure"]
                    outcome.failures.append(f"{failure['operation']}: {failure['title']} {_brief(recorder, case_id)}")


def _brief(recorder: dict, case_id: str) -> str:
    interaction = recorder.get("interactions", {}).get(case_id) or {}
    response = interaction.get("response") or {}
    content = response.get("content") or {}
    body = base64.b64decode(content["$base64"]).decode(errors="replace") if "$base64" in content else ""
    return f"[{response.get('status_code')}] {body[:300]}"


def summary(outcomes: list[Outcome]) -> str:
    lines = []
    for outcome in outcomes:
        lines.append(
            f"{outcome.caller}: {outcome.requests} requests, {outcome.success_share:.0%} 2xx, "
            f"statuses {dict(sorted(outcome.statuses.items()))}, {len(outcome.failures)} failures, "
            f"exit {outcome.exit_code}"
        )
        lines += [f"  {failure}" for failure in sorted(set(outcome.failures))]
    return "\n".join(lines)
