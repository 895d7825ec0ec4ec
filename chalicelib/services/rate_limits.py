"""Rate limits by route class: who may call how often (README.md, "Rate limits").

Every route declares its class (``Surface.route(limit=...)``, chalicelib/api/routing.py); the
pipeline asks ``admit`` before the handler runs. A class's rule is a fixed window: at most
``limit`` requests per ``window`` seconds per key. The key is the caller (``Principal.subject``:
a user's session, an API token, an app's grant; a public key with the visitor's address) or,
on anonymous routes, the client address; the send class adds the channel (or thread) to it.

Where a class is counted follows its cost (cost matters more than precision here):

- ``shared`` classes (auth, send, upload, search, webhook-test), where abuse is expensive
  (password hashing and mail, writes fanned out to members, S3 and the file processor,
  the search engine, outgoing HTTP), count in DynamoDB: one conditional UpdateItem per
  request (chalicelib/store/throttle.py, ``take_one``), exact across Lambda instances.
- reads and writes pay no DynamoDB write: they count in this instance's memory, which bounds
  a caller per instance (a fleet of N warm instances admits up to N times the figure). The
  coarse ceiling for them is API Gateway's stage throttling (infra/merge.py, per stage).

Limits are configured per stage with ``RATE_LIMITS`` (chalicelib/config.py): off on the local
stage (and so in the tests) unless set.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from chalicelib.auth.principal import Principal
from chalicelib.errors import CallerRateLimited, RateLimited

AUTH = "auth"
READ = "read"
WRITE = "write"
SEND = "send"
UPLOAD = "upload"
SEARCH = "search"
WEBHOOK_TEST = "webhook-test"


@dataclass(frozen=True)
class Rule:
    limit: int  # requests per window and key
    window: int  # seconds
    shared: bool  # True: a DynamoDB counter; False: this instance's memory (no write)
    about: str  # what the key is, for the README table and the OpenAPI document


RULES: dict[str, Rule] = {
    # Anonymous auth routes (register, login, refresh, verify) by address; resend by caller.
    # Logins and sign-ups have their own, finer throttles besides (services/accounts.py).
    AUTH: Rule(30, 60, shared=True, about="client address (anonymous) or caller"),
    READ: Rule(600, 60, shared=False, about="caller, or client address (anonymous)"),
    WRITE: Rule(120, 60, shared=False, about="caller"),
    # Slack's "about one message per second per channel, short bursts allowed": ten in any
    # ten-second window, in one channel, per caller.
    SEND: Rule(10, 10, shared=True, about="caller and channel (Disqus: thread)"),
    UPLOAD: Rule(20, 60, shared=True, about="caller"),
    SEARCH: Rule(30, 60, shared=True, about="caller"),
    WEBHOOK_TEST: Rule(5, 60, shared=True, about="caller"),
}


@dataclass(frozen=True)
class Admission:
    """What a limited response tells its caller (the X-RateLimit-* headers)."""

    limit: int
    remaining: int
    reset: int  # epoch seconds when the window ends

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": str(self.reset),
        }


@lru_cache(maxsize=8)
def _parse(setting: str) -> Mapping[str, Rule] | None:
    if setting.strip().lower() in ("", "off"):
        return None
    if setting.strip().lower() == "on":
        return RULES
    overrides = json.loads(setting)
    rules = dict(RULES)
    for name, (limit, window) in overrides.items():
        if name not in RULES:
            raise ValueError(f"RATE_LIMITS: unknown route class {name!r} (one of {sorted(RULES)})")
        rules[name] = replace(RULES[name], limit=int(limit), window=int(window))
    return rules


def rules() -> Mapping[str, Rule] | None:
    """This stage's rules; None when limiting is off."""
    from chalicelib.config import get_settings

    return _parse(get_settings().rate_limits)


def key_of(principal: Principal | None, client_ip: str, resource: str | None = None) -> str:
    subject = principal.subject if principal is not None else f"ip:{client_ip}"
    if principal is not None and principal.kind == "public_key":
        # A public key is a web page's, shared by all its visitors: each counts apart.
        subject = f"{subject}|ip:{client_ip}"
    return f"{subject}|{resource}" if resource else subject


def admit(
    route_class: str, principal: Principal | None, client_ip: str, resource: str | None = None
) -> Admission | None:
    """Count this request against its class, or raise RateLimited (the caller's own limit:
    CallerRateLimited) with Retry-After and the X-RateLimit-* headers. None when off."""
    found = rules()
    if found is None:
        return None
    rule = found[route_class]
    by_caller = principal is not None and resource is None
    if rule.limit <= 0:  # the class is closed on this stage: nothing to count
        now = time.time()
        reset = _window_end(now, rule)
        raise _refusal(rule, reset, int(reset - now) + 1, by_caller)
    key = key_of(principal, client_ip, resource)
    if rule.shared:
        return _take_shared(route_class, rule, key, by_caller)
    return _LOCAL.take(route_class, rule, key, by_caller)


def _window_end(now: float, rule: Rule) -> int:
    return (int(now // rule.window) + 1) * rule.window


def _refusal(rule: Rule, reset: int, retry_after: int, by_caller: bool) -> RateLimited:
    headers = Admission(rule.limit, 0, reset).headers()
    error = CallerRateLimited if by_caller else RateLimited
    return error(retry_after, f"Too many requests: at most {rule.limit} per {rule.window} s.", headers=headers)


def _take_shared(route_class: str, rule: Rule, key: str, by_caller: bool) -> Admission:
    from chalicelib.store import throttle

    limit = throttle.Limit(throttle.Counter(f"rate-{route_class}", key, rule.window), rule.limit)
    now = time.time()
    try:
        count = throttle.take_one(limit)
    except throttle.Exceeded as full:
        raise _refusal(rule, limit.counter.resets_at(now), full.retry_after, by_caller) from None
    return Admission(rule.limit, rule.limit - count, limit.counter.resets_at(now))


class _LocalWindows:
    """Fixed windows in this instance's memory: free, and per instance only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}  # (class, key) -> (window, count)

    def take(self, route_class: str, rule: Rule, key: str, by_caller: bool) -> Admission:
        now = time.time()
        window = int(now // rule.window)
        reset = _window_end(now, rule)
        with self._lock:
            if len(self._counts) > 50_000:  # a new window forgets the old ones
                self._counts = {k: v for k, v in self._counts.items() if v[0] >= window}
            seen, count = self._counts.get((route_class, key), (window, 0))
            count = count if seen == window else 0
            if count >= rule.limit:
                raise _refusal(rule, reset, int(reset - now) + 1, by_caller)
            self._counts[(route_class, key)] = (window, count + 1)
        return Admission(rule.limit, rule.limit - count - 1, reset)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


_LOCAL = _LocalWindows()


def forget_local_counts() -> None:
    """Tests: start each from empty windows."""
    _LOCAL.clear()
