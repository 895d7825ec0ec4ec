"""Web Push building blocks: the VAPID key from its seed, the JWT claims, the payload
under the 4 KB a push message carries, urgency and topic, subscription validation."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.errors import ValidationError
from chalicelib.services import push, vapid
from tests.push_browser import Browser, b64url, b64url_decode

SEED = "s" * 64
NOTIFICATION = {
    "notificationId": "0192f0c4-8a1e-7a3b-9c1d-2e3f4a5b6c7d",
    "userId": "u",
    "type": "mention",
    "workspaceId": "w",
    "channelId": "c",
    "messageId": "m",
    "actor": {"id": "a", "username": "alice", "displayName": "Alice"},
    "preview": "hi",
}


def test_the_vapid_key_is_a_deterministic_function_of_the_seed():
    one, again, other = (vapid.private_key_from_seed(s) for s in (SEED, SEED, "t" * 64))
    assert one.private_numbers().private_value == again.private_numbers().private_value
    assert one.private_numbers().private_value != other.private_numbers().private_value
    assert isinstance(one.curve, ec.SECP256R1)
    signature = one.sign(b"claims", ec.ECDSA(hashes.SHA256()))
    one.public_key().verify(signature, b"claims", ec.ECDSA(hashes.SHA256()))  # a working key
    with pytest.raises(RuntimeError):
        vapid.private_key_from_seed("short")


def test_the_seed_comes_from_json_and_the_public_key_is_65_bytes(monkeypatch):
    from chalicelib import config

    monkeypatch.setenv("VAPID_KEYS", json.dumps({"seed": SEED}))
    config.reset()
    vapid.forget()
    try:
        raw = vapid.public_key_bytes()
        assert len(raw) == 65 and raw[0] == 4
        expected = vapid.private_key_from_seed(SEED).public_key().public_numbers().x.to_bytes(32, "big")
        assert raw[1:33] == expected
        assert b64url_decode(vapid.public_key()) == raw
    finally:
        monkeypatch.delenv("VAPID_KEYS")
        config.reset()
        vapid.forget()


def test_claims_audience_is_the_endpoint_origin_and_expiry_at_most_12_hours():
    now = time.time()
    claims = vapid.claims("https://fcm.googleapis.com:443/fcm/send/abc?x=1", now=now)
    assert claims["aud"] == "https://fcm.googleapis.com:443"
    assert 0 < claims["exp"] - now <= 12 * 3600
    assert claims["sub"] == "mailto:no-reply@disqua.local"


def test_the_payload_has_the_four_fields_and_fits_in_a_push_message():
    doc = json.loads(push.payload(NOTIFICATION))
    assert set(doc) == {"title", "body", "url", "notificationId"}
    assert doc["title"] == "Alice mentioned you" and doc["body"] == "hi"
    assert doc["url"].endswith("/v1/channels/c/messages/m")
    # A long preview is cut (with an ellipsis) to MAX_BODY_CHARS...
    long = json.loads(push.payload({**NOTIFICATION, "preview": 'é"\n' * 2000}))
    assert len(long["body"]) == push.MAX_BODY_CHARS and long["body"].endswith("…")
    # ...and, in 4-byte characters, further: to what fits in one push message.
    huge = {**NOTIFICATION, "preview": "😀" * 3000, "actor": {"displayName": "A" * 300}}
    raw = push.payload(huge)
    assert push.MAX_PAYLOAD_BYTES - 8 < len(raw) <= push.MAX_PAYLOAD_BYTES  # cut at the budget
    cut = json.loads(raw)
    assert cut["body"].endswith("😀…") and cut["notificationId"] == NOTIFICATION["notificationId"]


def test_urgency_and_topic():
    assert push.urgency("mention") == push.urgency("channel_mention") == "high"
    assert push.urgency("reaction") == push.urgency("thread_reply") == "normal"
    topic = push.topic(NOTIFICATION["notificationId"])
    assert len(topic) == 32 and set(topic) <= set("0123456789abcdef")


def test_subscription_validation_names_the_field():
    good = Browser().subscription("https://push.example.com/x")
    parsed = push.parse(good)
    assert parsed.endpoint == "https://push.example.com/x"
    point = bytearray(b64url_decode(good["keys"]["p256dh"]))
    point[10] ^= 0xFF
    for keys, field in (
        ({"p256dh": b64url(bytes(point)), "auth": good["keys"]["auth"]}, "keys.p256dh"),
        ({"p256dh": good["keys"]["p256dh"], "auth": b64url(b"1234")}, "keys.auth"),
        ({"p256dh": "@@@", "auth": good["keys"]["auth"]}, "keys.p256dh"),
    ):
        with pytest.raises(ValidationError) as raised:
            push.parse({**good, "keys": keys})
        assert raised.value.field == field
    with pytest.raises(ValidationError) as raised:
        push.check_endpoint("http://127.0.0.1:9/x")  # the test stage does not allow loopback by default
    assert raised.value.field == "endpoint"
