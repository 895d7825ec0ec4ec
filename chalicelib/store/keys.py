"""Key formats of the single table. Nothing outside chalicelib/store builds a key.

Typed prefixes (``USER#<id>``) keep entity types apart within a partition and let a
Query select one type with ``begins_with``. Lookup values that come from users
(email, username, slug) are normalized before they become keys.
"""

from __future__ import annotations

import hashlib


def user(user_id: str) -> str:
    return f"USER#{user_id}"


PROFILE = "PROFILE"


def login(email: str) -> str:
    return f"LOGIN#{email.lower()}"


LOGIN = "LOGIN"


def username(name: str) -> str:
    return f"USERNAME#{name.lower()}"


GUARD = "GUARD"


def session(session_id: str) -> str:
    return f"SESSION#{session_id}"


SESSION_PREFIX = "SESSION#"


def verification(token_hash: str) -> str:
    return f"VERIFY#{token_hash}"


def workspace(workspace_id: str) -> str:
    return f"WS#{workspace_id}"


WORKSPACE_PREFIX = "WS#"
META = "META"
CHANNEL_CLOSE = "CLOSE"  # under CH#id: the close job's progress (store/channel_close.py)


def workspace_slug(slug: str) -> str:
    return f"WSSLUG#{slug.lower()}"


def member(user_id: str) -> str:
    return f"MEMBER#{user_id}"


MEMBER_PREFIX = "MEMBER#"


def channel_ban(user_id: str) -> str:
    """A user banned from a channel (Admin v2), under the channel: ``CH#cid`` / ``BAN#uid``."""
    return f"BAN#{user_id}"


def api_token(token_hash: str) -> str:
    return f"APITOKEN#{token_hash}"


def api_token_ref(user_id: str | None, token_id: str = "") -> str:
    """GSI1 sort key of a token under its workspace: by owner, then id.

    ``api_token_ref(user)`` is the prefix of one user's tokens, ``api_token_ref(None)``
    the prefix of all of them."""
    if user_id is None:
        return API_TOKEN_PREFIX
    return f"{API_TOKEN_PREFIX}{user_id}#{token_id}"


API_TOKEN_PREFIX = "APITOKEN#"


def public_key(key: str) -> str:
    """A public key (the Disqus ``api_key``) by its value: not a secret, so stored plainly."""
    return f"{PUBLIC_KEY_PREFIX}{key}"


def public_key_ref(key_id: str = "") -> str:
    """GSI1 sort key of a public key under its workspace (``WS#wid``); ``""`` the prefix."""
    return f"{PUBLIC_KEY_PREFIX}{key_id}"


PUBLIC_KEY_PREFIX = "PUBKEY#"


def event(event_id: str) -> str:
    return f"EVT#{event_id}"


EVENT = "EVENT"


def throttle(bucket: str, subject: str) -> str:
    # Subjects (emails, addresses) are hashed: counters must not hold personal data.
    return f"THROTTLE#{bucket}#{hashlib.sha256(subject.lower().encode()).hexdigest()[:32]}"


def window(index: int) -> str:
    return f"W#{index}"


def idempotency(scope: str, key: str) -> str:
    digest = hashlib.sha256(scope.encode() + b"\x00" + key.encode()).hexdigest()
    return f"IDEMP#{digest}"


IDEMPOTENCY = "IDEMP"


def processed(consumer: str, event_id: str) -> str:
    return f"DONE#{consumer}#{event_id}"


def channel(channel_id: str) -> str:
    return f"CH#{channel_id}"


def channel_name(workspace_id: str, name: str) -> str:
    return f"CHNAME#{workspace_id}#{name.lower()}"


def channel_listing(workspace_id: str, channel_type: str, archived: bool) -> str:
    """GSI1 partition of a workspace's channels of one type and state (sorted by name)."""
    return f"WS#{workspace_id}#CH#{channel_type}{'#archived' if archived else ''}"


def thread_identifier(workspace_id: str, identifier: str) -> str:
    """Guard of a comments thread's Disqus identifier (unique per forum = workspace)."""
    return f"THREADIDENT#{workspace_id}#{identifier}"


def thread_link(workspace_id: str, link_hash: str) -> str:
    """Look-up of a comments thread by its url: sha256 of the normalized url (first thread wins)."""
    return f"THREADLINK#{workspace_id}#{link_hash}"


