"""Web Push routes: the VAPID key, subscribing (validation naming the field, one item
per endpoint, at most 10), unsubscribing, and who may call them."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib import config
from chalicelib.store import push as push_store
from tests.helpers import create_workspace, register
from tests.push_browser import Browser, b64url, b64url_decode

SUBSCRIBE = "/v1/notifications/push/subscribe"
UNSUBSCRIBE = "/v1/notifications/push/unsubscribe"
KEY = "/v1/notifications/push/vapid-public-key"


def _endpoint(n: int = 0) -> str:
    return f"https://push.example.com/send/browser-{n}"


def test_vapid_public_key_is_an_uncompressed_p256_point(api):
    alice = register(api, "alice")
    answer = api.get(KEY, token=alice.access_token)
    assert answer.status == 200
    raw = b64url_decode(answer.data["publicKey"])
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # on the curve
    assert api.get(KEY, token=alice.access_token).data == answer.data  # stable
    assert api.get(KEY).status == 401


def test_subscribe_is_idempotent_per_endpoint_and_unsubscribe_removes(api):
    alice = register(api, "alice")
    browser = Browser()
    first = api.post(SUBSCRIBE, browser.subscription(_endpoint()), token=alice.access_token)
    assert first.status == 201, first.body
    assert first.data["endpoint"] == _endpoint()
    # The same endpoint again, with new keys (a browser refreshing its subscription)
    renewed = Browser()
    again = api.post(SUBSCRIBE, renewed.subscription(_endpoint()), token=alice.access_token)
    assert again.status == 200, again.body
    stored = push_store.list_for_user(alice.user_id)
    assert [s.p256dh for s in stored] == [renewed.p256dh]

    gone = api.post(UNSUBSCRIBE, {"endpoint": _endpoint()}, token=alice.access_token)
    assert gone.status == 200 and gone.data == {"endpoint": _endpoint(), "removed": True}
    assert push_store.list_for_user(alice.user_id) == []
    twice = api.post(UNSUBSCRIBE, {"endpoint": _endpoint()}, token=alice.access_token)
    assert twice.status == 200 and twice.data["removed"] is False


def test_the_eleventh_subscription_is_refused_until_one_goes(api):
    alice = register(api, "alice")
    for n in range(10):
        assert api.post(SUBSCRIBE, Browser().subscription(_endpoint(n)), token=alice.access_token).status == 201
    refused = api.post(SUBSCRIBE, Browser().subscription(_endpoint(10)), token=alice.access_token)
    assert refused.status == 409
    assert refused.error["code"] == "E_CONFLICT" and "10" in refused.error["message"]
    # an existing endpoint can still be refreshed at the cap
    assert api.post(SUBSCRIBE, Browser().subscription(_endpoint(3)), token=alice.access_token).status == 200
    assert api.post(UNSUBSCRIBE, {"endpoint": _endpoint(0)}, token=alice.access_token).data["removed"]
    assert api.post(SUBSCRIBE, Browser().subscription(_endpoint(10)), token=alice.access_token).status == 201
    assert len(push_store.list_for_user(alice.user_id)) == 10


def test_an_endpoint_has_one_owner(api):
    """The next person logging in on a browser takes its subscription over: the
    previous user's notifications must not reach them."""
    alice, bob = register(api, "alice"), register(api, "bob")
    browser = Browser()
    assert api.post(SUBSCRIBE, browser.subscription(_endpoint()), token=alice.access_token).status == 201
    assert api.post(SUBSCRIBE, browser.subscription(_endpoint()), token=bob.access_token).status == 201
    assert push_store.list_for_user(alice.user_id) == []
    assert [s.endpoint for s in push_store.list_for_user(bob.user_id)] == [_endpoint()]
    # alice's count went down with it: she can still have 10
    for n in range(1, 11):
        assert api.post(SUBSCRIBE, Browser().subscription(_endpoint(n)), token=alice.access_token).status == 201


def _bad(**change):
    body = Browser().subscription(_endpoint())
    keys = change.pop("keys", {})
    body.update(change)
    body["keys"].update(keys)
    return body


