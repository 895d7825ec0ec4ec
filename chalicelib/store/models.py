"""PynamoDB models of the single table (polymorphic on the ``type`` discriminator).

Every entity shares ``PK``/``SK`` and the overloaded ``GSI1PK``/``GSI1SK`` index;
the discriminator is an ordinary attribute, never part of a key. Key values are
built only by ``chalicelib.store.keys``. See docs/access-patterns.md.
"""

from __future__ import annotations

import base64
import os
import zlib
from functools import lru_cache
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class Gsi1(GlobalSecondaryIndex["Entity"]):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["Entity"]):
    """Lookup by id: keys only (the table key and GSI2 keys come back)."""

    class Meta:
        index_name = "GSI2"
        projection = KeysOnlyProjection()

    GSI2PK = UnicodeAttribute(hash_key=True)
    GSI2SK = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex["Entity"]):
    """Disqus posts in threaded order, oldest conversation first (``TREE#<cid>`` / path)."""

    class Meta:
        index_name = "GSI3"
        projection = AllProjection()

    GSI3PK = UnicodeAttribute(hash_key=True)
    GSI3SK = UnicodeAttribute(range_key=True)


class Gsi4(GlobalSecondaryIndex["Entity"]):
    """Disqus posts in threaded order, newest conversation first (``TREE#<cid>`` / path)."""

    class Meta:
        index_name = "GSI4"
        projection = AllProjection()

    GSI4PK = UnicodeAttribute(hash_key=True)
    GSI4SK = UnicodeAttribute(range_key=True)


class Gsi5(GlobalSecondaryIndex["Entity"]):
    """A user's Disqus posts, in time order (``POSTS#USER#<uid>`` / post id)."""

    class Meta:
        index_name = "GSI5"
        projection = AllProjection()

    GSI5PK = UnicodeAttribute(hash_key=True)
    GSI5SK = UnicodeAttribute(range_key=True)


class Entity(Model):
    class Meta:
        # Rebound by chalicelib.store.db.bind() from the settings on first use.
        table_name = os.environ.get("TABLE_NAME", "disqua-local")
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    # Sparse: only Disqus posts (messages in comments channels) carry these.
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)
    GSI4PK = UnicodeAttribute(null=True)
    GSI4SK = UnicodeAttribute(null=True)
    GSI5PK = UnicodeAttribute(null=True)
    GSI5SK = UnicodeAttribute(null=True)
    type = DiscriminatorAttribute()
    ttl = TTLAttribute(null=True)

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()
    gsi4 = Gsi4()
    gsi5 = Gsi5()

    @classmethod
    def _get_connection(cls) -> Any:
        # Every entity lives in the same table: share one connection (one botocore
        # client) instead of pynamodb's one per model class, ~50-100 ms each on a
        # cold start.
        return Model._get_connection.__func__(Entity)  # type: ignore[attr-defined]


class User(Entity, discriminator="User"):
    id = UnicodeAttribute()
    email = UnicodeAttribute()
    username = UnicodeAttribute()
    display_name = UnicodeAttribute()
    avatar_url = UnicodeAttribute(null=True)
    bio = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="online")
    preferences = JSONAttribute(null=True)
    email_verified = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class Login(Entity, discriminator="Login"):
    """The email -> credentials record; its key also guards email uniqueness."""

    user_id = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    email_verified = BooleanAttribute(default=False)


class UsernameClaim(Entity, discriminator="UsernameClaim"):
    user_id = UnicodeAttribute()


class Session(Entity, discriminator="Session"):
    """A refresh-token family: one login, rotated on every refresh (RFC 9700).

    An OAuth grant is a session too (same rotation and reuse detection), with the app, the
    workspace it is confined to and the granted scopes; it is listed under the app
    (GSI1 ``APPGRANTS#app`` / ``wid#sid``) so deleting the app or uninstalling it revokes all."""

    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    previous_hashes = ListAttribute(of=UnicodeAttribute, default=list)
    generation = NumberAttribute(default=0)
    revoked = BooleanAttribute(default=False)
    revoked_reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()
    app_id = UnicodeAttribute(null=True)  # set for OAuth grants only
    workspace_id = UnicodeAttribute(null=True)
    scopes = UnicodeSetAttribute(null=True)


