import json
from pathlib import Path

import pytest

from chalicelib import config

ROOT = Path(__file__).resolve().parents[2]


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


def test_sign_ups_per_address_default_to_ten_and_the_local_stage_raises_them(monkeypatch):
    monkeypatch.delenv("MAX_REGISTRATIONS_PER_ADDRESS", raising=False)
    config.reset()
    assert config.get_settings().registrations_per_address == 10
    # The local runtime applies the stage's variables: everyone there is 127.0.0.1.
    stage = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["local"]
    monkeypatch.setenv("MAX_REGISTRATIONS_PER_ADDRESS", stage["environment_variables"]["MAX_REGISTRATIONS_PER_ADDRESS"])
    config.reset()
    assert config.get_settings().registrations_per_address >= 1000
    config.reset()
