"""Fixtures shared by the functional tests (a module may define its own ``team``)."""

import json

import pytest

from chalicelib import config
from chalicelib.services import rate_limits
from tests.helpers import create_workspace, join_workspace, register


@pytest.fixture
def team(api):
    """A workspace: its owner and a member, both in #general."""
    owner, member = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, owner)
    join_workspace(ws, member)
    return ws, owner, member


@pytest.fixture
def set_limits(monkeypatch):
    """Turn limiting on with these classes' figures: set_limits(send=(3, HOUR))."""

    def apply(**figures: tuple[int, int]) -> None:
        overrides = {name.replace("_", "-"): list(figure) for name, figure in figures.items()}
        monkeypatch.setenv("RATE_LIMITS", json.dumps(overrides) if overrides else "on")
        config.reset()
        rate_limits.forget_local_counts()

    yield apply
    rate_limits.forget_local_counts()