class App(Entity, discriminator="App"):
    """An OAuth client registered by a workspace's admins: ``APP#id`` / ``META``, listed per
    workspace through GSI1 (``WS#wid`` / ``APP#id``). The client id encodes the app id (one
    GetItem from a client id); a confidential app's secret is kept only as a SHA-256 hash."""

    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    homepage_url = UnicodeAttribute(null=True)
    redirect_uris = ListAttribute(of=UnicodeAttribute, default=list)
    scopes = UnicodeSetAttribute()
    public = BooleanAttribute(default=False)
    distributed = BooleanAttribute(default=False)
    secret_hash = UnicodeAttribute(null=True)
    secret_hint = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)


class Installation(Entity, discriminator="Installation"):
    """An app installed in a workspace: ``APP#id`` / ``INSTALL#wid``, listed per workspace
    through GSI1 (``WS#wid`` / ``INSTALL#app``). The app's own workspace gets one when the app
    is created; another workspace's admin installs a distributed app through the consent page."""

    app_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    installed_by = UnicodeAttribute()
    scopes = UnicodeSetAttribute()  # what the installing admin approved; users grant a subset
    created_at = UnicodeAttribute()


class AuthorizationCode(Entity, discriminator="AuthorizationCode"):
    """A single-use authorization code (``OAUTHCODE#sha256`` / ``GUARD``, TTL 10 minutes),
    bound to everything the token request must match. ``used_by`` names the session it was
    exchanged for: a second exchange fails and revokes that session (RFC 6749 4.1.2)."""

    app_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    redirect_uri = UnicodeAttribute()
    user_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    scopes = UnicodeSetAttribute()
    code_challenge = UnicodeAttribute()
    code_challenge_method = UnicodeAttribute(default="S256")
    expires_at = NumberAttribute()
    used_by = UnicodeAttribute(null=True)


class EmailVerification(Entity, discriminator="EmailVerification"):
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()


class Workspace(Entity, discriminator="Workspace"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    icon_url = UnicodeAttribute(null=True)
    plan = UnicodeAttribute(default="free")
    owner_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    # Kept in the same transactions as role changes: there is always one owner.
    owner_count = NumberAttribute(default=1)
    general_channel_id = UnicodeAttribute(null=True)
    # The forum's comment settings (docs/disqus.md): guests (anonymous posts through a
    # public key) allowed; new posts held for approval.
    comments_allow_guests = BooleanAttribute(null=True)
    comments_premoderate = BooleanAttribute(null=True)


class SlugClaim(Entity, discriminator="SlugClaim"):
    workspace_id = UnicodeAttribute()


class Membership(Entity, discriminator="Membership"):
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    joined_at = UnicodeAttribute()
    # How many private channels the member is in: kept in the same transactions as
    # those memberships, so listing channels knows, with no extra read, whether a
    # private phase follows the public one.
    private_channels = NumberAttribute(default=0)
    # Their ids, kept in the same transactions: a search reads the caller's readable private
    # channels with the membership itself (no Query). Absent on items from before it was kept
    # (``private_channel_ids_of`` in store.channels then falls back to the Query).
    private_channel_ids = UnicodeSetAttribute(null=True)
    # Admin v2 (services/admin_users.py): a global ban here (authz.check_access refuses every
    # surface with E_USER_BANNED), and the workspace's own displayName, metadata, roles.
    banned = BooleanAttribute(null=True)
    banned_at = UnicodeAttribute(null=True)
    display_name = UnicodeAttribute(null=True)
    metadata = JSONAttribute(null=True)
    roles = UnicodeSetAttribute(null=True)


class Channel(Entity, discriminator="Channel"):
    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    channel_type = UnicodeAttribute()  # public | private | comments (a Disqus thread)
    topic = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    archived = BooleanAttribute(default=False)
    is_default = BooleanAttribute(default=False)  # #general: everyone is in it
    member_count = NumberAttribute(default=0)
    pin_count = NumberAttribute(default=0)
    last_message_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    # A ``comments`` channel is a Disqus thread (docs/disqus.md): title = topic,
    # message = description, and these.
    identifier = UnicodeAttribute(null=True)
    link = UnicodeAttribute(null=True)
    thread_slug = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    closed = BooleanAttribute(null=True)  # no new posts; distinct from archived (= removed)
    # Disqus counts, kept in the transactions that change them (store/posts.py): approved,
    # undeleted posts; the thread's votes.
    post_count = NumberAttribute(null=True)
    likes = NumberAttribute(null=True)
    dislikes = NumberAttribute(null=True)
    # Admin v2 (docs/admin-v2.md): set at creation; tags also have ChannelTag items.
    display_name = UnicodeAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    metadata = JSONAttribute(null=True)
    # Muted until then (ISO; services/channels.MUTED_FOREVER: until unmuted): only workspace
    # admins post (services/messages._may_post).
    muted_until = UnicodeAttribute(null=True)
    # Closed by Admin v2 (irreversible, services/channel_close.py): every surface answers
    # E_CHANNEL_CLOSED from then on; a background job deletes its items.
    closed_at = UnicodeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)


