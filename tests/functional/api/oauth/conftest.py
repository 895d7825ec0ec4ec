"""What every OAuth test starts from: a verified owner, their workspace, and a form-posting
browser over the Chalice test client (tests/functional/api/oauth/flow.py)."""

from __future__ import annotations

import pytest

from tests.functional.api.oauth.flow import Browser
from tests.helpers import create_workspace, register


@pytest.fixture
def owner(api):
    return register(api, "olivia")


@pytest.fixture
def workspace(api, owner):
    return create_workspace(api, owner)


@pytest.fixture
def browser(client):
    return Browser(client.http)