def _off_curve() -> str:
    raw = bytearray(b64url_decode(Browser().p256dh))
    raw[-1] ^= 1  # y no longer matches x
    return b64url(bytes(raw))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_bad(endpoint="http://push.example.com/x"), "endpoint"),
        (_bad(endpoint="ftp://push.example.com/x"), "endpoint"),
        (_bad(endpoint="https://user:pw@push.example.com/x"), "endpoint"),
        (_bad(endpoint="https:///nohost"), "endpoint"),
        (_bad(endpoint="https://push.example.com/" + "a" * 2048), "endpoint"),
        (_bad(endpoint="http://127.0.0.1:9/x"), "endpoint"),  # loopback only where allowed
        (_bad(keys={"p256dh": "not base64!"}), "keys.p256dh"),
        (_bad(keys={"p256dh": b64url(b"\x04" + b"\x01" * 32)}), "keys.p256dh"),  # 33 bytes
        (_bad(keys={"p256dh": b64url(b"\x02" + b"\x01" * 64)}), "keys.p256dh"),  # not 0x04
        (_bad(keys={"p256dh": _off_curve()}), "keys.p256dh"),
        (_bad(keys={"auth": b64url(b"x" * 15)}), "keys.auth"),
        (_bad(keys={"auth": b64url(b"x" * 17)}), "keys.auth"),
        (_bad(expirationTime="soon"), "expirationTime"),
        (_bad(extra=1), "extra"),
        ({"endpoint": _endpoint(), "keys": {"auth": b64url(b"x" * 16)}}, "keys.p256dh"),
        ({"endpoint": _endpoint()}, "keys"),
    ],
)
def test_validation_errors_name_the_field(api, body, field):
    alice = register(api, "alice")
    answer = api.post(SUBSCRIBE, body, token=alice.access_token)
    assert answer.status == 400, answer.body
    assert answer.error["code"] == "E_VALIDATION"
    assert answer.error["field"] == field, answer.error
    assert push_store.list_for_user(alice.user_id) == []


def test_loopback_http_is_accepted_where_allowed(api, monkeypatch):
    alice = register(api, "alice")
    monkeypatch.setenv("PUSH_ALLOW_LOOPBACK", "true")
    config.reset()
    local = Browser().subscription("http://127.0.0.1:8999/push/abc")
    assert api.post(SUBSCRIBE, local, token=alice.access_token).status == 201
    still_refused = Browser().subscription("http://10.0.0.1/push/abc")
    assert api.post(SUBSCRIBE, still_refused, token=alice.access_token).error["field"] == "endpoint"


def test_push_subscriptions_need_a_session_not_an_api_token(api):
    alice = register(api, "alice")
    ws = create_workspace(api, alice)
    made = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "bot", "scopes": ["messages:read"]}, token=alice.access_token
    )
    assert made.status == 201, made.body
    token = made.data["token"]
    refused = api.post(SUBSCRIBE, Browser().subscription(_endpoint()), token=token)
    assert refused.status == 403 and refused.error["code"] == "E_AUTHZ_INSUFFICIENT_SCOPE"
    assert api.post(UNSUBSCRIBE, {"endpoint": _endpoint()}, token=token).status == 403
    assert api.get(KEY, token=token).status == 200  # the public key is public
    assert api.post(SUBSCRIBE, Browser().subscription(_endpoint())).status == 401


def test_a_refresh_racing_an_unsubscribe_subscribes_anew(api, monkeypatch):
    """The transaction saw the endpoint, the unsubscribe won before the refresh's put:
    the refresh adds it as new (counted), instead of a 500."""
    from chalicelib.store.models import PushSubscription

    alice = register(api, "alice")
    browser = Browser()
    assert api.post(SUBSCRIBE, browser.subscription(_endpoint()), token=alice.access_token).status == 201
    real_save = PushSubscription.save
    raced = []

    def save_after_an_unsubscribe(self, *args, **kwargs):
        if not raced:
            raced.append(push_store.remove(alice.user_id, push_store.endpoint_hash(_endpoint())))
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(PushSubscription, "save", save_after_an_unsubscribe)
    again = api.post(SUBSCRIBE, Browser().subscription(_endpoint()), token=alice.access_token)
    assert raced == [True]
    assert again.status == 201, again.body
    assert len(push_store.list_for_user(alice.user_id)) == 1
    monkeypatch.undo()
    for n in range(1, 10):  # the count is exact: 9 more fit, not 10
        assert api.post(SUBSCRIBE, Browser().subscription(_endpoint(n)), token=alice.access_token).status == 201
    assert api.post(SUBSCRIBE, Browser().subscription(_endpoint(10)), token=alice.access_token).status == 409
