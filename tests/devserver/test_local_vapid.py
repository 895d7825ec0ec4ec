"""The local runtime's VAPID seed: made once in var/ (owner-only), the same key after
a restart, a broken file named in the error."""

from __future__ import annotations

import json

import pytest

from chalicelib.services import vapid
from devserver import local_secrets


def test_generated_once_private_and_stable(tmp_path):
    first = local_secrets.vapid_keys(tmp_path)
    path = tmp_path / local_secrets.VAPID_FILE_NAME
    assert path.stat().st_mode & 0o077 == 0
    assert local_secrets.vapid_keys(tmp_path) == first  # a restart keeps the key
    seed = vapid.parse_seed(first)
    assert len(seed) >= vapid.MIN_SEED_CHARS
    other = tmp_path / "other"
    assert local_secrets.vapid_keys(other) != first  # each checkout its own


def test_a_broken_file_is_named(tmp_path):
    (tmp_path / local_secrets.VAPID_FILE_NAME).write_text(json.dumps({"seed": "short"}))
    with pytest.raises(RuntimeError, match=r"local-vapid\.json"):
        local_secrets.vapid_keys(tmp_path)
