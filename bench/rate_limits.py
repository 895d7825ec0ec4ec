"""Rate limits: what the limiter adds to a request, in DynamoDB calls and capacity.

The same requests with ``RATE_LIMITS`` off and on (chalicelib/services/rate_limits.py):
a message send (the send class, a DynamoDB counter: one UpdateItem more, at most), a read
(the read class, counted in memory: nothing more), and a send refused past its limit
(the one conditional UpdateItem that fails, nothing else). Through the API in moto, with
bench/recorder.py counting every DynamoDB call.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from bench.recorder import ApiCall, CallCosts, Recorder
from bench.table import heading, render, verdict

SEND = "POST /v1/channels/{id}/messages"
READ = "GET /v1/channels/{id}/messages"
REFUSED = "POST /v1/channels/{id}/messages, refused (429)"
# What the limiter may add: a send's counter (one call, one WCU); a read, nothing.
EXTRA: dict[str, tuple[int, float]] = {SEND: (1, 1.0), READ: (0, 0.0)}
REFUSED_BUDGET = (1, 1.0)  # a refusal: only the failed conditional write


@dataclass(frozen=True)
class Row(CallCosts):
    request: str
    limiter: str  # "off" / "on"
    status: int
    calls: list[ApiCall]


def measure() -> list[Row]:
    from chalice.test import Client

    from app import app
    from bench import ROOT
    from bench.endpoints import _verified_user, backend
    from chalicelib import config
    from chalicelib.services import rate_limits

    rows: list[Row] = []
    recorder = Recorder()
    with backend(), Client(app, project_dir=str(ROOT), stage_name="local") as client:
        jwt = _verified_user("limits@example.com", "limits")
        headers = {"Authorization": f"Bearer {jwt}", "Content-Type": "application/json"}
        created = client.http.post("/v1/workspaces", headers=headers, body=json.dumps({"name": "Limits"}))
        channel = json.loads(created.body)["data"]["generalChannelId"]
        path = f"/v1/channels/{channel}/messages"

        def send() -> Any:
            return client.http.post(path, headers=headers, body=json.dumps({"content": "hello"}))

        recorder.install()
        try:
            for setting, label in (("off", "off"), (json.dumps({"send": [2, 3600]}), "on")):
                os.environ["RATE_LIMITS"] = setting
                config.reset()
                rate_limits.forget_local_counts()
                for request, call in ((SEND, send), (READ, lambda: client.http.get(path, headers=headers))):
                    call()  # warm: caches (the token's, the channel's) as a steady caller has them
                    with recorder.recording() as calls:
                        answer = call()
                    rows.append(Row(request, label, answer.status_code, calls))
            # The send counter is at its limit (2) now: the next send is refused.
            with recorder.recording() as calls:
                answer = send()
            rows.append(Row(REFUSED, "on", answer.status_code, calls))
        finally:
            recorder.uninstall()
            os.environ.pop("RATE_LIMITS", None)
            config.reset()
            rate_limits.forget_local_counts()
    return rows


def checks(rows: list[Row]) -> list[tuple[str, str]]:
    by = {(r.request, r.limiter): r for r in rows}
    found = []
    for request, (calls, wcu) in EXTRA.items():
        off, on = by[(request, "off")], by[(request, "on")]
        added_calls = len(on.calls) - len(off.calls)
        added_wcu = on.capacity.write - off.capacity.write
        ok = on.status == off.status and added_calls <= calls and added_wcu <= wcu
        found.append((f"rate limits: {request} adds <= {calls} call(s), {wcu:g} WCU", verdict(ok)))
    refused = by[(REFUSED, "on")]
    ok = refused.status == 429 and len(refused.calls) <= REFUSED_BUDGET[0]
    found.append((f"rate limits: a refused send costs <= {REFUSED_BUDGET[0]} call", verdict(ok)))
    return found


def section() -> list[tuple[str, str]]:
    print(heading("Rate limits: a send and a read with the limiter off and on"))
    rows = measure()

    def units(value: float) -> str:
        return f"{value:.2f}".rstrip("0").rstrip(".")

    table = [
        [r.request, r.limiter, r.status, len(r.calls), r.operations, units(r.capacity.read), units(r.capacity.write)]
        for r in rows
    ]
    print(render(["Request", "Limiter", "HTTP", "Calls", "Operations", "RCU", "WCU"], table, right=(2, 3, 5, 6)))
    found = checks(rows)
    for label, result in found:
        print(f"{label}   {result}")
    print(
        "Send: its counter is one conditional UpdateItem (ADD count, condition count < limit) on a ~100-byte item:\n"
        "1 WCU, the new count returned with it (X-RateLimit-Remaining). Reads and writes count in the Lambda\n"
        "instance's memory: no call. A refusal is that one failed conditional write (1 WCU on DynamoDB)."
    )
    return found


if __name__ == "__main__":
    from bench import env

    env.apply()
    section()
