"""Identifiers and timestamps.

IDs are UUIDv7 (RFC 9562): 36 characters, time-ordered, so a sort key made of an id
sorts by creation time.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from datetime import UTC, datetime

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_last_ms = 0
_seq = 0


def new_id() -> str:
    """A UUIDv7 string; monotonic within a process (a 12-bit counter breaks ties)."""
    global _last_ms, _seq
    ms = time.time_ns() // 1_000_000
    if ms <= _last_ms:
        ms = _last_ms
        _seq += 1
        if _seq > 0xFFF:  # counter exhausted in this millisecond: borrow the next one
            ms += 1
            _seq = 0
    else:
        _seq = int.from_bytes(os.urandom(2), "big") & 0x3FF  # random start, room to count
    _last_ms = ms
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | _seq << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def is_id(value: object) -> bool:
    return isinstance(value, str) and _UUID_RE.match(value) is not None


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as the spec writes timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(now())


def epoch_seconds(moment: datetime | None = None) -> int:
    return int((moment or now()).timestamp())
