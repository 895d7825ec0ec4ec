"""OWASP API6:2023 Unrestricted Access to Sensitive Business Flows.
Abuse of sign-up, mail and login (issue 8, item 5), one test per hole found:

- registering an existing address again and again mailed its owner every time;
- one client address could register without limit;
- parallel wrong passwords all passed a failure limit they had read before anyone
  counted (20 parallel guesses: 16 answers of 401 against a limit of 5);
- five wrong passwords from anyone locked the real owner out.

Numbers: README.md ("Auth"), chalicelib/services/accounts.py and email.py.
"""

from __future__ import annotations

import threading
import time
import types

import pytest
from chalice.local import LambdaEventConverter

from app import send_emails
from chalicelib.config import get_settings
from chalicelib.errors import InvalidCredentials, RateLimited
from chalicelib.services import accounts
from chalicelib.services import email as email_service
from chalicelib.store import throttle
from tests.functional.workers.pipeline import StreamReader, deliver
from tests.helpers import outbox_messages

PASSWORD = "correct horse battery"
SOURCE_IP_HEADER = "x-test-source-ip"


@pytest.fixture(autouse=True)
def steady_windows(monkeypatch):
    """Counters count in fixed windows: pin their clock to the middle of a 15-minute
    window (and early in an hour), so no test straddles a window's end."""
    hour = time.time() // 3600 * 3600
    monkeypatch.setattr(throttle, "time", types.SimpleNamespace(time=lambda: hour + 450.0, sleep=time.sleep))


@pytest.fixture(autouse=True)
def source_ips(monkeypatch):
    """Requests carrying ``x-test-source-ip`` come from that address (chalice's test
    client makes every request come from 127.0.0.1)."""
    original = LambdaEventConverter.create_lambda_event

    def create_lambda_event(self, method, path, headers, body=None):
        event = original(self, method, path, headers, body)
        address = event["headers"].pop(SOURCE_IP_HEADER, None)
        if address:
            event["requestContext"]["identity"]["sourceIp"] = address
        return event

    monkeypatch.setattr(LambdaEventConverter, "create_lambda_event", create_lambda_event)


def _register(api, username, email, ip="198.51.100.1"):
    body = {"email": email, "password": PASSWORD, "username": username, "displayName": username.title()}
    return api.post("/v1/auth/register", body, headers={SOURCE_IP_HEADER: ip})


def _login(api, email, password, ip):
    return api.post("/v1/auth/login", {"email": email, "password": password}, headers={SOURCE_IP_HEADER: ip})


# --- mail to one recipient ------------------------------------------------------------


def test_registering_an_existing_address_over_and_over_mails_its_owner_three_times_an_hour(api, monkeypatch, caplog):
    throttled = []
    real_count = email_service.count
    monkeypatch.setattr(email_service, "count", lambda name, value=1: throttled.append(name) or real_count(name))
    reader = StreamReader()
    assert _register(api, "jane", "jane@example.com").status == 201
    attempts = [_register(api, f"impostor{i}", "jane@example.com", ip=f"203.0.113.{i}") for i in range(10)]
    assert {a.status for a in attempts} == {201}  # the callers learn nothing
    deliver(reader, "email", send_emails)
    notices = [m for m in outbox_messages() if m["To"] == "jane@example.com" and "tried to sign up" in m["Subject"]]
    assert len(notices) == email_service.MAX_PER_RECIPIENT["registration-notice"] == 3
    # Another kind of mail to the same address has its own allowance.
    assert [m["Subject"] for m in outbox_messages() if "Verify" in m["Subject"]] == ["Verify your Disqua email address"]
    assert throttled.count("EmailThrottled") == 7
    dropped = [r for r in caplog.records if r.getMessage() == "email dropped: too many to one recipient"]
    assert len(dropped) == 7 and all(r.kind == "registration-notice" for r in dropped)
    assert all("jane@example.com" not in str(vars(r)) for r in dropped)  # no address in the logs


def test_every_kind_of_mail_is_capped_per_recipient(aws_backend):
    for kind, limit in email_service.MAX_PER_RECIPIENT.items():
        sent = [email_service.send(kind, email_service.compose("ann@example.com", kind, "hello")) for _ in range(5)]
        assert sent == [True] * limit + [False] * (5 - limit), kind
    # Someone else's allowance is untouched.
    assert email_service.send("invite", email_service.compose("bob@example.com", "invite", "hello")) is True


# --- registrations per client address ---------------------------------------------------