class ChannelCloseProgress(Entity, discriminator="ChannelCloseProgress"):
    """The close job's progress (``CH#id`` / ``CLOSE``), written with the close: the last
    deleted sort key, what the batch in hand will delete (``pending_*``: a crash between its
    deletes and this write is finished on redelivery, never counted twice) and done."""

    channel_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    step = NumberAttribute(default=0)
    last_key = UnicodeAttribute(null=True)
    pending_last = UnicodeAttribute(null=True)
    pending_messages = NumberAttribute(null=True)
    pending_items = NumberAttribute(null=True)
    pending_files = NumberAttribute(null=True)
    messages_deleted = NumberAttribute(default=0)
    items_deleted = NumberAttribute(default=0)
    files_deleted = NumberAttribute(default=0)
    done = BooleanAttribute(default=False)
    started_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)


class ChannelTag(Entity, discriminator="ChannelTag"):
    """A channel's tag, for Admin v2's tags filter (a Query per tag, never a Scan):
    store/channel_tags.py; written in the channel's creation transaction."""

    channel_id = UnicodeAttribute()


class ChannelNameClaim(Entity, discriminator="ChannelNameClaim"):
    channel_id = UnicodeAttribute()


class ThreadClaim(Entity, discriminator="ThreadClaim"):
    """A comments thread's identifier guard or url look-up (keys.thread_identifier/thread_link)."""

    channel_id = UnicodeAttribute()


class ChannelMember(Entity, discriminator="ChannelMember"):
    channel_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute(default="member")  # manager | member
    joined_at = UnicodeAttribute()
    # all | mentions | none: which notifications this channel may raise for the member
    # (chalicelib/services/notifications.py); absent means "all".
    notifications = UnicodeAttribute(null=True)
    muted_until = UnicodeAttribute(null=True)  # Admin v2 member mute: no posting until then
    # A copy of the workspace Membership's global ban (Admin v2), so a member's channel
    # reads and posts, which read this item and not the Membership, refuse it too.
    banned = BooleanAttribute(null=True)


class ChannelBan(Entity, discriminator="ChannelBan"):
    """A user banned from a channel (Admin v2 users/ban): ``CH#cid`` / ``BAN#uid``, written in
    the transaction that removes them; joining and adding check it (store/channel_bans.py)."""

    channel_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    banned_by = UnicodeAttribute()
    banned_at = UnicodeAttribute()


