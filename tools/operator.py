"""Operator commands, run by Disqua's operators against a deployed stage.

    python -m tools.operator set-plan <workspaceId> <free|pro>
    python -m tools.operator reindex --workspace <workspaceId> [--rate N] [--kinds messages,files,users]
    python -m tools.operator repair-reaction-ranks (--workspace <workspaceId> | --channel <channelId> ...)

It uses the same settings as the app: TABLE_NAME and the usual AWS credentials
(for the local runtime, also AWS_ENDPOINT_URL pointing at its embedded backend).
There is no billing here; the plan only sets the limits later features read.
"""

from __future__ import annotations

import argparse
import sys

PLANS = ("free", "pro")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.operator", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    set_plan = commands.add_parser("set-plan", help="set a workspace's plan")
    set_plan.add_argument("workspace_id")
    set_plan.add_argument("plan", choices=PLANS)
    reindex = commands.add_parser("reindex", help="rebuild a workspace's search documents from the table")
    reindex.add_argument("--workspace", required=True, dest="workspace_id")
    reindex.add_argument("--rate", type=float, default=None, help="DynamoDB read calls a second (default 50)")
    reindex.add_argument("--kinds", default="messages,files,users", help="comma-separated: messages,files,users")
    reindex.add_argument("--no-progress", action="store_true", help="no progress bar (the summary line stays)")
    repair = commands.add_parser(
        "repair-reaction-ranks",
        help="set each reacted message's GSI6 rank items (Admin v2 'most reacted') to its counts",
    )
    target = repair.add_mutually_exclusive_group(required=True)
    target.add_argument("--workspace", dest="workspace_id", help="every channel of the workspace")
    target.add_argument("--channel", dest="channel_ids", action="append", help="a channel (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "reindex":
        return _reindex(args)
    if args.command == "repair-reaction-ranks":
        return _repair_reaction_ranks(args)

    from chalicelib.ids import is_id
    from chalicelib.store import workspaces
    from chalicelib.store.errors import ConditionFailed

    if not is_id(args.workspace_id):
        print(f"not a workspace id: {args.workspace_id}", file=sys.stderr)
        return 2
    try:
        workspaces.set_plan(args.workspace_id, args.plan)
    except ConditionFailed:
        print(f"no workspace {args.workspace_id}", file=sys.stderr)
        return 1
    print(f"workspace {args.workspace_id} is now on the {args.plan} plan")
    return 0


def _reindex(args: argparse.Namespace) -> int:
    """Rebuild with tools/reindex.py (docs/search.md); 1 for an unknown workspace or no engine."""
    from chalicelib.ids import is_id
    from chalicelib.services import search
    from tools import reindex

    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    unknown = sorted(set(kinds) - set(reindex.KINDS))
    if not kinds or unknown:
        print(f"--kinds takes {','.join(reindex.KINDS)}; not: {','.join(unknown) or '(empty)'}", file=sys.stderr)
        return 2
    if args.rate is not None and args.rate <= 0:
        print("--rate must be a positive number of read calls a second", file=sys.stderr)
        return 2
    if not is_id(args.workspace_id):
        print(f"not a workspace id: {args.workspace_id}", file=sys.stderr)
        return 2
    if not search.configured():
        print(search.NOT_CONFIGURED, file=sys.stderr)
        return 1
    bucket = reindex.TokenBucket(args.rate or reindex.DEFAULT_RATE)
    try:
        counts = reindex.reindex(args.workspace_id, kinds, bucket, progress=not args.no_progress)
    except reindex.UnknownWorkspace:
        print(f"no workspace {args.workspace_id}", file=sys.stderr)
        return 1
    print(counts.summary(args.workspace_id))
    return 0


def _repair_reaction_ranks(args: argparse.Namespace) -> int:
    """store/reaction_ranks.repair_channel over the channels named or the workspace's (docs/admin-v2.md,
    "Most reacted"): for messages reacted to before the ranking existed, or after a restore."""
    from chalicelib.ids import is_id
    from chalicelib.store import channels, reaction_ranks, workspaces

    named = args.channel_ids or []
    ids = [args.workspace_id] if args.workspace_id else named
    bad = [i for i in ids if not is_id(i)]
    if bad:
        print(f"not an id: {', '.join(bad)}", file=sys.stderr)
        return 2
    if args.workspace_id:
        if workspaces.get(args.workspace_id) is None:
            print(f"no workspace {args.workspace_id}", file=sys.stderr)
            return 1
        named = [c.id for c in _workspace_channels(args.workspace_id)]
    missing = [c for c in named if channels.get(c) is None]
    if missing:
        print(f"no channel {', '.join(missing)}", file=sys.stderr)
        return 1
    written = 0
    for channel_id in named:
        fixed = reaction_ranks.repair_channel(channel_id)
        written += fixed
        print(f"channel {channel_id}: {fixed} rank items written")
    print(f"{len(named)} channels, {written} rank items written")
    return 0


def _workspace_channels(workspace_id: str) -> list:
    """Every channel of the workspace, archived or not, of every type (GSI1 listings)."""
    from chalicelib.store import channels

    found = []
    for channel_type in ("public", "private", "comments"):
        for archived in (False, True):
            position = None
            while True:
                page = channels.list_by_type(workspace_id, channel_type, archived, limit=100, position=position)
                found += [c for c in page.items if c is not None]
                position = page.position
                if position is None:
                    break
    return found


if __name__ == "__main__":
    sys.exit(main())
