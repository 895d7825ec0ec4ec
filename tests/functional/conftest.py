"""Fixtures shared by the functional tests (a module may define its own ``team``)."""

import pytest

from tests.helpers import create_workspace, join_workspace, register


@pytest.fixture
def team(api):
    """A workspace: its owner and a member, both in #general."""
    owner, member = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, owner)
    join_workspace(ws, member)
    return ws, owner, member
