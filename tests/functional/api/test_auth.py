"""/v1/auth over chalice.test.Client and moto."""

import threading
import time

import pytest

from chalicelib.services import accounts
from tests.helpers import outbox_messages, register, verification_token


def _register(api, name="jane", email=None, password="correct horse battery"):
    return api.post(
        "/v1/auth/register",
        {"email": email or f"{name}@example.com", "password": password, "username": name, "displayName": "Jane"},
    )


def test_register_then_verify_then_login(api):
    created = _register(api)
    assert created.status == 201 and set(created.data) == {"userId"}
    accounts.send_verification(created.data["userId"])
    token = verification_token("jane@example.com")
    assert api.get(f"/v1/auth/verify?token={token}").data == {"verified": True}
    login = api.post("/v1/auth/login", {"email": "JANE@example.com", "password": "correct horse battery"})
    assert login.status == 200
    assert login.data["accessToken"].startswith("dqt_") and login.data["refreshToken"].startswith("dqr_")
    me = api.get("/v1/users/me", token=login.data["accessToken"]).data
    assert me["emailVerified"] is True and me["id"] == created.data["userId"]


def test_verification_token_works_once(api):
    account = register(api, "jane", verified=False)
    accounts.send_verification(account.user_id)
    token = verification_token(account.email)
    assert api.post("/v1/auth/verify", {"token": token}).status == 200
    again = api.post("/v1/auth/verify", {"token": token})
    assert (again.status, again.error["code"], again.error["field"]) == (400, "E_VALIDATION", "token")


def test_unverified_account_may_log_in_but_not_create_workspaces(api):
    account = register(api, "jane", verified=False)
    assert api.get("/v1/users/me", token=account.access_token).data["emailVerified"] is False
    answer = api.post("/v1/workspaces", {"name": "Acme"}, token=account.access_token)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_EMAIL_UNVERIFIED")


def test_resend_verification_is_rate_limited(api):
    account = register(api, "jane", verified=False)
    for _ in range(accounts.MAX_RESENDS):
        assert api.post("/v1/auth/verify/resend", token=account.access_token).status == 202
    limited = api.post("/v1/auth/verify/resend", token=account.access_token)
    assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0


def test_register_existing_email_answers_like_a_new_account_and_mails_the_owner(api, monkeypatch):
    first = _register(api, "jane")
    hashed = []
    original = accounts.passwords.hash_password
    monkeypatch.setattr(accounts.passwords, "hash_password", lambda p: hashed.append(p) or original(p))
    second = _register(api, "other", email="jane@example.com")
    assert second.status == 201 and second.data["userId"] != first.data["userId"]
    assert hashed == ["correct horse battery"]  # the same work as a real registration
    accounts.send_registration_notice(first.data["userId"])  # what the email worker does
    assert any("tried to sign up" in m["Subject"] for m in outbox_messages())
    # The throwaway id is not an account.
    login = api.post("/v1/auth/login", {"email": "jane@example.com", "password": "correct horse battery"})
    assert login.status == 200


def test_taken_username_is_a_conflict(api):
    _register(api, "jane")
    taken = _register(api, "JANE", email="other@example.com")
    assert (taken.status, taken.error["code"], taken.error["field"]) == (409, "E_CONFLICT", "username")


def test_taken_username_wins_over_taken_email_so_emails_cannot_be_probed(api):
    _register(api, "jane")
    _register(api, "bob")
    probe = _register(api, "bob", email="jane@example.com")
    assert probe.status == 409 and probe.error["field"] == "username"


def test_unknown_email_and_wrong_password_answer_the_same(api, monkeypatch):
    _register(api, "jane")
    verified = []
    original = accounts.passwords.verify_password
    monkeypatch.setattr(accounts.passwords, "verify_password", lambda h, p: verified.append(p) or original(h, p))
    wrong = api.post("/v1/auth/login", {"email": "jane@example.com", "password": "nope-nope"})
    unknown = api.post("/v1/auth/login", {"email": "ghost@example.com", "password": "nope-nope"})
    assert wrong.status == unknown.status == 401
    assert wrong.error["code"] == unknown.error["code"] == "E_AUTHN_INVALID_CREDENTIALS"
    assert wrong.error["message"] == unknown.error["message"]
    assert verified == ["nope-nope", "nope-nope"]  # argon2 ran for the unknown email too


def test_failed_logins_are_throttled_per_account_and_address(api):
    _register(api, "jane")
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        assert api.post("/v1/auth/login", {"email": "jane@example.com", "password": "wrong-pass"}).status == 401
    limited = api.post("/v1/auth/login", {"email": "jane@example.com", "password": "correct horse battery"})
    assert (limited.status, limited.error["code"]) == (429, "E_RATE_LIMIT")
    assert 0 < int(limited.headers["Retry-After"]) <= accounts.LOGIN_WINDOW_SECONDS + 1


def test_failed_logins_are_throttled_per_address(api, monkeypatch):
    monkeypatch.setattr(accounts, "MAX_FAILURES_PER_ADDRESS", 3)
    for i in range(3):
        api.post("/v1/auth/login", {"email": f"user{i}@example.com", "password": "wrong-pass"})
    limited = api.post("/v1/auth/login", {"email": "fresh@example.com", "password": "wrong-pass"})
    assert limited.status == 429 and "address" in limited.error["message"]


