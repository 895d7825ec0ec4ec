import json

import pytest

from chalicelib import config


def test_signing_keys_are_reread_after_their_ttl(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(config.time, "monotonic", lambda: clock[0])
    monkeypatch.setenv("SIGNING_KEYS", json.dumps({"active": "a", "a": "x" * 40}))
    config.reset()
    assert config.get_signing_keys().active == "a"
    monkeypatch.setenv("SIGNING_KEYS", json.dumps({"active": "b", "a": "x" * 40, "b": "y" * 40}))
    config.get_settings.cache_clear()
    assert config.get_signing_keys().active == "a"  # still cached
    clock[0] += config.SIGNING_KEYS_TTL_SECONDS + 1
    assert config.get_signing_keys().active == "b"
    config.reset()


@pytest.mark.parametrize(
    "raw",
    [
        {"active": "z", "a": "x" * 40},  # active names no key
        {"active": "a", "a": "short"},  # too short
    ],
)
def test_bad_signing_keys_are_refused(raw):
    with pytest.raises(RuntimeError):
        config.SigningKeys.parse(json.dumps(raw))
