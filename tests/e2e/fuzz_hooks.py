"""Schemathesis hooks for tests/e2e/fuzzing.py (loaded by the `st` process it runs): every
response's status and operation, one line each, in $FUZZ_STATUS_LOG, for the figures
(requests made, share that reached a 2xx) that schemathesis' own report leaves out."""

from __future__ import annotations

import os
import threading

import schemathesis

_LOCK = threading.Lock()


@schemathesis.hook
def after_call(context: schemathesis.HookContext, case: schemathesis.Case, response: schemathesis.Response) -> None:
    with _LOCK, open(os.environ["FUZZ_STATUS_LOG"], "a") as log:
        log.write(f"{response.status_code} {case.method} {case.operation.path}\n")


@schemathesis.hook
def map_query(context: schemathesis.HookContext, query: dict | None) -> dict | None:
    """A cursor is an HMAC-signed position (chalicelib/http/cursors.py): a made-up one is
    rightly refused with 400, so generated queries start at the first page (the stateful
    phase follows real ones from pagination.nextCursor)."""
    if query:
        query.pop("cursor", None)
    return query


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict) -> None:
    """The Disqus surface's access_token (a query argument) is configured as an auth scheme,
    and schemathesis also adds it where an operation asks for no auth: v1 rightly refuses an
    unknown query argument, so it goes where the document names it only."""
    if case.operation.path.startswith("/api/3.0/"):
        return
    for query in (case.query, kwargs.get("params")):
        if isinstance(query, dict):
            query.pop("access_token", None)
