"""Token scopes (the spec's scope table). A login session holds every scope; an API
token holds only those it was created with.

Every authenticated route declares what a token needs (docs/permissions.md):
a scope below, ``SESSION`` (a login session only: tokens never mint tokens, make
workspaces or log out), or ``ANY_TOKEN`` (any token of the workspace, e.g. reading
the workspace or the caller's own profile). ``ADMIN`` is what admin work needs on a
token: the reference's "admin" column (workspace settings, invites, member removal,
role changes), and every admin power inside other routes (archiving someone's
channel, deleting someone's message). It never lifts a token above its minting
user's current role, which is checked at use.

The ``comments:*`` scopes are the Disqus-compatible comments API's (docs/disqus.md):
``comments:read`` reads comment threads and posts, ``comments:write`` posts, edits
and votes as the token's user, ``comments:moderate`` approves, removes, highlights
and marks spam (it also needs the admin or owner role, checked at use). A public key
(``dqp_``, a workspace's Disqus ``api_key``) acts with ``comments:read`` only.
"""

from __future__ import annotations

MESSAGES_READ = "messages:read"
MESSAGES_WRITE = "messages:write"
CHANNELS_READ = "channels:read"
CHANNELS_WRITE = "channels:write"
USERS_READ = "users:read"
USERS_WRITE = "users:write"
FILES_READ = "files:read"
FILES_WRITE = "files:write"
WEBHOOKS_READ = "webhooks:read"
WEBHOOKS_WRITE = "webhooks:write"
COMMENTS_READ = "comments:read"
COMMENTS_WRITE = "comments:write"
COMMENTS_MODERATE = "comments:moderate"
ADMIN = "admin"

ALL: tuple[str, ...] = (
    MESSAGES_READ,
    MESSAGES_WRITE,
    CHANNELS_READ,
    CHANNELS_WRITE,
    USERS_READ,
    USERS_WRITE,
    FILES_READ,
    FILES_WRITE,
    WEBHOOKS_READ,
    WEBHOOKS_WRITE,
    COMMENTS_READ,
    COMMENTS_WRITE,
    COMMENTS_MODERATE,
    ADMIN,
)

# Route requirements that are not scopes a token can hold.
SESSION = "@session"
ANY_TOKEN = "@any"
