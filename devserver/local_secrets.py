"""The local runtime's signing keys: generated on first start, kept in var/.

A fixed key in the repository would be a key that works everywhere; a key made per
start would log everyone out on every restart. So the first start writes a random
one to ``<var>/local-secrets.json`` (mode 0600, var/ is gitignored) and later starts
reuse it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
from pathlib import Path

from chalicelib.config import SigningKeys

log = logging.getLogger(__name__)

FILE_NAME = "local-secrets.json"


def signing_keys(var_dir: Path) -> str:
    """The ``SIGNING_KEYS`` value (JSON), creating the secrets file if needed."""
    path = var_dir / FILE_NAME
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"{path}: not JSON ({exc}); delete the file to generate new keys") from exc
    except FileNotFoundError:
        # The shape Secrets Manager's GenerateSecretString gives in AWS (infra/).
        doc = {"signing_keys": {"active": "k1", "k1": secrets.token_urlsafe(48)}}
        _write_private(path, json.dumps(doc, indent=2) + "\n")
        log.info("generated local signing keys in %s", path)
    else:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    try:
        raw = json.dumps(doc["signing_keys"])
        SigningKeys.parse(raw)  # fail now, naming the file, rather than on the first login
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise RuntimeError(f"{path}: invalid signing keys ({exc}); delete the file to generate new ones") from exc
    return raw


VAPID_FILE_NAME = "local-vapid.json"


def vapid_keys(var_dir: Path) -> str:
    """The ``VAPID_KEYS`` value (JSON ``{"seed": ...}``, the shape of the stack's
    VapidKeysSecret), creating ``<var>/local-vapid.json`` if needed. Kept across
    starts: browsers' push subscriptions are bound to the key derived from it."""
    from chalicelib.services.vapid import parse_seed, private_key_from_seed

    path = var_dir / VAPID_FILE_NAME
    try:
        raw = path.read_text()
    except FileNotFoundError:
        raw = json.dumps({"seed": secrets.token_urlsafe(48)}) + "\n"
        _write_private(path, raw)
        log.info("generated a local VAPID key seed in %s", path)
    try:
        private_key_from_seed(parse_seed(raw))  # fail now, naming the file
    except (TypeError, ValueError, RuntimeError) as exc:
        raise RuntimeError(f"{path}: invalid VAPID seed ({exc}); delete the file to generate a new one") from exc
    return raw.strip()


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only, atomically (no half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
