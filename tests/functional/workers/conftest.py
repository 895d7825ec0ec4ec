"""Fixtures of the workers' functional tests."""

from __future__ import annotations

import pytest

from tests.functional.workers.notify import Pipeline
from tests.helpers import create_workspace, join_workspace, register


@pytest.fixture
def room(api):
    """A workspace of jane (owner), bob and carol, its events already through the pipeline."""
    jane, bob, carol = (register(api, n) for n in ("jane", "bob", "carol"))
    ws = create_workspace(api, jane)
    join_workspace(ws, bob)
    join_workspace(ws, carol)
    pipeline = Pipeline()
    pipeline.run()
    return ws, jane, bob, carol, pipeline