class Message(Entity, discriminator="Message"):
    """A message: top-level ``CH#cid`` / ``MSG#id``, a thread reply
    ``CH#cid`` / ``RPL#parent#id``; found by id through GSI2 (``MSG#id`` / ``WS#wid``).

    Reactions are aggregated on the message (counts, and up to a cap of user ids per
    emoji) in the same transaction as each user's ``Reaction`` item, so a page of
    messages needs no extra reads and the counts stay exact.

    ``content_html`` is stored as a string up to HTML_INLINE_BYTES, zlib-compressed in
    ``content_html_z`` (binary) above: the property reads and writes either. What an
    item may hold at most, and why it fits: chalicelib/store/messages.py."""

    id = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    channel_type = UnicodeAttribute()  # never changes: decides who may read it
    author_id = UnicodeAttribute()
    content = UnicodeAttribute()
    html_text = UnicodeAttribute(null=True, attr_name="content_html")
    html_zlib = BinaryAttribute(null=True, legacy_encoding=False, attr_name="content_html_z")
    kind = UnicodeAttribute(default="message")  # message | system | bot
    thread_id = UnicodeAttribute(null=True)
    reply_count = NumberAttribute(default=0)
    last_reply_at = UnicodeAttribute(null=True)
    mentions = ListAttribute(of=UnicodeAttribute, default=list)
    special_mentions = ListAttribute(of=UnicodeAttribute, default=list)
    attachments = ListAttribute(default=list)
    reaction_counts = MapAttribute(default=dict)
    reaction_users = MapAttribute(default=dict)
    edited_at = UnicodeAttribute(null=True)
    deleted = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    # Who started or replied in this thread (on parents): the threads list follows them.
    participants = UnicodeSetAttribute(null=True)
    # A Disqus post (a message in a comments channel; null on chat messages): see
    # chalicelib/store/posts.py. ``reply_count`` counts its direct answers.
    parent_post = UnicodeAttribute(null=True)
    post_number = NumberAttribute(null=True)  # the Disqus id (store/posts.py number_of)
    parent_number = NumberAttribute(null=True)
    depth = NumberAttribute(null=True)
    tree_path = UnicodeAttribute(null=True)
    post_state = UnicodeAttribute(null=True)  # approved | unapproved | spam | deleted
    highlighted = BooleanAttribute(null=True)
    likes = NumberAttribute(null=True)
    dislikes = NumberAttribute(null=True)
    facts = NumberSetAttribute(null=True)  # the Disqus filter numbers that apply
    num_reports = NumberAttribute(null=True)
    author_name = UnicodeAttribute(null=True)  # anonymous posts
    author_email = UnicodeAttribute(null=True)
    author_url = UnicodeAttribute(null=True)
    ip_address = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    # Admin v2 messages (services/admin_messages.py; null on others): tags, metadata, and a
    # custom message's data (data_type "custom"; "text" or null: the text is ``content``).
    tags = ListAttribute(of=UnicodeAttribute, null=True)
    metadata = JSONAttribute(null=True)
    data_type = UnicodeAttribute(null=True)
    custom_data = JSONAttribute(null=True)

    @property
    def is_post(self) -> bool:
        return self.post_state is not None

    @property
    def content_html(self) -> str:
        packed = self.html_zlib
        if packed is None:
            return self.html_text or ""
        if isinstance(packed, str):  # a Lambda stream image carries binary as base64
            packed = base64.b64decode(packed)
        return zlib.decompress(packed).decode()

    @content_html.setter
    def content_html(self, html: str) -> None:
        self.html_text, self.html_zlib = pack_html(html)

    def reaction_tally(self) -> dict[str, tuple[int, list[str]]]:
        """emoji -> (count, user ids listed, in the order they reacted).

        ``reaction_users`` maps ``"<emoji>|<userId>"`` to the time of the reaction: one
        key per reactor, so adding and removing never depend on positions in a list
        (concurrent removals would invalidate each other's list indexes)."""
        counts, users = _plain_map(self.reaction_counts), _plain_map(self.reaction_users)
        listed: dict[str, list[tuple[str, str]]] = {}
        for key, at in users.items():
            emoji, _, user_id = key.rpartition("|")
            listed.setdefault(emoji, []).append((str(at), user_id))
        return {
            emoji: (int(count), [user for _, user in sorted(listed.get(emoji, []))]) for emoji, count in counts.items()
        }


# Rendered HTML up to this many bytes is stored as a string; above, compressed when that
# is smaller (it always is for markup: a 360 KB page of mailto links packs to ~1 KB).
HTML_INLINE_BYTES = 1024


@lru_cache(maxsize=4)  # checking a body's size and storing it pack the same HTML
def pack_html(html: str) -> tuple[str | None, bytes | None]:
    """(string, compressed): how ``Message.content_html`` stores ``html``."""
    raw = html.encode()
    if len(raw) > HTML_INLINE_BYTES:
        packed = zlib.compress(raw, 6)
        if len(packed) < len(raw):
            return None, packed
    return html, None


