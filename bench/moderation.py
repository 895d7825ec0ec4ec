"""The moderation engine (chalicelib/services/moderation.py): what a send costs with 1,000 rules.

- ``POST /v1/channels/{id}/messages`` in a workspace without records and in one with 1,000
  blacklist records (500 exact words, 500 regexes) on a warm function: the same DynamoDB
  calls (the rule set is cached per process for CACHE_TTL_SECONDS). Also shown: the send on
  a cold cache (one Query more) and a refused send (400 E_MODERATION_BLOCKED).
- CPU time of one check of a message against the 1,000 compiled rules (``time.process_time``,
  one core of this machine), for a 200-character and a 40,000-character message, and what
  compiling the 1,000 records costs once per version per process.

Measured through the Chalice test client in moto, bench/recorder.py counting every DynamoDB
call and computing capacity from item sizes (bench/capacity.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from bench.recorder import ApiCall, CallCosts, Recorder
from bench.table import INFO, heading, render, verdict

RULES = 1000
SHORT = ("Hello team, the release notes are ready for review; ship it after lunch. " * 3)[:200]
LONG = ("Hello team, the release notes are ready for review; ship it after lunch. " * 560)[:40_000]
CHECK_BUDGET_MS = 1.0  # CPU per check of the short message with 1,000 rules


@dataclass(frozen=True)
class Row(CallCosts):
    case: str
    status: int
    calls: list[ApiCall]


@dataclass(frozen=True)
class Figures:
    rows: list[Row]
    short_ms: float
    long_ms: float
    compile_ms: float


def _patterns() -> list[tuple[str, bool]]:
    words = [(f"badword{i:03d}", True) for i in range(RULES // 2)]
    regexes = [(rf"sp[a4]m{i:03d}\w*", False) for i in range(RULES - RULES // 2)]
    return words + regexes


def _cpu_ms(action, runs: int) -> float:
    started = time.process_time()
    for _ in range(runs):
        action()
    return (time.process_time() - started) / runs * 1000


def measure() -> Figures:
    from chalice.test import Client

    from app import app
    from bench import ROOT
    from bench.endpoints import _verified_user, backend
    from chalicelib.services import authn, moderation
    from chalicelib.store import moderation_rules as rule_store

    recorder = Recorder()
    rows: list[Row] = []
    with backend(), Client(app, project_dir=str(ROOT)) as client:
        jwt = _verified_user("moderation@example.com", "moderator")
        headers = {"Authorization": f"Bearer {jwt}", "Content-Type": "application/json"}
        principal = authn.authenticate(f"Bearer {jwt}")

        def workspace(name: str) -> tuple[str, str]:
            made = client.http.post("/v1/workspaces", headers=headers, body=json.dumps({"name": name}))
            assert made.status_code == 201, made.body
            data = json.loads(made.body)["data"]
            return data["id"], data["generalChannelId"]

        def send(channel_id: str, content: str = "A plain message with nothing to moderate.") -> tuple[int, list]:
            with recorder.recording() as calls:
                response = client.http.post(
                    f"/v1/channels/{channel_id}/messages", headers=headers, body=json.dumps({"content": content})
                )
            return response.status_code, list(calls)

        _, plain_channel = workspace("Bench no rules")
        ruled_ws, ruled_channel = workspace("Bench 1000 rules")
        patterns = _patterns()
        for start in range(0, RULES, moderation.MAX_PER_CALL):
            for exact in (True, False):
                chunk = [p for p, e in patterns[start : start + moderation.MAX_PER_CALL] if e == exact]
                if chunk:
                    moderation.create_records(principal, ruled_ws, "blacklist", chunk, exact_word=exact)
        recorder.install()
        try:
            for label, channel in (("no rules", plain_channel), (f"{RULES:,} rules", ruled_channel)):
                send(channel)  # warms the function: the token, the engine's rule set
                status, calls = send(channel)
                rows.append(Row(f"send, {label}, warm", status, calls))
            moderation.invalidate(ruled_ws)
            status, calls = send(ruled_channel)
            rows.append(Row(f"send, {RULES:,} rules, cold cache", status, calls))
            status, calls = send(ruled_channel, "that is badword123, sorry")
            rows.append(Row(f"send refused (a match), {RULES:,} rules, warm", status, calls))
        finally:
            recorder.uninstall()
        rule_set = rule_store.rule_set(ruled_ws)
    compile_ms = _cpu_ms(lambda: moderation.compile_rules(rule_set), 3)
    compiled = moderation.compile_rules(rule_set)
    assert not moderation.verdict_of(compiled, SHORT).blocked
    assert moderation.verdict_of(compiled, SHORT + " SP4M499xyz").matched
    return Figures(
        rows,
        short_ms=_cpu_ms(lambda: moderation.verdict_of(compiled, SHORT), 2000),
        long_ms=_cpu_ms(lambda: moderation.verdict_of(compiled, LONG), 50),
        compile_ms=compile_ms,
    )


def section(quick: bool = False) -> list[tuple[str, str]]:
    from chalicelib.services.moderation import CACHE_TTL_SECONDS

    figures = measure()
    print(heading(f"Moderation engine: a send through {RULES:,} rules"))
    rows = figures.rows
    warm_plain, warm_ruled = rows[0], rows[1]
    same = warm_plain.status == warm_ruled.status == 201 and [c.operation for c in warm_plain.calls] == [
        c.operation for c in warm_ruled.calls
    ]
    table = [
        [
            r.case,
            r.status,
            len(r.calls),
            r.operations,
            f"{r.capacity.read:g}",
            f"{r.capacity.write:g}",
            "calls as with no rules" if r is warm_ruled else INFO,
            verdict(same) if r is warm_ruled else INFO,
        ]
        for r in rows
    ]
    print(render(["Request", "HTTP", "Calls", "Operations", "RCU", "WCU", "Budget", "Result"], table, right=(1, 2)))
    fast = figures.short_ms <= CHECK_BUDGET_MS
    print(
        f"\nCPU per check with {RULES:,} rules (one core here): {figures.short_ms * 1000:.0f} us for "
        f"{len(SHORT)} characters (budget <= {CHECK_BUDGET_MS:g} ms: {verdict(fast)}), "
        f"{figures.long_ms:.2f} ms for {len(LONG):,}.\n"
        f"Compiling the {RULES:,} records: {figures.compile_ms:.0f} ms of CPU, once per rule-set version per "
        f"process; the rule set is cached {CACHE_TTL_SECONDS:g} s, then revalidated by one GetItem of its "
        "version (0.5 RCU; one Query only when it changed). A refused send stops before any write."
    )
    return [
        (f"moderation: a warm send with {RULES:,} rules makes the calls of one with none", verdict(same)),
        (f"moderation: CPU per check <= {CHECK_BUDGET_MS:g} ms ({RULES:,} rules)", verdict(fast)),
    ]
