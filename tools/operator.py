"""Operator commands, run by Disqua's operators against a deployed stage.

    python -m tools.operator set-plan <workspaceId> <free|pro>

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
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