def channel_membership_ref(workspace_id: str, channel_type: str, channel_id: str = "") -> str:
    """GSI1 sort key of a user's channel membership (under ``USER#id``): by workspace,
    type, then channel id; a prefix of it selects one workspace's (private) channels."""
    return f"WSCH#{workspace_id}#{channel_type}#{channel_id}" if channel_type else f"WSCH#{workspace_id}#"


def invite(invite_id: str) -> str:
    return f"INVITE#{invite_id}"


INVITE_PREFIX = "INVITE#"


def message(message_id: str) -> str:
    return f"MSG#{message_id}"


MESSAGE_PREFIX = "MSG#"


def forum_posts(workspace_id: str) -> str:
    """GSI1 partition of a forum's Disqus posts, sorted by post id (= time)."""
    return f"POSTS#{workspace_id}"


def post_tree(channel_id: str) -> str:
    """GSI3 and GSI4 partition of a comments thread's posts, sorted by tree path."""
    return f"TREE#{channel_id}"


def user_posts(user_id: str) -> str:
    """GSI5 partition of a user's Disqus posts, sorted by post id (= time)."""
    return f"POSTS#USER#{user_id}"


def post_number(number: int) -> str:
    """Guard of a Disqus post's numeric id (unique in the table), naming the post."""
    return f"POSTNO#{number}"


def flag(flagger_id: str) -> str:
    """A user's flag of a message, under it (``MSG#id``): one per flagger."""
    return f"FLAG#{flagger_id}"


def user_flag(user_id: str, flagger_id: str = "") -> str:
    """A flag of a user in a workspace (``WS#wid``): one per flagger."""
    return f"USERFLAG#{user_id}#{flagger_id}"


def flagged_user(user_id: str = "") -> str:
    """A flagged user's summary in a workspace (``WS#wid``): the flags' count; the
    workspace's flagged users are one Query of this prefix."""
    return f"FLAGGED#{user_id}"


def role(name: str = "") -> str:
    """An Admin v2 role in a workspace (``WS#wid``): its roles are one Query of this prefix."""
    return f"ROLE#{name}"


def vote(user_id: str) -> str:
    """A user's Disqus vote, under the post (``MSG#id``) or the thread (``CH#id``) voted on."""
    return f"VOTE#{user_id}"


def reply(parent_id: str, message_id: str = "") -> str:
    """A thread reply's sort key (``reply(parent)`` is the prefix of a thread)."""
    return f"RPL#{parent_id}#{message_id}"


def reaction(emoji: str, user_id: str) -> str:
    return f"REACT#{emoji}#{user_id}"


REACTION_PREFIX = "REACT#"


def reaction_rank(emoji: str) -> str:
    """A message's ranked count of one reaction (``MSG#id`` / ``RANK#<emoji>``)."""
    return f"RANK#{emoji}"


def most_reacted(channel_id: str, emoji: str) -> str:
    """GSI6 partition ranking a channel's messages by their count of one reaction (the sort key)."""
    return f"MOSTREACT#{channel_id}#{emoji}"


def pin(message_id: str = "") -> str:
    return f"PIN#{message_id}"


def uuid7_prefix(epoch_ms: int) -> str:
    """The leading characters of every UUIDv7 minted in that millisecond."""
    digits = f"{epoch_ms:012x}"
    return f"{digits[:8]}-{digits[8:]}"


def message_range(
    *,
    before_id: str | None = None,
    after_id: str | None = None,
    before_ms: int | None = None,
    after_ms: int | None = None,
    prefix: str = MESSAGE_PREFIX,
) -> tuple[str, str]:
    """Inclusive BETWEEN bounds selecting top-level messages strictly inside the
    given bounds. Message sort keys all have the same length, which makes exclusive
    bounds exact: past ``MSG#<id>`` is ``MSG#<id>!``, and just before it is the id with
    its last character decremented followed by ``~``. ``prefix=reply(parent)``: that
    thread's replies."""
    lower, upper = prefix, prefix[:-1] + "$"  # "$" sorts right after "#"
    if after_id is not None:
        lower = max(lower, f"{prefix}{after_id}!")
    if after_ms is not None:
        lower = max(lower, prefix + uuid7_prefix(after_ms + 1))
    if before_id is not None:
        upper = min(upper, f"{prefix}{before_id[:-1]}{chr(ord(before_id[-1]) - 1)}~")
    if before_ms is not None:
        upper = min(upper, prefix + uuid7_prefix(before_ms))
    return lower, upper


