"""OWASP API2:2023 Broken Authentication.

Forged and tampered access tokens (alg none, an asymmetric alg claimed over the HMAC key,
kid tricks, a flipped signature, expired, another audience or issuer, missing claims), and
token confusion: each kind of credential presented where another kind is expected (session
access token, API token, OAuth access and refresh tokens, login refresh token, Admin Access
Token, public key, client secret), on each surface. Every one is a clean 401 (never a 500,
never accepted). Login and sign-up brute force are in test_api6_sensitive_business_flows.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from chalicelib.auth import tokens
from chalicelib.config import get_signing_keys
from tests.security.conftest import oauth_token, public_key

ME = "/v1/users/me"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(user_id: str, **changes: object) -> dict:
    now = int(time.time())
    claims = {
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "sub": user_id,
        "iat": now,
        "exp": now + 600,
        "jti": "j1",
        "sid": "00000000-0000-7000-8000-000000000001",
        "ev": True,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(header: dict, claims: dict, key: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest() if key else b""
    return tokens.ACCESS_PREFIX + f"{signing_input}.{_b64(signature)}"


def _key() -> bytes:
    keys = get_signing_keys()
    secret = keys.keys[keys.active]
    return secret if isinstance(secret, bytes) else secret.encode()


def _forgeries(user_id: str) -> dict[str, str]:
    key, active = _key(), get_signing_keys().active
    good = _claims(user_id)
    return {
        "alg none": _sign({"alg": "none", "typ": "JWT", "kid": active}, good, None),
        "alg None, signed": _sign({"alg": "None", "kid": active}, good, key),
        "RS256 claimed over the HMAC key": _sign({"alg": "RS256", "kid": active}, good, key),
        "HS512 claimed": _sign({"alg": "HS512", "kid": active}, good, key),
        "kid unknown": _sign({"alg": "HS256", "kid": "k-does-not-exist"}, good, key),
        "kid path traversal": _sign({"alg": "HS256", "kid": "../../../../dev/null"}, good, b""),
        "kid empty, empty key": _sign({"alg": "HS256", "kid": ""}, good, b""),
        "kid a list": _sign({"alg": "HS256", "kid": [active]}, good, key),
        "kid an object": _sign({"alg": "HS256", "kid": {"$ne": ""}}, good, key),
        "kid a number": _sign({"alg": "HS256", "kid": 1}, good, key),
        "no kid": _sign({"alg": "HS256"}, good, key),
        "jku to a foreign key set": _sign({"alg": "HS256", "jku": "https://evil.example/jwks"}, good, b"evil"),
        "signed with another secret": _sign({"alg": "HS256", "kid": active}, good, b"x" * 48),
        "expired": _sign({"alg": "HS256", "kid": active}, _claims(user_id, exp=int(time.time()) - 5), key),
        "another audience": _sign({"alg": "HS256", "kid": active}, _claims(user_id, aud="another-api"), key),
        "another issuer": _sign({"alg": "HS256", "kid": active}, _claims(user_id, iss="https://evil.example"), key),
        "no session id": _sign({"alg": "HS256", "kid": active}, _claims(user_id, sid=None), key),
        "no expiry": _sign({"alg": "HS256", "kid": active}, _claims(user_id, exp=None), key),
        "sub an object": _sign({"alg": "HS256", "kid": active}, _claims(user_id, sub={"$ne": ""}), key),
        "header not JSON": tokens.ACCESS_PREFIX + "bm90IGpzb24.e30.c2ln",
        "three dots": tokens.ACCESS_PREFIX + "a.b.c.d",
        "empty": tokens.ACCESS_PREFIX,
    }


def test_forged_access_tokens_are_401_on_every_surface(api, tenant_a):
    """API2, JWT attacks: alg none / confusion, kid tricks, bad signatures, expired, wrong
    audience or issuer, missing or mistyped claims: 401 in the surface's shape, never 500."""
    wrong = []
    for attack, token in _forgeries(tenant_a.owner.user_id).items():
        for path in (ME, "/api/v2/users", "/api/3.0/forums/details.json?forum=x"):
            answer = api.get(path, token=token)
            refused = answer.status == 401 or (path.startswith("/api/3.0") and answer.status in (400, 401, 403))
            if not refused:
                wrong.append((attack, path, answer.status, answer.body))
    assert wrong == [], "\n".join(map(str, wrong))