def test_successful_login_resets_the_account_and_address_counter(api):
    _register(api, "jane")
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS - 1):
        api.post("/v1/auth/login", {"email": "jane@example.com", "password": "wrong-pass"})
    assert api.post("/v1/auth/login", {"email": "jane@example.com", "password": "correct horse battery"}).status == 200
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS - 1):
        assert api.post("/v1/auth/login", {"email": "jane@example.com", "password": "wrong-pass"}).status == 401


def test_refresh_rotates_and_the_old_token_stops_working(api):
    account = register(api, "jane")
    rotated = api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token})
    assert rotated.status == 200 and rotated.data["refreshToken"] != account.refresh_token
    assert api.get("/v1/users/me", token=rotated.data["accessToken"]).status == 200
    reused = api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token})
    assert (reused.status, reused.error["code"]) == (401, "E_AUTHN_INVALID_TOKEN")


def test_reusing_a_rotated_token_revokes_the_whole_family(api):
    account = register(api, "jane")
    newer = api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token}).data["refreshToken"]
    assert api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token}).status == 401  # reuse
    revoked = api.post("/v1/auth/refresh", {"refreshToken": newer})
    assert revoked.status == 401, "the legitimate newest token must die with the family"


def test_other_sessions_survive_a_reuse_in_one_family(api):
    account = register(api, "jane")
    other = api.post("/v1/auth/login", {"email": account.email, "password": account.password}).data
    api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token})
    api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token})
    assert api.post("/v1/auth/refresh", {"refreshToken": other["refreshToken"]}).status == 200


def test_forged_refresh_secret_does_not_revoke_the_family(api):
    account = register(api, "jane")
    ids, _secret = account.refresh_token.split(".")
    forged = f"{ids}.{'A' * 43}"
    assert api.post("/v1/auth/refresh", {"refreshToken": forged}).status == 401
    assert api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token}).status == 200


def test_concurrent_refreshes_with_one_token_exactly_one_wins(api, monkeypatch):
    account = register(api, "jane")
    from chalicelib.store import sessions

    # Hold every refresher between its read and its conditional write, so they race.
    barrier = threading.Barrier(4, timeout=10)
    original_rotate = sessions.rotate

    def rotate_after_everyone_read(*args, **kwargs):
        barrier.wait()
        return original_rotate(*args, **kwargs)

    monkeypatch.setattr(sessions, "rotate", rotate_after_everyone_read)
    results = []

    def attempt():
        try:
            results.append(accounts.refresh(account.refresh_token))
        except Exception as error:  # the losers: E_AUTHN_INVALID_TOKEN
            results.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if isinstance(r, accounts.TokenPair)]
    losers = [r for r in results if not isinstance(r, accounts.TokenPair)]
    assert len(winners) == 1, results
    assert len(losers) == 3 and all(getattr(e, "code", None) == "E_AUTHN_INVALID_TOKEN" for e in losers)


def test_logout_revokes_this_session_only(api):
    account = register(api, "jane")
    other = api.post("/v1/auth/login", {"email": account.email, "password": account.password}).data
    assert api.post("/v1/auth/logout", token=account.access_token).data == {"revokedSessions": 1}
    assert api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token}).status == 401
    assert api.post("/v1/auth/refresh", {"refreshToken": other["refreshToken"]}).status == 200


def test_logout_all_revokes_every_session(api):
    account = register(api, "jane")
    other = api.post("/v1/auth/login", {"email": account.email, "password": account.password}).data
    assert api.post("/v1/auth/logout", {"all": True}, token=account.access_token).data == {"revokedSessions": 2}
    assert api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token}).status == 401
    assert api.post("/v1/auth/refresh", {"refreshToken": other["refreshToken"]}).status == 401


def test_expired_refresh_token_is_rejected(api, monkeypatch):
    account = register(api, "jane")
    real_time = time.time
    monkeypatch.setattr(accounts.time, "time", lambda: real_time() + 8 * 24 * 3600)
    expired = api.post("/v1/auth/refresh", {"refreshToken": account.refresh_token})
    assert expired.status == 401


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "E_AUTHN_INVALID_TOKEN"),
        ("Basic abc", "E_AUTHN_INVALID_TOKEN"),
        ("Bearer", "E_AUTHN_INVALID_TOKEN"),
        ("Bearer dqt_nope", "E_AUTHN_INVALID_TOKEN"),
        ("Bearer dqa_" + "a" * 36, "E_AUTHN_INVALID_TOKEN"),
        ("Bearer something-else", "E_AUTHN_INVALID_TOKEN"),
    ],
)
def test_bad_credentials_are_401(api, authorization, code):
    headers = {"Authorization": authorization} if authorization else {}
    answer = api.get("/v1/users/me", headers=headers)
    assert (answer.status, answer.error["code"]) == (401, code)
    assert answer.error["requestId"] == answer.headers["X-Request-Id"]


def test_refresh_token_is_not_an_access_token(api):
    account = register(api, "jane")
    answer = api.get("/v1/users/me", token=account.refresh_token)
    assert (answer.status, answer.error["code"]) == (401, "E_AUTHN_INVALID_TOKEN")


def test_expired_access_token_says_so(api, monkeypatch):
    import jwt.api_jwt

    account = register(api, "jane")

    class SixteenMinutesLater:
        """PyJWT's clock, moved past the 15-minute lifetime."""

        @staticmethod
        def now(tz=None):
            from datetime import datetime, timedelta

            return datetime.now(tz) + timedelta(minutes=16)

    monkeypatch.setattr(jwt.api_jwt, "datetime", SixteenMinutesLater)
    answer = api.get("/v1/users/me", token=account.access_token)
    assert (answer.status, answer.error["code"]) == (401, "E_AUTHN_TOKEN_EXPIRED")
