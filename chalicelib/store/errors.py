"""What a repository can report besides "done"."""

from __future__ import annotations


class StoreError(Exception):
    pass


class AlreadyExists(StoreError):
    """A uniqueness guard was taken (``what`` names the guarded value)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class ConditionFailed(StoreError):
    """The item changed (or vanished) since it was read: a lost race."""


class TransactionCancelled(StoreError):
    """A transaction's conditions failed; ``failed`` names the labelled operations."""

    def __init__(self, failed: set[str]):
        super().__init__(", ".join(sorted(failed)))
        self.failed = failed
