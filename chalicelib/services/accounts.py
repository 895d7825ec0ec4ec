"""Accounts: registration, email verification, login, refresh rotation, logout.

Anti-enumeration (OWASP Authentication Cheat Sheet): registering an email that
already has an account answers exactly like a new registration (201 and a userId)
and mails the owner instead; login answers the same E_AUTHN_INVALID_CREDENTIALS,
after the same argon2 work, for an unknown email and a wrong password. Usernames are
public, so a taken username is a plain 409.

An unverified account may log in, read and edit its own profile and ask for another
verification email; everything that reaches other people (creating workspaces,
minting API tokens, accepting invites) needs a verified email (docs/permissions.md).

Throttles (OWASP Authentication Cheat Sheet, "Account Lockout"; numbers in README.md):
- Failed logins are counted per account *and client address* (the tight limit, so
  someone guessing from elsewhere cannot lock the owner out), per account (a looser
  ceiling against guessing from many addresses) and per address (against stuffing
  many accounts). Counting and checking are one conditional write (store/throttle.py):
  a wrong password is answered 401 only if its failure could be counted, else 429; a
  right one gets a session only while no counter is full (its session write carries
  the same conditions), so a burst of parallel guesses learns no more than the same
  guesses one after the other.
- Registrations are counted per client address before anything else happens, so the
  answer (201 or 429) does not depend on whether the email has an account.
- Mail to one recipient is throttled where it is sent (services/email.py).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from chalicelib import links
from chalicelib.auth import passwords, tokens
from chalicelib.auth.principal import Principal
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, InvalidCredentials, InvalidToken, NotFound, RateLimited, ValidationError
from chalicelib.ids import new_id, now_iso
from chalicelib.observability import count
from chalicelib.services import authz, email
from chalicelib.store import outbox, throttle
from chalicelib.store import sessions as session_store
from chalicelib.store import users as user_store
from chalicelib.store.errors import AlreadyExists, ConditionFailed
from chalicelib.store.models import Entity, Login
from chalicelib.store.outbox import new_event

# Failed logins, in fixed windows: per account from one client address (the limit
# an owner logging in from elsewhere never meets), per account from anywhere, and
# per client address whatever the account.
LOGIN_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
MAX_FAILURES_PER_ACCOUNT = 100
MAX_FAILURES_PER_ADDRESS = 50
# Registrations per client address and hour, whatever the outcome:
# settings.registrations_per_address (10; the local stage, where every caller is
# 127.0.0.1, raises it in .chalice/config.json).
REGISTER_WINDOW_SECONDS = 3600
RESEND_WINDOW_SECONDS = 3600
MAX_RESENDS = 3  # verification mail is capped at 3 an hour per recipient anyway


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str


# --- registration ------------------------------------------------------------------


def register(email_address: str, password: str, username: str, display_name: str, *, client_ip: str) -> str:
    # Counted first, whatever follows: the answer cannot depend on the email.
    try:
        throttle.take([throttle.Limit(_registrations(client_ip), get_settings().registrations_per_address)])
    except throttle.Exceeded as full:
        count("RegistrationThrottled")
        raise RateLimited(full.retry_after, "Too many sign-ups from this address: try again later.") from None
    user_id = new_id()
    password_hash = passwords.hash_password(password)
    user = user_store.new_user(user_id, email_address, username, display_name, now_iso())
    try:
        user_store.create_account(user, password_hash, new_event("user.registered", {"userId": user_id}))
    except AlreadyExists as taken:
        if taken.what == "username":
            raise Conflict("This username is taken.", field="username") from None
        # The email has an account: tell its owner by mail, and the caller nothing.
        existing = user_store.get_login(email_address)
        if existing is not None:
            outbox.publish("user.registration_attempted", {"userId": existing.user_id})
    count("UserRegistered")
    return user_id


def _registrations(client_ip: str) -> throttle.Counter:
    return throttle.Counter("register-address", client_ip, REGISTER_WINDOW_SECONDS)


def send_verification(user_id: str) -> None:
    """Mint a verification token (stored hashed, 24 h) and mail the link."""
    user = user_store.get_user(user_id)
    if user is None or user.email_verified:
        return
    token = secrets.token_urlsafe(32)
    user_store.save_verification(tokens.sha256_hex(token), user.id, user.email)
    link = links.verify_email(token)
    email.send(
        "verification",
        email.compose(
            user.email,
            "Verify your Disqua email address",
            f"Hello {user.display_name},\n\nConfirm your email address by opening this link within 24 hours:\n\n"
            f"{link}\n\nOr POST the token to {links.verify_email_endpoint()}: {token}\n\n"
            "If you did not sign up for Disqua, ignore this message.\n",
        ),
    )


def send_registration_notice(user_id: str) -> None:
    user = user_store.get_user(user_id)
    if user is None:
        return
    email.send(
        "registration-notice",
        email.compose(
            user.email,
            "Someone tried to sign up with your email address",
            f"Hello {user.display_name},\n\nSomeone tried to create a Disqua account with this address, which "
            "already has one. If it was you, log in instead (or reset your password).\n"
            "If it was not you, you can ignore this message: nothing changed.\n",
        ),
    )


def verify_email(token: str) -> None:
    record = user_store.get_verification(tokens.sha256_hex(token))
    if record is None:
        raise ValidationError("The verification token is invalid or has expired.", field="token")
    try:
        user_store.mark_verified(record)
    except ConditionFailed:
        raise ValidationError("The verification token is invalid or has expired.", field="token") from None
    count("EmailVerified")


def request_verification(principal: Principal) -> None:
    authz.require_session(principal)
    if principal.email_verified:
        raise Conflict("The email address is already verified.")
    counter = throttle.Counter("verify-resend", principal.user_id, RESEND_WINDOW_SECONDS)
    try:
        throttle.take([throttle.Limit(counter, MAX_RESENDS)])
    except throttle.Exceeded as full:
        raise RateLimited(full.retry_after, "Too many verification emails: try again later.") from None
    outbox.publish("user.verification_requested", {"userId": principal.user_id})


# --- sessions ----------------------------------------------------------------------


def _start_session(user_id: str, email_verified: bool, within: tuple[throttle.Limit, ...] = ()) -> TokenPair:
    session_id = new_id()
    refresh = tokens.new_refresh_token(user_id, session_id)
    session_store.create(
        session_id,
        user_id,
        refresh.secret_hash,
        now_iso(),
        int(time.time()) + tokens.REFRESH_TTL_SECONDS,
        within=within,
    )
    access = tokens.issue_access_token(user_id, session_id, email_verified=email_verified)
    return TokenPair(access, str(refresh))


_LOGIN_REFUSALS = {
    "login-account-address": "Too many failed logins for this account from this address: try again later.",
    "login-account": "Too many failed logins for this account: try again later.",
    "login-address": "Too many failed logins from this address: try again later.",
}


def _login_limits(email_address: str, client_ip: str) -> tuple[throttle.Limit, ...]:
    """The tight per-(account, address) limit first: its counter is the one a
    successful login resets."""
    return (
        throttle.Limit(
            throttle.Counter("login-account-address", f"{email_address}\n{client_ip}", LOGIN_WINDOW_SECONDS),
            MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
        ),
        throttle.Limit(
            throttle.Counter("login-account", email_address, LOGIN_WINDOW_SECONDS), MAX_FAILURES_PER_ACCOUNT
        ),
        throttle.Limit(throttle.Counter("login-address", client_ip, LOGIN_WINDOW_SECONDS), MAX_FAILURES_PER_ADDRESS),
    )


def _refused(limit: throttle.Limit, retry_after: int) -> RateLimited:
    count("LoginThrottled")
    return RateLimited(retry_after, _LOGIN_REFUSALS[limit.counter.bucket])


def login(email_address: str, password: str, client_ip: str) -> TokenPair:
    """At most three DynamoDB calls: one batch read (credentials and the failure
    counters), then the session write guarded by the counters' limits and, after
    earlier failures from this address, a counter reset; or, on failure, one
    conditional increment of every counter."""
    limits = _login_limits(email_address, client_ip)
    found = list(Entity.batch_get([user_store.login_key(email_address)] + [limit.counter.key() for limit in limits]))
    failures = throttle.counts(found, [limit.counter for limit in limits])
    for limit, failed in zip(limits, failures, strict=True):
        if failed >= limit.max:  # already full: refuse without spending argon2 on it
            raise _refused(limit, limit.counter.retry_after())
    login_record = next((item for item in found if isinstance(item, Login)), None)
    if login_record is None:
        passwords.burn_verification_time(password)
        ok = False
    else:
        ok = passwords.verify_password(login_record.password_hash, password)
    if not ok or login_record is None:
        try:
            throttle.take(limits)  # the failure is answered only if it could be counted
        except throttle.Exceeded as full:
            raise _refused(full.limit, full.retry_after) from None
        count("LoginFailed")
        raise InvalidCredentials()
    try:
        pair = _start_session(login_record.user_id, bool(login_record.email_verified), within=limits)
    except throttle.Exceeded as full:
        # Others' failures filled a counter since it was read: no session either.
        raise _refused(full.limit, full.retry_after) from None
    if failures[0]:
        throttle.reset(limits[0].counter)
    count("LoginSucceeded")
    return pair


def refresh(refresh_token: str) -> TokenPair:
    """Rotate: at most two calls (one batch read of session and user, one update)."""
    presented = tokens.parse_refresh_token(refresh_token)
    session, user = session_store.get_with_user(presented.user_id, presented.session_id)
    # An OAuth grant is a session too, but its tokens are the app's: they refresh only at
    # /oauth/token (services/oauth.py), never here. The two families never cross.
    if session is None or user is None or session.revoked or session.app_id is not None:
        raise InvalidToken("The refresh token is invalid.")
    presented_hash = presented.secret_hash
    if not secrets.compare_digest(presented_hash, session.token_hash):
        if presented_hash in (session.previous_hashes or []):
            # A rotated token came back: someone holds a copy. End the whole family.
            session_store.revoke(session.user_id, session.id, "reuse")
            count("RefreshTokenReuse")
        raise InvalidToken("The refresh token is invalid.")
    if session.expires_at < time.time():
        raise InvalidToken("The refresh token has expired.")
    new_refresh = tokens.new_refresh_token(session.user_id, session.id)
    try:
        session_store.rotate(session, new_refresh.secret_hash, int(time.time()) + tokens.REFRESH_TTL_SECONDS)
    except ConditionFailed:
        # A concurrent refresh with the same token won the race.
        raise InvalidToken("The refresh token was already used.") from None
    access = tokens.issue_access_token(session.user_id, session.id, email_verified=bool(user.email_verified))
    return TokenPair(access, str(new_refresh))


def logout(principal: Principal, everywhere: bool) -> int:
    """Revoke this session's refresh token, or every session of the user.

    Access tokens already issued stay valid until they expire (15 minutes at most):
    verifying them reads nothing, by design.
    """
    if not principal.is_session or principal.session_id is None:
        raise NotFound("No session to log out of: API tokens are revoked in the workspace settings.")
    if not everywhere:
        session_store.revoke(principal.user_id, principal.session_id, "logout")
        return 1
    revoked = 0
    for session in session_store.list_for_user(principal.user_id):
        # App grants are not logins: the user approved them in a consent screen and takes
        # them back per app (revocation, uninstall), so "log out everywhere" leaves them.
        if not session.revoked and session.app_id is None:
            session_store.revoke(principal.user_id, session.id, "logout-all")
            revoked += 1
    return revoked