def _plain_map(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return value.as_dict() if isinstance(value, MapAttribute) else dict(value)


class PostNumber(Entity, discriminator="PostNumber"):
    """``POSTNO#<n>`` / ``GUARD``: a post's numeric Disqus id is unique, and finds the post."""

    channel_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()


class Flag(Entity, discriminator="Flag"):
    """A user's flag of a message (``MSG#<id>`` / ``FLAG#<uid>``) or of a user in a workspace
    (``WS#<wid>`` / ``USERFLAG#<uid>#<flagger>``): one per flagger, with the reason."""

    target_id = UnicodeAttribute()  # the message or the user flagged
    workspace_id = UnicodeAttribute()
    channel_id = UnicodeAttribute(null=True)  # a message's
    flagger_id = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    flagged_at = UnicodeAttribute()


class FlaggedUser(Entity, discriminator="FlaggedUser"):
    """``WS#<wid>`` / ``FLAGGED#<uid>``: how many members flagged this user here (Admin v2 lists
    flagged users and clears their flags)."""

    user_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    flag_count = NumberAttribute(default=0)
    last_flagged_at = UnicodeAttribute(null=True)


class PostVote(Entity, discriminator="PostVote"):
    """One user's Disqus vote (-1 or 1) on a post (``MSG#<id>`` / ``VOTE#<uid>``) or a thread
    (``CH#<cid>`` / ``VOTE#<uid>``), written with the target's counters in one transaction."""

    target_id = UnicodeAttribute()
    target_kind = UnicodeAttribute(default="post")  # post | thread
    channel_id = UnicodeAttribute(null=True)  # the thread
    workspace_id = UnicodeAttribute(null=True)  # where its ``post.voted`` event goes
    user_id = UnicodeAttribute()
    vote = NumberAttribute()
    voted_at = UnicodeAttribute()


class Reaction(Entity, discriminator="Reaction"):
    """One user's reaction: ``MSG#id`` / ``REACT#<emoji>#<uid>`` (idempotent by key)."""

    message_id = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    emoji = UnicodeAttribute()
    user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ReactionRank(Entity, discriminator="ReactionRank"):
    """A message's count of one reaction, ranked: ``MSG#id`` / ``RANK#<emoji>``, listed through
    GSI6 (``MOSTREACT#<cid>#<emoji>`` / the count, a number), written in the reaction's
    transaction (store/reaction_ranks.py); gone when the count falls to 0."""

    message_id = UnicodeAttribute()
    message_key = UnicodeAttribute()  # the message's sort key (top-level or reply)
    channel_id = UnicodeAttribute()
    emoji = UnicodeAttribute()
    GSI6PK = UnicodeAttribute(null=True)
    GSI6SK = NumberAttribute(null=True)  # the count


class ThreadFollow(Entity, discriminator="ThreadFollow"):
    """A user's place in a thread they started or replied in: ``USER#uid`` /
    ``THREAD#<parentId>``, listed by latest activity through GSI1
    (``USER#uid#THREADS#<wid>`` / ``<lastActivityAt>#<parentId>``)."""

    parent_id = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    last_activity_at = UnicodeAttribute()


class Pin(Entity, discriminator="Pin"):
    message_id = UnicodeAttribute()
    message_key = UnicodeAttribute()  # the message's sort key (top-level or reply)
    channel_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    pinned_by = UnicodeAttribute()
    pinned_at = UnicodeAttribute()


class File(Entity, discriminator="File"):
    """An upload: ``FILE#id`` / ``META``, listed per workspace newest first through
    GSI1 (``WS#wid#FILES`` / ``<id>``). Status: pending -> processing -> ready |
    rejected (``reason``). The channels it was shared in decide who may see it."""

    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    uploader_id = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()  # declared, then the sniffed one once processed
    kind = UnicodeAttribute()  # image | video | audio | document | other
    size = NumberAttribute()  # declared, then the real one
    status = UnicodeAttribute(default="pending")
    reason = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute()  # quarantine/..., then files/...
    thumbnails = MapAttribute(null=True)  # size name -> object key
    lease_until = NumberAttribute(default=0)
    failures = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    public_channel_ids = UnicodeSetAttribute(null=True)  # where it was shared
    private_channel_ids = UnicodeSetAttribute(null=True)
    message_refs = UnicodeSetAttribute(null=True)  # "<channelId>|<sort key>" of messages it is attached to
    created_at = UnicodeAttribute()
    processed_at = UnicodeAttribute(null=True)

    def thumbnail_keys(self) -> dict[str, str]:
        return _plain_map(self.thumbnails)


class Invite(Entity, discriminator="Invite"):
    """An invite link or email invite. The code is ``<id>.<secret>``: the id finds
    the item, the secret is stored only as a hash (set when the code is minted)."""

    id = UnicodeAttribute()
    secret_hash = UnicodeAttribute(null=True)
    workspace_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    role = UnicodeAttribute(default="member")
    email = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()
    max_uses = NumberAttribute(null=True)
    uses = NumberAttribute(default=0)
    revoked = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class ApiToken(Entity, discriminator="ApiToken"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    scopes = UnicodeSetAttribute()
    hint = UnicodeAttribute()  # the last characters, so a user can tell tokens apart
    bot = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class PublicKey(Entity, discriminator="PublicKey"):
    """A workspace's public key (the Disqus ``api_key``): ``PUBKEY#<key>`` / ``GUARD``,
    one GetItem to authenticate; listed through GSI1 (``WS#wid`` / ``PUBKEY#<id>``)."""

    id = UnicodeAttribute()
    key = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    domains = ListAttribute(of=UnicodeAttribute, default=list)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


class Webhook(Entity, discriminator="Webhook"):
    """A workspace's webhook: ``WH#id`` / ``META``, listed per workspace through GSI1
    (``WS#wid`` / ``WH#id``). The signing secret must be usable (we sign with it), so
    it is stored AES-GCM encrypted under a key derived from the app's signing key
    ``secret_kid`` (chalicelib/services/webhook_secrets.py). After a rotation the
    previous secret also signs until ``previous_until`` (epoch seconds)."""

    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    name = UnicodeAttribute()
    url = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute, default=list)
    status = UnicodeAttribute(default="active")  # active | paused | disabled
    disabled_reason = UnicodeAttribute(null=True)
    secret_enc = UnicodeAttribute()
    secret_kid = UnicodeAttribute()
    previous_secret_enc = UnicodeAttribute(null=True)
    previous_secret_kid = UnicodeAttribute(null=True)
    previous_until = NumberAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)


