import time

import jwt
import pytest

from chalicelib.auth import tokens
from chalicelib.config import get_signing_keys
from chalicelib.errors import InvalidToken, TokenExpired
from chalicelib.ids import new_id

USER, SESSION = new_id(), new_id()


def _raw_jwt(claims_override=None, *, key=None, algorithm="HS256", kid="t1"):
    now = int(time.time())
    claims = {
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "sub": USER,
        "iat": now,
        "exp": now + 60,
        "jti": new_id(),
        "sid": SESSION,
        "ev": True,
        **(claims_override or {}),
    }
    secret = key if key is not None else get_signing_keys().keys["t1"]
    return tokens.ACCESS_PREFIX + jwt.encode(claims, secret, algorithm=algorithm, headers={"kid": kid})


def test_access_token_round_trip_carries_identity():
    claims = tokens.verify_access_token(tokens.issue_access_token(USER, SESSION, email_verified=True))
    assert (claims.user_id, claims.session_id, claims.email_verified, claims.scopes) == (USER, SESSION, True, None)
    assert claims.expires_at - time.time() == pytest.approx(tokens.ACCESS_TTL_SECONDS, abs=5)


def test_access_token_has_kid_header_and_pinned_algorithm():
    raw = tokens.issue_access_token(USER, SESSION, email_verified=False)[len(tokens.ACCESS_PREFIX) :]
    header = jwt.get_unverified_header(raw)
    assert header == {"alg": "HS256", "kid": "t1", "typ": "JWT"}


def test_scoped_access_token_lists_its_scopes():
    claims = tokens.verify_access_token(
        tokens.issue_access_token(USER, SESSION, email_verified=True, scopes=["a", "b"])
    )
    assert claims.scopes == frozenset({"a", "b"})


def test_expired_token_is_token_expired():
    with pytest.raises(TokenExpired):
        tokens.verify_access_token(_raw_jwt({"exp": int(time.time()) - 1, "iat": int(time.time()) - 100}))


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: _raw_jwt({"aud": "someone-else"}), id="wrong audience"),
        pytest.param(lambda: _raw_jwt({"iss": "https://evil.example"}), id="wrong issuer"),
        pytest.param(lambda: _raw_jwt(key=b"x" * 48), id="wrong signature"),
        pytest.param(lambda: _raw_jwt(kid="nope"), id="unknown kid"),
        pytest.param(lambda: _raw_jwt(algorithm="HS512"), id="other algorithm"),
        pytest.param(lambda: _raw_jwt({"sid": None}), id="missing session"),
        pytest.param(lambda: tokens.ACCESS_PREFIX + "not.a.jwt", id="garbage"),
        pytest.param(lambda: _raw_jwt()[len(tokens.ACCESS_PREFIX) :], id="no prefix"),
        pytest.param(lambda: str(tokens.new_refresh_token(USER, SESSION)), id="refresh token"),
    ],
)
def test_invalid_access_tokens_are_rejected(token):
    with pytest.raises(InvalidToken):
        tokens.verify_access_token(token())


def test_alg_none_is_rejected():
    unsigned = jwt.encode(
        {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "sub": USER, "exp": int(time.time()) + 60},
        key=None,
        algorithm="none",
        headers={"kid": "t1"},
    )
    with pytest.raises(InvalidToken):
        tokens.verify_access_token(tokens.ACCESS_PREFIX + unsigned)


def test_token_signed_with_an_older_key_still_verifies_during_rotation():
    claims = tokens.verify_access_token(_raw_jwt(key=get_signing_keys().keys["t0"], kid="t0"))
    assert claims.user_id == USER


def test_refresh_token_round_trip():
    token = tokens.new_refresh_token(USER, SESSION)
    parsed = tokens.parse_refresh_token(str(token))
    assert parsed == token
    assert str(token).startswith("dqr_")
    assert parsed.secret_hash == tokens.sha256_hex(token.secret) != token.secret


@pytest.mark.parametrize("text", ["", "dqr_", "dqr_abc.def", "dqt_x.y", "dqr_" + "A" * 43 + "." + "b" * 10])
def test_malformed_refresh_tokens_are_invalid(text):
    with pytest.raises(InvalidToken):
        tokens.parse_refresh_token(text)


def test_api_token_checksum_catches_typos():
    token = tokens.new_api_token()
    assert token.startswith("dqa_") and len(token) == 40
    assert tokens.is_well_formed_api_token(token)
    typo = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert not tokens.is_well_formed_api_token(typo)
    assert not tokens.is_well_formed_api_token(token[:-1])
    assert not tokens.is_well_formed_api_token("dqa_" + "!" * 36)


# --- OAuth client ids and secrets ---------------------------------------------


def test_client_id_round_trips_to_the_app_id():
    app_id = new_id()
    client_id = tokens.client_id_for(app_id)
    assert client_id.startswith("dqc_") and len(client_id) == 4 + 22
    assert tokens.app_id_from_client_id(client_id) == app_id


def test_client_ids_differ_per_app():
    assert tokens.client_id_for(new_id()) != tokens.client_id_for(new_id())


@pytest.mark.parametrize(
    "client_id",
    [
        None,
        42,
        "",
        "dqc_",
        "dqs_AAAAAAAAAAAAAAAAAAAAAA",
        "dqc_AAAAAAAAAAAAAAAAAAAAA",  # 21 chars
        "dqc_AAAAAAAAAAAAAAAAAAAAAAA",  # 23 chars
        "dqc_AAAAAAAAAAAAAAAAAAAA+/",  # standard base64 alphabet
        "dqc_AAAAAAAAAAAAAAAAAAAAA=",
        "dqc_AAAAAAAAAAAAAAAAAAAA\u00e9A",
        " dqc_AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_malformed_client_ids_decode_to_none(client_id):
    assert tokens.app_id_from_client_id(client_id) is None


def test_a_non_canonical_spelling_of_a_client_id_is_refused():
    client_id = tokens.client_id_for(new_id())
    # the last character carries 4 unused bits: flipping one gives the same bytes
    last = client_id[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    alias = client_id[:-1] + alphabet[alphabet.index(last) ^ 1]
    assert tokens.app_id_from_client_id(alias) is None


def test_client_secret_format_and_randomness():
    first, second = tokens.new_client_secret(), tokens.new_client_secret()
    assert first.startswith("dqs_") and len(first) == 4 + 43
    assert first != second
    assert all(c.isalnum() or c in "-_" for c in first[4:])
