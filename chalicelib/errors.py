"""Domain errors. Services raise these; each API surface renders them in its envelope.

The codes and HTTP statuses are the spec's error table (disqua-getting-started).
``E_AUTHZ_EMAIL_UNVERIFIED``, ``E_IDEMPOTENCY_*``, ``E_METHOD_NOT_ALLOWED`` and
``E_PAYLOAD_TOO_LARGE``, ``E_UNSUPPORTED_MEDIA_TYPE`` and ``E_UNAVAILABLE`` are ours, documented in README.md.
"""

from __future__ import annotations


class DisquaError(Exception):
    code = "E_INTERNAL"
    status = 500
    default_message = "Unexpected server error. Contact support with the requestId."

    def __init__(self, message: str | None = None, *, field: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.field = field
        self.headers = headers or {}


class ValidationError(DisquaError):
    code = "E_VALIDATION"
    status = 400
    default_message = "The request failed validation."


class PayloadTooLarge(ValidationError):
    status = 413
    default_message = "The request body is too large."


class UnsupportedMediaType(DisquaError):
    code = "E_UNSUPPORTED_MEDIA_TYPE"
    status = 415
    default_message = "Request bodies are JSON in UTF-8 (Content-Type: application/json)."


class InvalidToken(DisquaError):
    code = "E_AUTHN_INVALID_TOKEN"
    status = 401
    default_message = "Missing or invalid Bearer token."


class TokenExpired(DisquaError):
    code = "E_AUTHN_TOKEN_EXPIRED"
    status = 401
    default_message = "The access token has expired: refresh it."


class InvalidCredentials(DisquaError):
    # Same answer for an unknown email and a wrong password: no account enumeration.
    code = "E_AUTHN_INVALID_CREDENTIALS"
    status = 401
    default_message = "The email or password is incorrect."


class NotMember(DisquaError):
    code = "E_AUTHZ_NOT_MEMBER"
    status = 403
    default_message = "You are not a member of this workspace or channel."


class InsufficientScope(DisquaError):
    code = "E_AUTHZ_INSUFFICIENT_SCOPE"
    status = 403
    default_message = "The token lacks the scope this operation requires."


class Forbidden(DisquaError):
    code = "E_AUTHZ_FORBIDDEN"
    status = 403
    default_message = "Your role does not allow this operation."


class EmailUnverified(DisquaError):
    code = "E_AUTHZ_EMAIL_UNVERIFIED"
    status = 403
    default_message = "Verify your email address first."


class PlanLimit(DisquaError):
    code = "E_PLAN_LIMIT"
    status = 403
    default_message = "Action blocked by your current plan limits."


class CreationLimit(PlanLimit):
    """A cap on how many of something one forum or workspace holds (categories, blacklist
    entries): v1's E_PLAN_LIMIT, Disqus's code 24 ("maximum number of creations exceeded")."""


class NotFound(DisquaError):
    code = "E_NOT_FOUND"
    status = 404
    default_message = "Resource does not exist or is not accessible."


class Unavailable(DisquaError):
    code = "E_UNAVAILABLE"
    status = 503
    default_message = "This feature is not available on this deployment."


class MethodNotAllowed(DisquaError):
    code = "E_METHOD_NOT_ALLOWED"
    status = 405
    default_message = "This method is not allowed on this route."


class Conflict(DisquaError):
    code = "E_CONFLICT"
    status = 409
    default_message = "Unique constraint violation."


class IdempotencyInProgress(DisquaError):
    code = "E_IDEMPOTENCY_IN_PROGRESS"
    status = 409
    default_message = "A request with this Idempotency-Key is still being processed."


class IdempotencyMismatch(DisquaError):
    code = "E_IDEMPOTENCY_MISMATCH"
    status = 422
    default_message = "This Idempotency-Key was used with a different request."


class ChannelArchived(DisquaError):
    code = "E_CHANNEL_ARCHIVED"
    status = 410
    default_message = "Channel is archived: messages cannot be sent."


class ChannelClosed(DisquaError):
    """Closed by Admin v2 (``POST /api/v2/channel/:channelId/close``, irreversible): every
    surface answers this for the channel, reads included."""

    code = "E_CHANNEL_CLOSED"
    status = 410
    default_message = "This channel is closed."


class UserBanned(Forbidden):
    """Globally banned from the workspace by Admin v2 (``POST /api/v2/users/ban``): refused on
    every surface until unbanned. A Forbidden: Disqus answers it with code 22."""

    code = "E_USER_BANNED"
    status = 403
    default_message = "You are banned from this workspace."


class ChannelBanned(Forbidden):
    """Banned from the channel (Admin v2 ``users/ban``): the user may not join or be added until
    unbanned. A Forbidden: Disqus answers it with code 22."""

    code = "E_CHANNEL_BANNED"
    status = 403
    default_message = "This user is banned from the channel."


class ChannelMuted(Forbidden):
    """The channel is muted (only workspace admins post) or the poster is muted in it (Admin v2
    mutes: docs/admin-v2.md). A Forbidden: Disqus answers it with code 22."""

    code = "E_CHANNEL_MUTED"
    status = 403
    default_message = "This channel is muted: only workspace admins may post in it."


class ModerationBlocked(DisquaError):
    """The text matches the workspace's moderation rules (services/moderation.py) where a
    match refuses the write: a chat channel (a comments thread holds the post instead)."""

    code = "E_MODERATION_BLOCKED"
    status = 400
    default_message = "The content matches this workspace's moderation rules: it was not posted."


class RateLimited(DisquaError):
    code = "E_RATE_LIMIT"
    status = 429
    default_message = "Too many requests: check the Retry-After header."

    def __init__(self, retry_after: int, message: str | None = None, *, headers: dict[str, str] | None = None):
        super().__init__(message, headers={**(headers or {}), "Retry-After": str(max(1, int(retry_after)))})
        self.retry_after = retry_after


class CallerRateLimited(RateLimited):
    """A limit on the caller (a user, an API token, an app's grant) rather than on a
    resource or an address: the same E_RATE_LIMIT in v1, Disqus's code 14 ("for this
    account") instead of 13 ("for this resource")."""
