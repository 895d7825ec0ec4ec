"""One HTTP attempt at a webhook endpoint, the URL rules, and the retry schedule.

SSRF: outside the local stage every attempt goes through requests-hardened, which
resolves the host once, refuses private, loopback, link-local, multicast, reserved
and IPv4-mapped addresses (169.254.169.254 and fd00:ec2::254 among them), and
connects to the address it checked (no DNS rebinding window between check and use).
The same check runs when a URL is set. The local stage allows loopback (and plain
http to it) for a receiver on the developer's machine. Redirects are never followed:
a 3xx is a failed attempt.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import get_settings
from chalicelib.errors import ValidationError

USER_AGENT = "Disqua-Webhook/1.0"
TIMEOUT_SECONDS = 10.0  # per attempt, in all (connecting: 5 s of it at most)
RESPONSE_BODY_BYTES = 2048  # kept in the delivery log

# Seconds to wait after attempt n (1-based) failed: 8 attempts over ~23.6 h. Each wait
# gets +/-20% jitter and is multiplied by the WEBHOOK_RETRY_SCALE setting (local: 0.05).
RETRY_DELAYS = (60, 300, 1_800, 7_200, 18_000, 28_800, 28_800)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2


def retry_delay(attempt: int) -> float | None:
    """Seconds until the attempt after ``attempt``; None when it was the last."""
    if attempt >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempt - 1] * get_settings().webhook_retry_scale
    return base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 (jitter, not a secret)


# --- URLs ----------------------------------------------------------------------------


def _loopback_name(host: str) -> bool:
    import ipaddress

    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, field: str = "url") -> str:
    """https, a host, no credentials; outside the local stage the host must resolve to
    a public address (checked again, and pinned, at every delivery)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    local = get_settings().webhooks_reach_private_addresses
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(f"{field} must be an https URL.", field=field)
    if parts.username or parts.password:
        raise ValidationError(f"{field} must not carry credentials.", field=field)
    if parts.scheme == "http" and not (local and _loopback_name(host)):
        raise ValidationError(f"{field} must be an https URL (http only to loopback, locally).", field=field)
    if parts.fragment:
        raise ValidationError(f"{field} must not have a fragment.", field=field)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError(f"{field} has an invalid port.", field=field) from None
    if not local:
        _check_public(host, port, field)
    return url


def _check_public(host: str, port: int, field: str) -> None:
    import socket

    from requests_hardened.ip_filter import InvalidIPAddress, get_ip_address

    try:
        get_ip_address(host, port, allow_loopback=False)
    except InvalidIPAddress as refused:
        raise ValidationError(f"{field} resolves to a private or reserved address ({refused}).", field=field) from None
    except (socket.gaierror, UnicodeError):
        raise ValidationError(f"{field}: the host does not resolve.", field=field) from None


# --- attempts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    body: str | None
    latency_ms: int
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _socket_timeouts() -> tuple[float, float]:
    return (min(5.0, TIMEOUT_SECONDS), TIMEOUT_SECONDS)


def _session() -> Any:
    from requests_hardened import Config, HTTPSession

    local = get_settings().webhooks_reach_private_addresses
    session = HTTPSession(
        Config(
            ip_filter_enable=True,
            ip_filter_allow_loopback_ips=local,
            never_redirect=True,
            default_timeout=_socket_timeouts(),
            user_agent_override=USER_AGENT,
        )
    )
    session.trust_env = False  # no proxy from the environment between us and the pinned address
    return session


def post(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    """POST once, within TIMEOUT_SECONDS in all (requests' own timeouts are per socket
    operation: an endpoint dripping a byte at a time would outlast them); never raises
    for what the endpoint (or the network) did. An attempt that overruns is abandoned
    to its thread, which ends at its next socket timeout."""
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import TimeoutError as Overrun

    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(_post, url, body, headers, started).result(timeout=TIMEOUT_SECONDS)
    except Overrun:
        latency = round((time.perf_counter() - started) * 1000)
        return Attempt(None, None, latency, f"timed out after {TIMEOUT_SECONDS:.0f} s")
    finally:
        pool.shutdown(wait=False)


def _post(url: str, body: bytes, headers: dict[str, str], started: float) -> Attempt:
    import requests
    from requests_hardened.ip_filter import InvalidIPAddress

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        with _session() as session:
            response = session.post(url, data=body, headers=headers, timeout=_socket_timeouts(), stream=True)
            try:
                raw = response.raw.read(RESPONSE_BODY_BYTES, decode_content=True) or b""
            except Exception:  # a body that breaks off still has its status
                raw = b""
            finally:
                response.close()
            text = raw.decode("utf-8", errors="replace")[:RESPONSE_BODY_BYTES]
            return Attempt(response.status_code, text, elapsed(), None)
    except InvalidIPAddress as refused:
        return Attempt(None, None, elapsed(), f"refused: {refused} is a private or reserved address")
    except requests.Timeout:
        return Attempt(None, None, elapsed(), f"timed out after {TIMEOUT_SECONDS:.0f} s")
    except requests.RequestException as error:
        return Attempt(None, None, elapsed(), _failure(error))


def _failure(error: Exception) -> str:
    """What the delivery log (read by the workspace's admins) says about a failed attempt: in
    words, never the HTTP library's exception classes, pool internals or addresses it tried."""
    import requests

    if isinstance(error, requests.exceptions.SSLError):
        return "TLS handshake failed (the endpoint's certificate or TLS setup)"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "could not connect to the endpoint"
    if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return "the URL cannot be requested"
    return "the request failed"