def test_an_expired_token_says_so(api, tenant_a):
    key, active = _key(), get_signing_keys().active
    expired = _sign({"alg": "HS256", "kid": active}, _claims(tenant_a.owner.user_id, exp=int(time.time()) - 5), key)
    answer = api.get(ME, token=expired)
    assert (answer.status, answer.error["code"]) == (401, "E_AUTHN_TOKEN_EXPIRED")


def test_the_real_signature_with_a_forged_claim_is_refused(api, tenant_a, tenant_b):
    """API2, claim tampering: change sub (or add an OAuth workspace) in a real token and keep
    its signature: refused."""
    real = tenant_a.owner.access_token[len(tokens.ACCESS_PREFIX) :]
    header, payload, signature = real.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for change in ({"sub": tenant_b.owner.user_id}, {"ws": tenant_b.id, "app": "x"}, {"scope": "admin"}):
        tampered = _b64(json.dumps({**claims, **change}).encode())
        answer = api.get(ME, token=f"{tokens.ACCESS_PREFIX}{header}.{tampered}.{signature}")
        assert answer.status == 401, (change, answer.body)


def test_pyjwt_pins_the_algorithm():
    """The verifier never lets the token choose its algorithm (the HS/RS confusion)."""
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(jwt.encode({"a": 1}, "k" * 64, algorithm="HS512"), "k" * 64, algorithms=[tokens.ALGORITHM])


@pytest.fixture
def every_kind(api, tenant_a, dns):
    """Each kind of credential of workspace A's owner, as strings."""
    from tests.security.conftest import mint

    owner = tenant_a.owner
    login = api.post("/v1/auth/login", {"email": owner.email, "password": owner.password}).data
    made = api.post(
        f"/v1/workspaces/{tenant_a.id}/apps",
        {
            "name": "Probe",
            "redirectUris": ["https://client.example.com/cb"],
            "scopes": ["users:read"],
            "public": False,
            "distributed": False,
        },
        token=owner.access_token,
    ).data
    return {
        "session access token": login["accessToken"],
        "login refresh token": login["refreshToken"],
        "API token": mint(api, owner, tenant_a.id, ["users:read"]),
        "Admin Access Token": mint(api, owner, tenant_a.id, ["admin", "users:read"]),
        "OAuth access token": oauth_token(api, owner, tenant_a.id, ("users:read",)),
        "public key": public_key(api, owner, tenant_a.id),
        "OAuth client secret": made["clientSecret"],
        "OAuth client id": made["clientId"],
    }


def test_token_confusion_across_kinds(api, every_kind):
    """API2, token confusion: a credential of one kind where another is expected is refused:
    a refresh token, a client secret or id, a public key as a Bearer token; a login's refresh
    token at the OAuth token endpoint; an access or API token as a refresh token."""
    for kind in ("login refresh token", "public key", "OAuth client secret", "OAuth client id"):
        answer = api.get(ME, token=every_kind[kind])
        assert (answer.status, answer.error["code"]) == (401, "E_AUTHN_INVALID_TOKEN"), kind
    for kind in ("session access token", "API token", "OAuth access token", "Admin Access Token", "public key"):
        answer = api.post("/v1/auth/refresh", {"refreshToken": every_kind[kind]})
        assert answer.status in (400, 401) and "accessToken" not in str(answer.body), (kind, answer.body)
    for kind in ("session access token", "API token", "OAuth access token"):
        answer = api.get("/api/v2/users", token=every_kind[kind])
        assert answer.status in (401, 403), (kind, answer.body)  # only an Admin Access Token
    assert api.get("/api/v2/users", token=every_kind["Admin Access Token"]).status == 200
    token_endpoint = api.client.http.post(
        "/oauth/token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=f"grant_type=refresh_token&refresh_token={every_kind['login refresh token']}"
        f"&client_id={every_kind['OAuth client id']}&client_secret={every_kind['OAuth client secret']}",
    )
    assert token_endpoint.status_code == 400 and b"invalid_grant" in token_endpoint.body


def test_a_revoked_api_token_stops_at_once_in_this_container(api, tenant_a):
    """API2, a leaked token revoked: refused from the next request on (the container that
    revoked it forgets its cached verdict)."""
    from tests.security.conftest import mint

    owner = tenant_a.owner
    token = mint(api, owner, tenant_a.id, ["users:read"])
    assert api.get(ME, token=token).status == 200
    listed = api.get(f"/v1/workspaces/{tenant_a.id}/tokens", token=owner.access_token).data
    token_id = next(t["id"] for t in listed if t["name"] == "probe")
    assert api.delete(f"/v1/workspaces/{tenant_a.id}/tokens/{token_id}", token=owner.access_token).status == 204
    assert api.get(ME, token=token).status == 401
