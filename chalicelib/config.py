"""Settings, read lazily from the environment on first use.

Nothing here touches AWS at import time: the Lambda cold start pays only for what a
request actually needs. Tests and the local runtime call ``reset()`` after changing
the environment.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache

# Logical names of the queues the event router fans out to. Each maps to an
# environment variable ``<NAME>_QUEUE_URL`` and to a resource in infra/.
QUEUE_NAMES = ("email", "activity", "files", "notifications", "push", "webhooks", "search", "closes", "realtime")


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_name: str
    public_base_url: str
    email_transport: str  # "ses" in AWS, "outbox" locally (writes .eml files)
    email_sender: str
    outbox_dir: str
    queue_urls: dict[str, str] = field(default_factory=dict)
    signing_keys_json: str = ""
    signing_keys_secret: str = ""
    # Web Push (chalicelib/services/vapid.py): the VAPID seed as JSON (local) or the
    # stack's secret; ``sub`` of the VAPID JWT; loopback http endpoints (local/tests).
    vapid_keys_json: str = ""
    vapid_keys_secret: str = ""
    vapid_subject: str = ""
    push_allow_loopback: bool = False
    max_body_bytes: int = 256 * 1024
    # The web apps' origins that may read v1 answers (CORS; CORS_ORIGINS, space-separated,
    # per stage in .chalice/config.json). Exact origins: never "*".
    cors_origins: tuple[str, ...] = ()
    api_token_cache_seconds: int = 30
    # Sign-ups per client address and hour. The local stage raises it: there every
    # request comes from 127.0.0.1 (.chalice/config.json).
    registrations_per_address: int = 10
    # Webhook retry delays are multiplied by this (docs/webhooks.md, "Retries"): the
    # local stage compresses ~24 h into ~1 h, the second attempt within seconds.
    webhook_retry_scale: float = 1.0
    # Search (docs/search.md): the embedded index's SQLite file (empty: none), the OpenSearch
    # endpoint (empty: none), and how many of a Free-plan workspace's newest messages are
    # searchable (Pro and up: all).
    search_db: str = ""
    search_url: str = ""
    search_free_horizon: int = 10_000
    # Rate limits (chalicelib/services/rate_limits.py): "off", "on" (the defaults there) or
    # a JSON object of overrides per route class, {"send": [limit, window_seconds]}. Off
    # on the local stage unless set: there every request comes from 127.0.0.1 and the
    # tests hammer the API.
    rate_limits: str = "off"
    # Realtime (docs/realtime.md): the API Gateway Management API of the WebSocket API,
    # ``https://<api id>.execute-api.<region>.amazonaws.com/<stage>`` (infra/merge.py sets
    # it; the local runtime its stand-in). Empty: no realtime in this deployment.
    realtime_endpoint: str = ""

    @property
    def search_engine(self) -> str:
        """Which index: "opensearch" when SEARCH_URL is set; "embedded" (SQLite FTS5) when SEARCH_DB is set
        or on the local and test stages; otherwise "none": a Lambda fleet has no shared disk
        (and var/ is read-only there), so an AWS stage never falls back to the embedded file."""
        if self.search_url:
            return "opensearch"
        return "embedded" if self.search_db else "none"

    @property
    def webhooks_reach_private_addresses(self) -> bool:
        """Only the local stage may deliver to loopback and plain http (a receiver on
        the developer's machine); every other stage refuses private targets (SSRF)."""
        return self.stage == "local"

    def queue_url(self, name: str) -> str:
        try:
            return self.queue_urls[name]
        except KeyError:
            raise RuntimeError(f"queue {name!r} is not configured ({name.upper()}_QUEUE_URL)") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    stage = env.get("DISQUA_STAGE", "local")
    return Settings(
        stage=stage,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        table_name=env.get("TABLE_NAME", "disqua-local"),
        public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        email_transport=env.get("EMAIL_TRANSPORT", "ses" if stage not in ("local", "test") else "outbox"),
        email_sender=env.get("EMAIL_SENDER", "Disqua <no-reply@disqua.local>"),
        outbox_dir=env.get("OUTBOX_DIR", "var/outbox"),
        queue_urls={n: env[f"{n.upper()}_QUEUE_URL"] for n in QUEUE_NAMES if env.get(f"{n.upper()}_QUEUE_URL")},
        signing_keys_json=env.get("SIGNING_KEYS", ""),
        signing_keys_secret=env.get("SIGNING_KEYS_SECRET_ARN", ""),
        vapid_keys_json=env.get("VAPID_KEYS", ""),
        vapid_keys_secret=env.get("VAPID_KEYS_SECRET_ARN", ""),
        vapid_subject=env.get("VAPID_SUBJECT", ""),
        push_allow_loopback=stage == "local" or env.get("PUSH_ALLOW_LOOPBACK", "") == "true",
        max_body_bytes=int(env.get("MAX_BODY_BYTES", 256 * 1024)),
        cors_origins=tuple(o for o in env.get("CORS_ORIGINS", "").split() if o != "*"),
        api_token_cache_seconds=int(env.get("API_TOKEN_CACHE_SECONDS", 30)),
        registrations_per_address=int(env.get("MAX_REGISTRATIONS_PER_ADDRESS", 10)),
        webhook_retry_scale=float(env.get("WEBHOOK_RETRY_SCALE", "0.05" if stage == "local" else "1")),
        search_db=env.get("SEARCH_DB", {"test": ":memory:", "local": "var/search.db"}.get(stage, "")),
        search_url=env.get("SEARCH_URL", ""),
        search_free_horizon=int(env.get("SEARCH_FREE_HORIZON", 10_000)),
        rate_limits=env.get("RATE_LIMITS", "off" if stage in ("local", "test") else "on"),
        realtime_endpoint=env.get("REALTIME_ENDPOINT", "").rstrip("/"),
    )


@dataclass(frozen=True)
class SigningKeys:
    """HMAC keys by id; ``active`` signs, every key verifies (rotation window).

    Stored as one flat JSON object, ``{"active": "k1", "k1": "<secret>", ...}``: the
    shape Secrets Manager's GenerateSecretString produces (see infra/).
    """

    active: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, raw: str) -> SigningKeys:
        doc = json.loads(raw)
        keys = {kid: str(secret).encode() for kid, secret in doc.items() if kid != "active"}
        if doc["active"] not in keys:
            raise RuntimeError("signing keys: the active key id is not among the keys")
        if any(len(k) < 32 for k in keys.values()):
            raise RuntimeError("signing keys: every key needs at least 32 bytes")
        return cls(active=doc["active"], keys=keys)