def thread_follow(parent_id: str) -> str:
    return f"THREAD#{parent_id}"


def threads_of(user_id: str, workspace_id: str) -> str:
    return f"USER#{user_id}#THREADS#{workspace_id}"


def webhook(webhook_id: str) -> str:
    return f"WH#{webhook_id}"


WEBHOOK_PREFIX = "WH#"
# In the workspace's partition: how many webhooks it has (the plan limit's counter).
WEBHOOK_COUNT = "COUNT#WEBHOOKS"


def quota(kind: str) -> str:
    """In its owner's partition (``USER#id``, ``WS#id``): how many of ``kind`` it holds."""
    return f"QUOTA#{kind}"


def webhook_delivery(delivery_id: str) -> str:
    """A delivery attempt's log entry, under its webhook (``WH#id``): newest first by id."""
    return f"DLV#{delivery_id}"


WEBHOOK_DELIVERY_PREFIX = "DLV#"


def notification(notification_id: str) -> str:
    return f"{NOTIFICATION_PREFIX}{notification_id}"


NOTIFICATION_PREFIX = "NOTIF#"
NOTIFICATION_STATE = "NOTIFSTATE"  # under USER#<id>; does not start with NOTIFICATION_PREFIX


def notification_range(after_id: str | None) -> tuple[str, str]:
    """Inclusive BETWEEN bounds of a user's notifications with ids strictly above
    ``after_id`` (all of them when None). Ids all have the same length, so past
    ``NOTIF#<id>`` is ``NOTIF#<id>!``."""
    lower = f"{NOTIFICATION_PREFIX}{after_id}!" if after_id else NOTIFICATION_PREFIX
    return lower, NOTIFICATION_PREFIX[:-1] + "$"  # "$" sorts right after "#"


def notifications_in(user_id: str, workspace_id: str) -> str:
    """GSI1 partition of a user's notifications from one workspace (sort key: the id)."""
    return f"NOTIFS#{user_id}#{workspace_id}"


def notification_source(message_id: str) -> str:
    return f"NOTIFSRC#{message_id}"


def file(file_id: str) -> str:
    return f"FILE#{file_id}"


def workspace_files(workspace_id: str) -> str:
    return f"WS#{workspace_id}#FILES"


def quarantine_object(workspace_id: str, file_id: str) -> str:
    """Where an upload lands: a server-made key under the prefix that triggers processing."""
    return f"quarantine/{workspace_id}/{file_id}"


def file_id_of_object(object_key: str) -> str | None:
    parts = object_key.split("/")
    return parts[2] if len(parts) == 3 and parts[0] == "quarantine" else None


def promoted_object(workspace_id: str, file_id: str) -> str:
    return f"files/{workspace_id}/{file_id}"


def thumbnail_object(workspace_id: str, file_id: str, size: str) -> str:
    return f"thumbnails/{workspace_id}/{file_id}/{size}"


def push_subscription(endpoint_hash: str) -> str:
    """A Web Push subscription under its user (``USER#id``), one per endpoint."""
    return f"{PUSH_SUBSCRIPTION_PREFIX}{endpoint_hash}"


PUSH_SUBSCRIPTION_PREFIX = "PUSHSUB#"
PUSH_SUBSCRIPTIONS = "PUSHSUBS"  # the per-user counter item (at most 10 subscriptions)


def push_endpoint(endpoint_hash: str) -> str:
    """GSI2 partition of an endpoint: which user holds it (a browser has one owner)."""
    return f"PUSHEP#{endpoint_hash}"


def push_progress(event_id: str) -> str:
    """The subscriptions a push event already reached (kept only while it retries)."""
    return f"PUSHED#{event_id}"


# --- OAuth apps (store/apps.py, store/oauth.py) -------------------------------------


def app(app_id: str) -> str:
    return f"APP#{app_id}"


APP_PREFIX = "APP#"


def installation(workspace_id: str) -> str:
    """Sort key of an app's installation in a workspace (under ``APP#id``)."""
    return f"INSTALL#{workspace_id}"


INSTALLATION_PREFIX = "INSTALL#"


def installation_ref(app_id: str = "") -> str:
    """GSI1 sort key of an installation under its workspace (``WS#wid``)."""
    return f"INSTALL#{app_id}"


def oauth_code(code_hash: str) -> str:
    return f"OAUTHCODE#{code_hash}"


def app_grants(app_id: str) -> str:
    """GSI1 partition of the token families (sessions) an app was granted, by workspace."""
    return f"APPGRANTS#{app_id}"


