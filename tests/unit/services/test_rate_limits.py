"""RATE_LIMITS, per stage: off, on (the defaults) or overrides per route class."""

from __future__ import annotations

import pytest

from chalicelib.services import rate_limits


def test_off_and_on_and_overrides():
    assert rate_limits._parse("off") is None and rate_limits._parse("") is None
    assert rate_limits._parse("on") == rate_limits.RULES
    rules = rate_limits._parse('{"send": [2, 5]}')
    assert (rules["send"].limit, rules["send"].window, rules["send"].shared) == (2, 5, True)
    assert rules["read"] == rate_limits.RULES["read"]


def test_an_unknown_class_is_refused():
    with pytest.raises(ValueError, match="unknown route class"):
        rate_limits._parse('{"sends": [2, 5]}')


def test_the_stage_default_is_off_locally_and_on_elsewhere(monkeypatch):
    from chalicelib import config

    monkeypatch.delenv("RATE_LIMITS", raising=False)
    for stage, expected in (("local", "off"), ("test", "off"), ("dev", "on"), ("prod", "on")):
        monkeypatch.setenv("DISQUA_STAGE", stage)
        config.reset()
        assert config.get_settings().rate_limits == expected
    config.reset()


def test_keys_separate_callers_addresses_and_resources():
    from chalicelib.auth.principal import Principal

    user = Principal(user_id="u1", kind="session")
    token = Principal(user_id="u1", kind="api_token", token_id="t1")
    # Two installations of apps acting for the same user: each grant is its own caller.
    grants = [Principal(user_id="u1", kind="oauth", session_id=g, app_id="app1") for g in ("g1", "g2")]
    keys = {
        rate_limits.key_of(user, "1.2.3.4"),
        rate_limits.key_of(token, "1.2.3.4"),
        *(rate_limits.key_of(grant, "1.2.3.4") for grant in grants),
        rate_limits.key_of(None, "1.2.3.4"),
        rate_limits.key_of(user, "1.2.3.4", "ch_1"),
        rate_limits.key_of(user, "1.2.3.4", "ch_2"),
    }
    assert len(keys) == 7


def test_the_visitors_of_a_public_key_count_apart():
    from chalicelib.auth.principal import Principal

    page = Principal(user_id="", kind="public_key", token_id="pk1")
    assert rate_limits.key_of(page, "1.2.3.4") != rate_limits.key_of(page, "5.6.7.8")
