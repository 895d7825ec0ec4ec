"""Operator commands, run by Disqua's operators against a deployed stage.

    python -m tools.operator set-plan <workspaceId> <free|pro>
    python -m tools.operator reindex --workspace <workspaceId> [--rate N] [--kinds messages,files,users]

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
    args = parser.parse_args(argv)
    if args.command == "reindex":
        return _reindex(args)

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


if __name__ == "__main__":
    sys.exit(main())