class WebhookCounter(Entity, discriminator="WebhookCounter"):
    """``WS#wid`` / ``COUNT#WEBHOOKS``: moved in the same transaction as each create
    and delete, under the plan's limit."""

    count = NumberAttribute(default=0)


class QuotaCounter(Entity, discriminator="QuotaCounter"):
    """``<owner>`` / ``QUOTA#<kind>``: how many of a kind its owner (a user, a workspace) has,
    moved in the same transaction as each create (and delete), under the quota
    (chalicelib/store/quotas.py)."""

    count = NumberAttribute(default=0)


class WebhookDelivery(Entity, discriminator="WebhookDelivery"):
    """One delivery attempt: ``WH#id`` / ``DLV#<id>`` (UUIDv7: newest first), 30-day TTL.
    ``payload_z`` (the envelope, zlib) lets an attempt be redelivered."""

    id = UnicodeAttribute()
    webhook_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    series = UnicodeAttribute()  # "auto", or the redelivery that started it
    attempt = NumberAttribute()
    status = UnicodeAttribute()  # succeeded | failed | pending
    response_status = NumberAttribute(null=True)
    response_body = UnicodeAttribute(null=True)
    latency_ms = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    next_attempt_at = UnicodeAttribute(null=True)
    payload_z = BinaryAttribute(null=True, legacy_encoding=False)


class Event(Entity, discriminator="Event"):
    """Outbox item: written in the same transaction as the change it describes."""

    id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    workspace_id = UnicodeAttribute(null=True)
    occurred_at = UnicodeAttribute()
    data = JSONAttribute()