# A rotated secret reaches every warm container within this time, no redeploy needed.
SIGNING_KEYS_TTL_SECONDS = 300
_signing_keys: tuple[float, SigningKeys] | None = None


def get_signing_keys() -> SigningKeys:
    """From ``SIGNING_KEYS`` (JSON) or, in AWS, a Secrets Manager secret (re-read
    every few minutes so a rotation spreads by itself).

    The local runtime generates its keys into var/ on first start (never committed).
    """
    global _signing_keys
    now = time.monotonic()
    if _signing_keys is not None and _signing_keys[0] > now:
        return _signing_keys[1]
    settings = get_settings()
    if settings.signing_keys_json:
        keys = SigningKeys.parse(settings.signing_keys_json)
    elif settings.signing_keys_secret:
        from chalicelib.aws import client

        value = client("secretsmanager").get_secret_value(SecretId=settings.signing_keys_secret)
        keys = SigningKeys.parse(value["SecretString"])
    else:
        raise RuntimeError("no signing keys: set SIGNING_KEYS or SIGNING_KEYS_SECRET_ARN")
    _signing_keys = (now + SIGNING_KEYS_TTL_SECONDS, keys)
    return keys


def reset() -> None:
    """Forget cached settings (tests and the local runtime change the environment)."""
    global _signing_keys
    get_settings.cache_clear()
    _signing_keys = None