def test_registrations_per_address_are_limited_whether_or_not_the_email_has_an_account(api):
    assert _register(api, "jane", "jane@example.com", ip="192.0.2.9").status == 201
    for i in range(get_settings().registrations_per_address):
        assert _register(api, f"user{i}", f"user{i}@example.com").status == 201
    existing = _register(api, "someone", "jane@example.com")
    fresh = _register(api, "another", "fresh@example.com")
    assert existing.status == fresh.status == 429
    assert existing.error["code"] == fresh.error["code"] == "E_RATE_LIMIT"
    assert existing.error["message"] == fresh.error["message"]
    assert 0 < int(existing.headers["Retry-After"]) <= accounts.REGISTER_WINDOW_SECONDS + 1
    assert existing.headers["Retry-After"] == fresh.headers["Retry-After"]
    # Nothing was created for the refused ones; other addresses are not affected.
    assert _login(api, "fresh@example.com", PASSWORD, ip="192.0.2.9").status == 401
    assert _register(api, "another", "fresh@example.com", ip="192.0.2.10").status == 201


# --- failed logins: counted and checked in one step ---------------------------------------


def _race_logins(monkeypatch, attempts, *, hold_right_password=None):
    """Run ``attempts`` (email, password, ip) in parallel threads through the login
    service, holding every one between its counter read and its write until all have
    read (so each saw the counters before anyone counted). Returns the results in
    order: a TokenPair or the exception."""
    barrier = threading.Barrier(len(attempts), timeout=30)

    def verify_after_everyone_read(password_hash, password):
        barrier.wait()
        right = password == PASSWORD  # no argon2: the race is the point, not the hash
        if right and hold_right_password is not None:
            hold_right_password.wait(timeout=30)
        return right

    monkeypatch.setattr(accounts.passwords, "verify_password", verify_after_everyone_read)
    monkeypatch.setattr(accounts.passwords, "burn_verification_time", lambda p: verify_after_everyone_read("", p))
    results: list[object] = [None] * len(attempts)

    def attempt(index, email_address, password, ip):
        try:
            results[index] = accounts.login(email_address, password, ip)
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=attempt, args=(i, *a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    return threads, results


def _join(threads):
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()


def test_parallel_wrong_passwords_get_no_more_401s_than_the_limit(api, monkeypatch):
    _register(api, "jane", "jane@example.com")
    threads, results = _race_logins(monkeypatch, [("jane@example.com", f"guess-{i}", "203.0.113.7") for i in range(20)])
    _join(threads)
    wrong = [r for r in results if isinstance(r, InvalidCredentials)]
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert len(wrong) == accounts.MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS == 5, results
    assert len(refused) == 15 and all(r.headers["Retry-After"] for r in refused)


def test_parallel_guesses_across_accounts_get_no_more_401s_than_the_address_limit(api, monkeypatch):
    monkeypatch.setattr(accounts, "MAX_FAILURES_PER_ADDRESS", 4)
    threads, results = _race_logins(monkeypatch, [(f"user{i}@example.com", "guess", "203.0.113.8") for i in range(12)])
    _join(threads)
    assert sum(isinstance(r, InvalidCredentials) for r in results) == 4, results
    assert sum(isinstance(r, RateLimited) for r in results) == 8


def test_a_right_password_in_a_burst_of_guesses_gets_no_session_once_the_limit_is_full(api, monkeypatch):
    """Otherwise a burst of N guesses would tell whether the password was among them."""
    _register(api, "jane", "jane@example.com")
    hold = threading.Event()
    guesses = [("jane@example.com", f"guess-{i}", "203.0.113.7") for i in range(8)]
    threads, results = _race_logins(
        monkeypatch, [*guesses, ("jane@example.com", PASSWORD, "203.0.113.7")], hold_right_password=hold
    )
    _join(threads[:-1])  # the wrong guesses first: they fill the counter
    hold.set()
    _join(threads[-1:])
    assert sum(isinstance(r, InvalidCredentials) for r in results) == 5
    assert isinstance(results[-1], RateLimited), results[-1]


# --- lockout abuse -------------------------------------------------------------------------


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(api):
    _register(api, "jane", "jane@example.com")
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        assert _login(api, "jane@example.com", "wrong-pass", ip="203.0.113.66").status == 401
    attacker = _login(api, "jane@example.com", PASSWORD, ip="203.0.113.66")
    assert (attacker.status, attacker.error["code"]) == (429, "E_RATE_LIMIT")
    owner = _login(api, "jane@example.com", PASSWORD, ip="198.51.100.20")
    assert owner.status == 200, owner.body


def test_the_per_account_ceiling_stops_guessing_from_many_addresses(api, monkeypatch):
    monkeypatch.setattr(accounts, "MAX_FAILURES_PER_ACCOUNT", 6)
    _register(api, "jane", "jane@example.com")
    for i in range(3):
        for _ in range(2):
            assert _login(api, "jane@example.com", "wrong-pass", ip=f"203.0.113.{i}").status == 401
    limited = _login(api, "jane@example.com", "another-guess", ip="203.0.113.200")
    assert limited.status == 429 and limited.error["message"] == accounts._LOGIN_REFUSALS["login-account"]
    assert 0 < int(limited.headers["Retry-After"]) <= accounts.LOGIN_WINDOW_SECONDS + 1


def test_login_limits_are_tighter_per_account_and_address_than_per_account():
    assert accounts.MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS < accounts.MAX_FAILURES_PER_ADDRESS
    assert accounts.MAX_FAILURES_PER_ADDRESS < accounts.MAX_FAILURES_PER_ACCOUNT


# --- the primitive ---------------------------------------------------------------------------


def test_take_counts_in_every_counter_or_in_none(aws_backend):
    roomy = throttle.Limit(throttle.Counter("test-roomy", "x", 3600), 10)
    tight = throttle.Limit(throttle.Counter("test-tight", "x", 3600), 1)
    throttle.take([roomy, tight])
    with pytest.raises(throttle.Exceeded) as refused:
        throttle.take([roomy, tight])
    assert refused.value.limit == tight
    from chalicelib.store.models import Entity

    found = list(Entity.batch_get([roomy.counter.key(), tight.counter.key()]))
    assert throttle.counts(found, [roomy.counter, tight.counter]) == [1, 1]


# --- invites (issue 15) -------------------------------------------------------------------------


@pytest.fixture
def inviting(api):
    from tests.helpers import create_workspace, register

    owner = register(api, "olive")
    return owner, create_workspace(api, owner)


def test_a_single_use_invite_admits_one_of_many_racing_accepts(api, inviting, monkeypatch):
    """API6, invite reuse by racing: eight accounts accept a maxUses=1 link at once, all
    having read it as usable; exactly one joins, the others get 410."""
    from chalicelib.auth.principal import Principal
    from chalicelib.errors import DisquaError
    from chalicelib.services import invites
    from tests.helpers import register

    owner, ws = inviting
    made = api.post(f"/v1/workspaces/{ws['id']}/invites", {"maxUses": 1}, token=owner.access_token)
    assert made.status == 201, made.body
    code = made.data["code"]
    people = [register(api, f"racer{i}") for i in range(8)]
    barrier = threading.Barrier(len(people), timeout=30)
    real_look_up = invites.look_up

    def look_up_then_wait(presented):
        found = real_look_up(presented)
        barrier.wait()  # everyone has seen a usable invite before anyone joins
        return found

    monkeypatch.setattr(invites, "look_up", look_up_then_wait)
    outcomes = []

    def accept(person):
        try:
            invites.accept(Principal(user_id=person.user_id, kind="session"), code)
            outcomes.append("joined")
        except DisquaError as refused:
            outcomes.append(refused.code)

    threads = [threading.Thread(target=accept, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["E_INVITE_GONE"] * 7 + ["joined"] or outcomes.count("joined") == 1, outcomes
    members = api.get(f"/v1/workspaces/{ws['id']}/members", token=owner.access_token).data
    assert len(members) == 2


def test_an_email_invite_is_only_for_its_address(api, inviting):
    """API6, a forwarded invite: a link sent to one address admits only that account."""
    from chalicelib.services import invites
    from tests.functional.api.test_invites import _emailed_code
    from tests.helpers import register

    owner, ws = inviting
    made = api.post(f"/v1/workspaces/{ws['id']}/invites", {"email": "bob@example.com"}, token=owner.access_token)
    assert made.status == 201, made.body
    invites.send_email_invite(made.data["id"])  # what the email worker does on invite.created
    code = _emailed_code("bob@example.com")
    mallory = register(api, "mallory")
    taken = api.post(f"/v1/invites/{code}/accept", token=mallory.access_token)
    assert taken.status == 403, taken.body
    bob = register(api, "bob")
    assert api.post(f"/v1/invites/{code}/accept", token=bob.access_token).status == 200


def test_a_tampered_invite_code_is_the_same_404_as_an_unknown_one(api, inviting):
    """API6, guessing codes: a real invite id with a wrong secret answers exactly as a code
    that does not exist (no oracle for the id), and a revoked code is gone for good."""
    owner, ws = inviting
    made = api.post(f"/v1/workspaces/{ws['id']}/invites", {}, token=owner.access_token).data
    invite_id, _, secret = made["code"].partition(".")
    wrong_secret = f"{invite_id}.{'A' * len(secret)}"
    unknown = f"{'0' * 8}-0000-7000-8000-{'0' * 12}.{secret}"
    answers = [api.get(f"/v1/invites/{code}") for code in (wrong_secret, unknown)]
    assert [(a.status, a.error["code"], a.error["message"]) for a in answers] == [
        (404, "E_NOT_FOUND", answers[0].error["message"])
    ] * 2
    assert api.delete(f"/v1/workspaces/{ws['id']}/invites/{made['id']}", token=owner.access_token).status == 204
    assert api.get(f"/v1/invites/{made['code']}").status == 410
