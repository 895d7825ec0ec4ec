"""The push worker's rules: which addresses it may connect to, Retry-After, backoff."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from chalicelib.workers import push as worker


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("142.250.74.106", True),  # a public address (a push service)
        ("2a00:1450:4001:82b::200a", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # instance metadata
        ("fd00:ec2::254", False),  # instance metadata over IPv6
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped
        ("::ffff:127.0.0.1", False),
        ("fe80::1%eth0", False),
    ],
)
def test_only_public_addresses_are_reached(address, allowed):
    assert worker.address_allowed(address, allow_loopback=False) is allowed


def test_loopback_only_when_allowed():
    assert worker.address_allowed("127.0.0.1", allow_loopback=True)
    assert worker.address_allowed("::ffff:127.0.0.1", allow_loopback=True)
    assert not worker.address_allowed("10.0.0.1", allow_loopback=True)


def test_retry_after_as_seconds_or_a_date():
    assert worker.retry_after_seconds("120") == 120
    assert 290 <= worker.retry_after_seconds(formatdate(time.time() + 300, usegmt=True)) <= 300
    assert worker.retry_after_seconds("soon") is None
    assert worker.retry_after_seconds(None) is None


def test_backoff_doubles_with_jitter_and_stays_under_sqs_maximum():
    assert 24 <= worker.backoff(1) <= 36
    assert 48 <= worker.backoff(2) <= 72
    assert worker.backoff(40) == worker.RETRY_MAX_SECONDS or worker.backoff(40) <= worker.RETRY_MAX_SECONDS
    assert worker.backoff(40) <= 12 * 3600