class Throttle(Entity, discriminator="Throttle"):
    count = NumberAttribute(default=0)


class IdempotencyRecord(Entity, discriminator="IdempotencyRecord"):
    status = UnicodeAttribute()  # in_progress | done
    request_hash = UnicodeAttribute()
    response = JSONAttribute(null=True)
    lease_until = NumberAttribute()


class Processed(Entity, discriminator="Processed"):
    """A worker's claim on an event: makes at-least-once delivery effectively once."""

    status = UnicodeAttribute()  # in_progress | done
    lease_until = NumberAttribute()


class PushSubscription(Entity, discriminator="PushSubscription"):
    """A browser's Web Push subscription (RFC 8030/8291): ``USER#id`` / ``PUSHSUB#<sha256
    of the endpoint>``, and GSI2 ``PUSHEP#<hash>`` so an endpoint has one owner."""

    user_id = UnicodeAttribute()
    endpoint = UnicodeAttribute()
    p256dh = UnicodeAttribute()  # base64url, the browser's uncompressed P-256 point
    auth = UnicodeAttribute()  # base64url, 16 bytes
    expiration_time = NumberAttribute(null=True)  # epoch ms, as the browser says
    created_at = UnicodeAttribute()


class PushSubscriptionCount(Entity, discriminator="PushSubscriptionCount"):
    """How many subscriptions a user has: the cap is checked in the same transaction."""

    count = NumberAttribute(default=0)


class PushProgress(Entity, discriminator="PushProgress"):
    """The endpoints one push event has reached, written only when some of them must be
    retried: a redelivery skips the ones already pushed."""

    pushed = UnicodeSetAttribute(null=True)


class Notification(Entity, discriminator="Notification"):
    """One in-app notification: ``USER#uid`` / ``NOTIF#<id>``, newest first by id (a
    UUIDv7 whose time is the event's, the rest a hash of its source and recipient:
    a redelivered event writes the same item); per workspace through GSI1
    (``NOTIFS#<uid>#<wid>`` / ``<id>``). Read when ``read`` or when its id is at most
    the user's ``NotificationState.watermark``. 90-day TTL."""

    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # mention | channel_mention | thread_reply | invite | reaction
    workspace_id = UnicodeAttribute()
    channel_id = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    thread_id = UnicodeAttribute(null=True)
    actor_id = UnicodeAttribute()
    actor_username = UnicodeAttribute()
    actor_display_name = UnicodeAttribute()
    preview = UnicodeAttribute(default="")
    read = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class NotificationState(Entity, discriminator="NotificationState"):
    """``USER#uid`` / ``NOTIFSTATE``: "mark all read" moves ``watermark`` (an id) forward."""

    watermark = UnicodeAttribute(null=True)


class NotificationSource(Entity, discriminator="NotificationSource"):
    """Who one step of the notifications worker notified about a message:
    ``NOTIFSRC#<messageId>`` / ``<eventId>#<step>``. Deleting the message clears their
    previews; an edit notifies only people not listed yet. The ids are derived again
    from ``id_ms``, ``seed`` and each recipient. 90-day TTL."""

    message_id = UnicodeAttribute()
    id_ms = NumberAttribute()
    seed = UnicodeAttribute()
    recipients = ListAttribute(of=UnicodeAttribute, default=list)


class ModerationEntry(Entity, discriminator="ModerationEntry"):
    """A Disqus blacklist or whitelist entry: ``WS#wid`` / ``MODLIST#<list>#<type>#<sha256 of
    the normalized value>`` (one per value), listed through GSI1 (``WS#wid#MODLIST#<list>`` /
    ``<id>``). chalicelib/services/comment_rules.py reads a forum's entries in one Query."""

    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    list_name = UnicodeAttribute()  # blacklist | whitelist
    entry_type = UnicodeAttribute()  # word | ip | user | email | domain
    value = UnicodeAttribute()  # normalized (what the rules compare)
    notes = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ModerationCount(Entity, discriminator="ModerationCount"):
    """``WS#wid`` / ``COUNT#MODLISTS``: a forum's entries, moved in each add and remove's
    transaction under a cap that keeps the rules' Query one page (< 1 MB)."""

    count = NumberAttribute(default=0)


