"""The Disqus 3.0 surface: what posting and listing posts cost (issue 12's budgets).

- ``posts/list`` (and ``threads/listPostsThreaded``) first page, for a thread of 100 and one of
  100,000 posts: the same calls and read units (x1.00: both pages read 26 posts of one size).
- ``posts/create``: calls and write units (the post, its four index entries, the thread's
  count in the same transaction).
- ``threads/details`` by identifier and by id: calls.

Measured through the Chalice test client in moto, with bench/recorder.py counting every
DynamoDB call and computing capacity from item sizes (bench/capacity.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.recorder import ApiCall, CallCosts, Recorder
from bench.table import INFO, heading, render, verdict

SMALL, LARGE, QUICK_LARGE = 100, 100_000, 10_000
SEED_TEXT = "a seeded comment"
LIMIT = 25


@dataclass(frozen=True)
class Budget:
    calls: int
    wcu: float | None = None


# Where the write units go (bench/capacity.py: transactional writes cost double, index
# writes do not). A post is one item of ~1.1 KB with five index entries (GSI1 forum, GSI2
# id, GSI3/GSI4 threaded order, GSI5 author): 4 + 5 x 2; its number's guard 2; the
# thread's count: 2 + its GSI1 entry 1 (rounded up: 18). A vote: the vote item 2, and the
# post's likes rewrite its item and its four ALL-projected entries (4 + 4 x 2): page reads
# stay one Query, votes pay for it.
BUDGETS = {
    "POST posts/create.json (top level)": Budget(5, 18.0),
    "POST posts/create.json (an answer)": Budget(5, 18.0),
    "GET threads/details.json?thread=ident:...": Budget(3),
    "GET threads/details.json?thread=<id>": Budget(2),
    "POST posts/vote.json": Budget(5, 14.0),
}


@dataclass(frozen=True)
class Row(CallCosts):
    case: str
    status: int
    calls: list[ApiCall]

    @property
    def result(self) -> str:
        budget = BUDGETS.get(self.case)
        if self.status != 200:
            return f"FAIL (HTTP {self.status})"
        if budget is None:
            return INFO
        ok = len(self.calls) <= budget.calls and (budget.wcu is None or self.capacity.write <= budget.wcu)
        return verdict(ok)


def _seed_posts(thread: Any, count: int, author_id: str) -> None:
    """``count`` posts, every fourth one answering the top-level post before it (so the
    threaded order has depth), written as posts/create writes them (without the count)."""
    from bench import seed
    from chalicelib.ids import new_id, now_iso
    from chalicelib.render.markdown import render as render_markdown
    from chalicelib.store import messages as message_store
    from chalicelib.store import posts as post_store
    from chalicelib.store.models import Entity

    html = render_markdown(SEED_TEXT).html

    def items() -> Iterable[Entity]:
        top = None
        for n in range(count):
            message = message_store.new_message(
                new_id(),
                thread,
                parent_id=None,
                author_id=author_id,
                content=SEED_TEXT,
                content_html=html,
                mentions=[],
                special_mentions=[],
                created_at=now_iso(),
            )
            parent = top if n % 4 == 3 else None
            post = post_store.make_post(
                message, parent=parent, state="approved", facts={6}, author_user_id=author_id, category=None
            )
            if parent is None:
                top = post
            yield post

    seed.write_items(items())


def measure(quick: bool) -> tuple[list[Row], list[tuple[str, Row, Row]], float, int]:
    from chalice.test import Client

    from app import app
    from bench import ROOT
    from bench.endpoints import _verified_user, backend
    from chalicelib.services import authn
    from chalicelib.store import channels as channel_store

    large = QUICK_LARGE if quick else LARGE
    recorder = Recorder()
    rows: list[Row] = []
    with backend(), Client(app, project_dir=str(ROOT)) as client:
        jwt = _verified_user("comments@example.com", "commenter")
        auth = {"Authorization": f"Bearer {jwt}"}

        def call(method: str, path: str, args: dict[str, Any]) -> tuple[int, dict[str, Any], list[ApiCall]]:
            import json

            with recorder.recording() as calls:
                if method == "GET":
                    response = client.http.get(f"/api/3.0/{path}?{urlencode(args, doseq=True)}", headers=auth)
                else:
                    headers = {**auth, "Content-Type": "application/x-www-form-urlencoded"}
                    response = client.http.post(f"/api/3.0/{path}", headers=headers, body=urlencode(args))
            return response.status_code, json.loads(response.body), list(calls)

        made = client.http.post(
            "/v1/workspaces",
            headers={**auth, "Content-Type": "application/json"},
            body='{"name": "Bench comments", "slug": "bench-comments"}',
        )
        assert made.status_code == 201, made.body
        threads = {}
        for name in ("small", "large", "measured"):
            status, answer, _ = call(
                "POST", "threads/create.json", {"forum": "bench-comments", "title": name, "identifier": name}
            )
            assert status == 200, answer
            threads[name] = answer["response"]["id"]
        user_id = authn.authenticate(f"Bearer {jwt}").user_id
        started = time.perf_counter()
        _seed_posts(channel_store.get(threads["small"]), SMALL, user_id)
        _seed_posts(channel_store.get(threads["large"]), large, user_id)
        seeded = time.perf_counter() - started
        recorder.install()
        try:
            status, answer, calls = call("POST", "posts/create.json", {"thread": threads["measured"], "message": "Hi"})
            rows.append(Row("POST posts/create.json (top level)", status, calls))
            top = answer["response"]["id"]
            status, _, calls = call("POST", "posts/create.json", {"parent": top, "message": "An answer"})
            rows.append(Row("POST posts/create.json (an answer)", status, calls))
            status, _, calls = call("POST", "posts/vote.json", {"post": top, "vote": "1"})
            rows.append(Row("POST posts/vote.json", status, calls))
            ident = {"forum": "bench-comments", "thread": "ident:measured"}
            status, _, calls = call("GET", "threads/details.json", ident)
            rows.append(Row("GET threads/details.json?thread=ident:...", status, calls))
            status, _, calls = call("GET", "threads/details.json", {"thread": threads["measured"]})
            rows.append(Row("GET threads/details.json?thread=<id>", status, calls))
            pairs = []
            for path, extra in (("posts/list.json", {}), ("threads/listPostsThreaded.json", {})):
                measured = []
                for name in ("small", "large"):
                    status, answer, calls = call("GET", path, {"thread": threads[name], "limit": LIMIT, **extra})
                    assert len(answer.get("response", [])) == LIMIT, answer
                    measured.append(Row(f"GET {path} ({name})", status, calls))
                pairs.append((f"GET {path}?thread=<id>&limit={LIMIT}, first page", measured[0], measured[1]))
        finally:
            recorder.uninstall()
    return rows, pairs, seeded, large


def section(quick: bool = False) -> list[tuple[str, str]]:
    rows, pairs, seeded, large = measure(quick)
    print(heading("Disqus 3.0: posting and listing posts"))
    table = [
        [
            r.case,
            len(r.calls),
            r.operations,
            f"{r.capacity.read:g}",
            f"{r.capacity.write:g}",
            _budget(r.case),
            r.result,
        ]
        for r in rows
    ]
    print(render(["Request", "Calls", "Operations", "RCU", "WCU", "Budget", "Result"], table, right=(1, 3, 4)))
    checks = [(r.case, r.result) for r in rows]
    print(f"\nFirst page vs thread size ({SMALL} vs {large:,} posts; seeding took {seeded:.0f} s in moto)")
    compared = []
    for label, small, big in pairs:
        ratio = big.capacity.read / small.capacity.read if small.capacity.read else float("inf")
        ok = small.status == big.status == 200 and len(small.calls) == len(big.calls) and ratio <= 1.0
        result = verdict(ok)
        compared.append(
            [
                label,
                len(small.calls),
                len(big.calls),
                f"{small.capacity.read:g}",
                f"{big.capacity.read:g}",
                f"x{ratio:.2f}",
                "same calls, RCU x1.00",
                result,
            ]
        )
        checks.append((label, result))
    headers = [
        "Request",
        f"Calls ({SMALL})",
        f"Calls ({large:,})",
        f"RCU ({SMALL})",
        f"RCU ({large:,})",
        "Ratio",
        "Budget",
        "Result",
    ]
    print(render(headers, compared, right=(1, 2, 3, 4, 5)))
    return checks


def _budget(case: str) -> str:
    budget = BUDGETS.get(case)
    if budget is None:
        return INFO
    return f"calls <= {budget.calls}" + (f", WCU <= {budget.wcu:g}" if budget.wcu is not None else "")