def app_grant_ref(workspace_id: str, session_id: str = "") -> str:
    return f"{workspace_id}#{session_id}"


# --- Disqus forum moderation lists and categories (store/moderation_lists.py, categories.py) ---


def moderation_entry(list_name: str, entry_type: str = "", value_hash: str = "") -> str:
    """A blacklist or whitelist entry under its forum (``WS#wid``), unique per list, type and
    value. Both lists share MODERATION_PREFIX, so a forum's rules are one Query;
    ``moderation_entry(list)`` (type and hash empty) is the prefix of one list."""
    return (
        f"{MODERATION_PREFIX}{list_name}#{entry_type}#{value_hash}"
        if entry_type
        else f"{MODERATION_PREFIX}{list_name}#"
    )


MODERATION_PREFIX = "MODLIST#"
MODERATION_COUNT = "COUNT#MODLISTS"  # under WS#wid: entries of both lists (the cap's counter)


def moderation_listing(workspace_id: str, list_name: str) -> str:
    """GSI1 partition of one list's entries, sorted by entry id (UUIDv7: creation order)."""
    return f"WS#{workspace_id}#MODLIST#{list_name}"


# Admin v2 blacklist/whitelist records (store/moderation_rules.py) share MODERATION_PREFIX with
# the forum's lists, so comment_rules reads both rule sets in one Query of the workspace.
MODERATION_RULE_PREFIX = f"{MODERATION_PREFIX}RULE#"
MODERATION_RULE_META = f"{MODERATION_RULE_PREFIX}META"  # the records' count (cap) and version


def moderation_rule(list_name: str, rule_id: str = "") -> str:
    """An Admin v2 record under its workspace (``WS#wid``), by UUIDv7 id (creation order);
    with no id, the prefix of one list's records."""
    return f"{MODERATION_RULE_PREFIX}{list_name}#{rule_id}"


def category(category_id: str) -> str:
    return f"CATEGORY#{category_id}"


def forum_categories(workspace_id: str) -> str:
    """GSI1 partition of a forum's categories, sorted by id (creation order)."""
    return f"WS#{workspace_id}#CATEGORIES"


CATEGORY_INDEX = "CATEGORIES"  # under WS#wid: how many categories, which one is the default


def category_threads(category_id: str) -> str:
    """Partition of a category's thread references, sorted by thread id (creation order)."""
    return f"CATTHREADS#{category_id}"


# --- Realtime over WebSockets (store/realtime.py, docs/realtime.md) -----------------------


def realtime_connection(connection_id: str) -> str:
    """A WebSocket connection (API Gateway's id): ``RTCONN#id`` / ``META``."""
    return f"RTCONN#{connection_id}"


def realtime_ticket(ticket_hash: str) -> str:
    """A single-use connect ticket by its SHA-256 (``RTTICKET#hash`` / ``GUARD``)."""
    return f"RTTICKET#{ticket_hash}"


def realtime_channel(channel_id: str) -> str:
    """The partition of a channel's realtime subscribers (one Query per event)."""
    return f"RTCH#{channel_id}"


def realtime_workspace(workspace_id: str) -> str:
    """The partition of a workspace's realtime subscribers (all the channels each may read)."""
    return f"RTWS#{workspace_id}"


def realtime_subscription(connection_id: str = "") -> str:
    """A connection's subscription under ``RTCH#cid`` or ``RTWS#wid``; "" is the prefix."""
    return f"{REALTIME_SUBSCRIPTION_PREFIX}{connection_id}"


REALTIME_SUBSCRIPTION_PREFIX = "RTSUB#"


def realtime_user(user_id: str) -> str:
    """GSI1 partition of a user's connections and subscriptions (notifications, revocation)."""
    return f"RTUSER#{user_id}"


def realtime_user_ref(workspace_id: str, subscription_pk: str = "", connection_id: str = "") -> str:
    """GSI1 sort key of a subscription under ``RTUSER#uid``: by workspace first, so one
    workspace's subscriptions of a user are one Query of the prefix ``WS#wid#``."""
    return f"WS#{workspace_id}#{subscription_pk}#{connection_id}" if subscription_pk else f"WS#{workspace_id}#"


def realtime_typing(channel_id: str, user_id: str) -> str:
    """The typing relay's throttle: one item per channel and user (``GUARD``)."""
    return f"RTTYPING#{channel_id}#{user_id}"
