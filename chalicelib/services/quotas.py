"""Quotas where one caller could otherwise fill the table (README.md, "Rate limits"):
the figures, and the answer when one is reached: E_PLAN_LIMIT (403; Disqus code 24,
"maximum number of creations exceeded"). The counting is chalicelib/store/quotas.py.

Invites are bounded by their creation rate instead (services/invites.py): each expires
within 30 days, so outstanding invites stay under twice a 30-day window's figure, with no
count to keep in step with expiry and use.
"""

from __future__ import annotations

from chalicelib.errors import CreationLimit
from chalicelib.store import keys, throttle
from chalicelib.store import quotas as store

WORKSPACES_PER_USER = 100  # created, ever (workspaces are not deleted)
CHANNELS_PER_WORKSPACE = 5_000  # created, archived ones included (channels are archived, not deleted)
TOKENS_PER_WORKSPACE = 100  # live API tokens (a revoked one frees its place)
INVITES_PER_WORKSPACE_WINDOW = 500  # invites created per workspace per 30-day window
INVITE_WINDOW_SECONDS = 30 * 24 * 3600  # an invite lives 30 days at most (services/invites.py MAX_HOURS)

_WORDS = {
    "workspaces": "An account may create at most {limit} workspaces.",
    "channels": "A workspace holds at most {limit} channels (archived ones included).",
    "tokens": "A workspace holds at most {limit} API tokens: revoke one first.",
}


def workspaces_of(user_id: str) -> store.Quota:
    return store.Quota("workspaces", keys.user(user_id), WORKSPACES_PER_USER)


def channels_of(workspace_id: str) -> store.Quota:
    return store.Quota("channels", keys.workspace(workspace_id), CHANNELS_PER_WORKSPACE)


def tokens_of(workspace_id: str) -> store.Quota:
    return store.Quota("tokens", keys.workspace(workspace_id), TOKENS_PER_WORKSPACE)


def refused(reached: store.Reached) -> CreationLimit:
    return CreationLimit(_WORDS[reached.quota.kind].format(limit=reached.quota.limit))


def invites_of(workspace_id: str) -> throttle.Limit:
    counter = throttle.Counter("quota-invites", workspace_id, INVITE_WINDOW_SECONDS)
    return throttle.Limit(counter, INVITES_PER_WORKSPACE_WINDOW)


def refused_invites(full: throttle.Exceeded) -> CreationLimit:
    days = INVITE_WINDOW_SECONDS // 86400
    return CreationLimit(f"A workspace may create at most {full.limit.max} invites in {days} days.")