class ModerationRule(Entity, discriminator="ModerationRule"):
    """An Admin v2 blacklist record (a pattern, exact word or not) or whitelist record (a
    domain): ``WS#wid`` / ``MODLIST#RULE#<list>#<id>`` (store/moderation_rules.py)."""

    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    list_name = UnicodeAttribute()  # blacklist | whitelist
    pattern = UnicodeAttribute()  # an RE2 pattern (blacklist) or a domain (whitelist)
    exact_word = BooleanAttribute(default=False)  # blacklist: whole words only
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)


class WorkspaceRole(Entity, discriminator="WorkspaceRole"):
    """An Admin v2 role: ``WS#wid`` / ``ROLE#<name>`` with its permissions (services/roles.py);
    members hold role names on their Membership (``roles``)."""

    name = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    permissions = UnicodeSetAttribute(null=True)
    updated_at = UnicodeAttribute()


class ModerationRuleSet(Entity, discriminator="ModerationRuleSet"):
    """``WS#wid`` / ``MODLIST#RULE#META``: how many records the workspace has (the cap) and
    the rule set's version, both moved in every write's transaction (caches compare it)."""

    count = NumberAttribute(default=0)
    version = NumberAttribute(default=0)


class Category(Entity, discriminator="Category"):
    """A Disqus category: ``CATEGORY#id`` / ``META``, listed per forum through GSI1
    (``WS#wid#CATEGORIES`` / ``<id>``)."""

    id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    title = UnicodeAttribute()
    order = NumberAttribute(default=0)
    is_default = BooleanAttribute(default=False)
    created_by = UnicodeAttribute(null=True)  # None for the lazily made "General"
    created_at = UnicodeAttribute()


class CategoryIndex(Entity, discriminator="CategoryIndex"):
    """``WS#wid`` / ``CATEGORIES``: how many categories the forum has (the next ``order``)
    and which is the default, changed in each category create's transaction."""

    count = NumberAttribute(default=0)
    default_id = UnicodeAttribute(null=True)


class CategoryThread(Entity, discriminator="CategoryThread"):
    """A thread in a category: ``CATTHREADS#<categoryId>`` / ``<threadId>``, written and moved
    in the thread's own transactions, so categories/listThreads is one Query."""

    thread_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()


class RealtimeConnection(Entity, discriminator="RealtimeConnection"):
    """An open WebSocket (docs/realtime.md): ``RTCONN#<connectionId>`` / ``META``, holding who
    connected (the principal the ticket or token stood for: every frame is authorized as it)
    and the keys of its subscriptions (at most MAX_SUBSCRIPTIONS), so a disconnect deletes them
    without a Query. TTL 2 h: API Gateway closes a connection after 2 h at most."""

    connection_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    principal = JSONAttribute()
    subscriptions = UnicodeSetAttribute(null=True)  # "<PK>" of each subscription item
    connected_at = UnicodeAttribute()


class RealtimeSubscription(Entity, discriminator="RealtimeSubscription"):
    """A connection's subscription to a channel (``RTCH#cid``) or a workspace (``RTWS#wid``) /
    ``RTSUB#<connectionId>``: a fan-out reads a channel's (and its workspace's) subscribers with
    one Query each. GSI1 ``RTUSER#uid`` / ``WS#wid#...``: a ban drops a user's at once. TTL 2 h."""

    connection_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    channel_id = UnicodeAttribute(null=True)  # None: the whole workspace


class RealtimeTicket(Entity, discriminator="RealtimeTicket"):
    """A single-use connect ticket (``RTTICKET#sha256`` / ``GUARD``, 60 s): the principal it
    stands for; deleted by the connect that uses it."""

    user_id = UnicodeAttribute()
    principal = JSONAttribute()
    expires_at = NumberAttribute()


class RealtimeTyping(Entity, discriminator="RealtimeTyping"):
    """The typing relay's throttle (``RTTYPING#cid#uid`` / ``GUARD``): the next relay is
    allowed from ``until`` (epoch ms); taken by one conditional write."""

    until = NumberAttribute()
