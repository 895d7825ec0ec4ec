"""Users, their login credentials, username claims and email verifications."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.store import keys
from chalicelib.store.db import fetch, is_expired, set_or_remove, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import EmailVerification, Event, Login, User, UsernameClaim
from chalicelib.store.outbox import new_event

VERIFICATION_TTL = timedelta(hours=24)


def new_user(user_id: str, email: str, username: str, display_name: str, created_at: str) -> User:
    return User(
        keys.user(user_id),
        keys.PROFILE,
        id=user_id,
        email=email,
        username=username,
        display_name=display_name,
        created_at=created_at,
        email_verified=False,
        status="online",
    )


def create_account(user: User, password_hash: str, event: Event) -> None:
    """User, login (email guard), username claim and event in one transaction.

    Raises AlreadyExists("email" | "username").
    """
    login = Login(
        keys.login(user.email), keys.LOGIN, user_id=user.id, password_hash=password_hash, email_verified=False
    )
    claim = UsernameClaim(keys.username(user.username), keys.GUARD, user_id=user.id)
    # Username first: it is public, the email's existence is not (no enumeration).
    with transaction(taken=("username", "email")) as tx:
        tx.save(login, condition=Login.PK.does_not_exist(), label="email")
        tx.save(claim, condition=UsernameClaim.PK.does_not_exist(), label="username")
        tx.save(user, condition=User.PK.does_not_exist(), label="user")
        tx.save(event)


def username_taken(username: str) -> bool:
    return UsernameClaim.count(keys.username(username), UsernameClaim.SK == keys.GUARD, limit=1) > 0


def key_of(user_id: str) -> tuple[str, str]:
    return keys.user(user_id), keys.PROFILE


def get_user(user_id: str) -> User | None:
    return fetch(User, keys.user(user_id), keys.PROFILE)


def get_login(email: str) -> Login | None:
    return fetch(Login, keys.login(email), keys.LOGIN)


def login_key(email: str) -> tuple[str, str]:
    return keys.login(email), keys.LOGIN


def update_user(user_id: str, changes: dict[str, Any], event: Event | None = None) -> User:
    """Set or remove (value None) profile attributes; the user must exist. With an event
    (user.updated), both commit in one transaction."""
    actions = set_or_remove(User, changes)
    user = User(keys.user(user_id), keys.PROFILE)
    if event is None:
        user.update(actions=actions, condition=User.PK.exists())
        return user
    with transaction() as tx:
        tx.update(user, actions=actions, condition=User.PK.exists())
        tx.save(event)
    return user


def save_verification(token_hash: str, user_id: str, email: str) -> None:
    EmailVerification(
        keys.verification(token_hash), keys.GUARD, user_id=user_id, email=email, ttl=VERIFICATION_TTL
    ).save()


def get_verification(token_hash: str) -> EmailVerification | None:
    try:
        record = EmailVerification.get(keys.verification(token_hash), keys.GUARD)
    except DoesNotExist:
        return None
    # TTL deletion lags by up to two days: an expired record is treated as gone.
    return None if is_expired(record) else record


def mark_verified(verification: EmailVerification) -> None:
    """Verify the user's email, consume the token and emit user.verified, together.

    The login record carries the flag too, so login needs no read of the profile.
    """
    user = User(keys.user(verification.user_id), keys.PROFILE)
    login = Login(keys.login(verification.email), keys.LOGIN)
    try:
        with transaction() as tx:
            tx.update(user, actions=[User.email_verified.set(True)], condition=User.email == verification.email)
            tx.update(login, actions=[Login.email_verified.set(True)], condition=Login.user_id == verification.user_id)
            tx.delete(verification, condition=EmailVerification.PK.exists())
            tx.save(new_event("user.verified", {"userId": verification.user_id}))
    except TransactionCancelled:
        raise ConditionFailed() from None


def get_many(user_ids: list[str]) -> dict[str, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in User.batch_get([(keys.user(uid), keys.PROFILE) for uid in user_ids])}


def user_ids_for_usernames(usernames: list[str]) -> dict[str, str]:
    """username -> user id for those that exist (one BatchGetItem of the claims)."""
    if not usernames:
        return {}
    claims = UsernameClaim.batch_get([(keys.username(u), keys.GUARD) for u in set(usernames)])
    return {c.PK.removeprefix("USERNAME#"): c.user_id for c in claims}
