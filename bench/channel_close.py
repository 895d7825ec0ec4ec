"""The channel close job (chalicelib/services/channel_close.py): closing a large channel.

A channel seeded with N top-level messages (bench/seed.py) and two members is closed (the
store's transaction, as the route makes it), then the job runs step after step in-process, as
the ``closes`` queue would deliver them (one invocation per step; the SendMessage of the next
step is counted, not sent). Reported: invocations, DynamoDB calls, RCU and WCU (computed from
item sizes, bench/capacity.py) and the wall time here (moto in-process: not Lambda's).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.table import heading, render, verdict

# The 10,000, measured (about 2.5 minutes in moto here; --quick: 1,000, with 10,000
# extrapolated from it).
MESSAGES = 10_000
QUICK_MESSAGES = 1_000
TARGET = 10_000
MEMBERS = 2  # the channel's members: items of the first batch too
BATCH = 100  # services/channel_close.BATCH (not imported here: bench/__main__ imports this first)


@dataclass(frozen=True)
class Figures:
    messages: int
    invocations: int
    calls: int
    queries: int
    rcu: float
    wcu: float
    seconds: float
    left: int
    counted: int


def measure(count: int) -> Figures:
    from bench import seed
    from bench.endpoints import backend
    from bench.recorder import Recorder, total_capacity
    from chalicelib.ids import new_id, now_iso
    from chalicelib.services import channel_close
    from chalicelib.store import channel_close as close_store
    from chalicelib.store import keys

    with backend():
        owner, member, workspace_id = new_id(), new_id(), new_id()
        seed.workspace(workspace_id, owner, [member])
        (channel,) = seed.channels(workspace_id, 1, created_by=owner, members=[owner, member], name_format="big-{:d}")
        seed.messages(channel, count, author_id=member, content="A message of an ordinary length, to be deleted.")
        at = now_iso()
        close_store.close(channel, owner, at, channel_close.close_event(channel, owner, at))
        queued: list[int] = []
        original = channel_close._queue_step
        channel_close._queue_step = lambda _channel_id, step: queued.append(step)
        recorder = Recorder()
        recorder.install()
        started = time.perf_counter()
        invocations = 0
        try:
            with recorder.recording() as calls:
                step = 0
                while True:
                    invocations += 1
                    if not channel_close.run_step(channel.id, step):
                        break
                    step = queued[-1]
            seconds = time.perf_counter() - started
        finally:
            recorder.uninstall()
            channel_close._queue_step = original
        capacity = total_capacity(calls)
        left = len(close_store.channel_items(channel.id, None, 1000))
        record = close_store.progress(channel.id)
        assert record is not None and record.done and keys.CHANNEL_CLOSE
        return Figures(
            messages=count,
            invocations=invocations,
            calls=len(calls) + len(queued),  # each step's SendMessage
            queries=sum(1 for c in calls if c.operation == "Query"),
            rcu=capacity.read,
            wcu=capacity.write,
            seconds=seconds,
            left=left,
            counted=int(record.messages_deleted),
        )


def section(quick: bool = False) -> list[tuple[str, str]]:
    figures = measure(QUICK_MESSAGES if quick else MESSAGES)
    print(heading(f"Channel close: the job on a {figures.messages:,}-message channel"))
    drained = figures.left == 0 and figures.counted == figures.messages
    rows = [
        [
            f"{figures.messages:,}",
            figures.invocations,
            figures.calls,
            figures.queries,
            f"{figures.rcu:g}",
            f"{figures.wcu:g}",
            f"{figures.seconds:.1f}",
            verdict(drained),
        ]
    ]
    print(
        render(
            ["Messages", "Invocations", "Calls (+SQS)", "Queries", "RCU", "WCU", "Seconds (moto)", "Drained"],
            rows,
            right=(1, 2, 3, 4, 5, 6),
        )
    )
    scale = TARGET / figures.messages
    if figures.messages < TARGET:
        print(
            f"\n{TARGET:,} messages, extrapolated (the job is linear: fixed work per 100 items): "
            f"{-(-(TARGET + MEMBERS) // BATCH) + 1} invocations, ~{round(figures.calls * scale):,} calls, "
            f"~{figures.rcu * scale:,.0f} RCU, ~{figures.wcu * scale:,.0f} WCU."
        )
    print(
        "One invocation per 100 items (members and messages; each message's partition is one keys-only "
        "Query), then one that finds nothing and marks the record done. WCU include the GSI copies."
    )
    return [(f"channel close: {figures.messages:,} messages deleted, counted once", verdict(drained))]
