"""The events a webhook can subscribe to (docs/webhooks.md is generated from this
and from the code that builds each payload: tools/webhooks_doc.py).

Where each comes from:
- message.*, reaction.*, post.voted: the items' own stream records (workers/router.py
  PROJECTIONS; a Disqus post is a message, its vote a PostVote item);
- channel.*, member.*: outbox events of services/channels.py, members.py, invites.py
  (member.* with a ``channelId`` are channel memberships, without one the workspace's);
- file.*: the file processor's state transition (services/files.py);
- ping: POST /v1/webhooks/{id}/test only (nobody subscribes to it).
"""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "message.created": "A message was sent (or a thread reply posted).",
    "message.updated": "A message was edited.",
    "message.deleted": "A message was deleted (its content is null).",
    "reaction.added": "Someone reacted to a message.",
    "reaction.removed": "Someone took their reaction back.",
    "post.voted": "A vote on a Disqus post or thread changed (vote 1 or -1; 0: withdrawn; previous: the vote before).",
    "channel.created": "A channel was created.",
    "channel.updated": "A channel was renamed, or its topic, description, display name or mute (Admin v2) "
    "changed (changes lists which).",
    "channel.archived": "A channel was archived.",
    "channel.unarchived": "A channel was unarchived.",
    "channel.didClose": "A channel was closed (Admin v2, irreversible): its items are being deleted.",
    "member.joined": "Someone joined the workspace (an invite), or was added to or joined a channel (channelId).",
    "member.left": "Someone left the workspace, or a channel (channelId).",
    "member.removed": "An admin removed someone from the workspace, or a manager from a channel (channelId).",
    "member.banned": "Admin v2 banned someone from the workspace (a global ban), or from a channel (channelId).",
    "member.unbanned": "Admin v2 lifted a global ban, or a channel ban (channelId).",
    "file.ready": "An upload was scanned and is ready to download.",
    "file.rejected": "An upload was rejected (reason: infected, type_mismatch, too_large, ...).",
    "file.deleted": "A file was deleted by its uploader or an admin (deletedBy); it is gone from messages too.",
    "ping": "A test delivery (POST /v1/webhooks/{id}/test); cannot be subscribed to.",
}

# What the router sends to the webhooks queue (workers/router.py SUBSCRIPTIONS).
SUBSCRIBABLE: tuple[str, ...] = tuple(t for t in EVENT_TYPES if t != "ping")
