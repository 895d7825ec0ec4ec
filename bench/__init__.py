"""``make bench``: DynamoDB calls and capacity per endpoint, cold start, package size.

Budgets come from the performance issue; a failed budget prints FAIL but the exit
code stays 0 (the numbers inform a decision, they do not gate CI).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
