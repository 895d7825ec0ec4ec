"""Token scopes (the spec's scope table). A login session holds every scope; an API
token holds only those it was created with."""

from __future__ import annotations

MESSAGES_READ = "messages:read"
MESSAGES_WRITE = "messages:write"
CHANNELS_READ = "channels:read"
CHANNELS_WRITE = "channels:write"
USERS_READ = "users:read"
FILES_READ = "files:read"
FILES_WRITE = "files:write"
WEBHOOKS_WRITE = "webhooks:write"

ALL: tuple[str, ...] = (
    MESSAGES_READ,
    MESSAGES_WRITE,
    CHANNELS_READ,
    CHANNELS_WRITE,
    USERS_READ,
    FILES_READ,
    FILES_WRITE,
    WEBHOOKS_WRITE,
)
