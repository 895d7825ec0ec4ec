"""How v1 shows domain objects (the spec's field names, camelCase)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.ids import iso
from chalicelib.links import file_download
from chalicelib.services.notifications import Shown, actor_of
from chalicelib.services.users import preferences_of
from chalicelib.services.workspaces import WorkspaceView
from chalicelib.store.models import ApiToken, Channel, ChannelMember, File, Invite, Membership, Message, User

SIZES = ("small", "medium", "large")


def user_profile(user: User) -> dict[str, Any]:
    """What any member of a shared workspace may see."""
    return {
        "id": user.id,
        "username": user.username,
        "displayName": user.display_name,
        "avatarUrl": user.avatar_url,
        "bio": user.bio,
        "status": "offline" if user.status == "invisible" else user.status,
        "createdAt": user.created_at,
    }


def me(user: User) -> dict[str, Any]:
    """The caller's own profile: with email, true status and preferences."""
    return {
        **user_profile(user),
        "email": user.email,
        "status": user.status,
        "emailVerified": bool(user.email_verified),
        "preferences": preferences_of(user),
    }


def workspace(view: WorkspaceView) -> dict[str, Any]:
    ws = view.workspace
    return {
        "id": ws.id,
        "name": ws.name,
        "slug": ws.slug,
        "iconUrl": ws.icon_url,
        "plan": ws.plan,
        "ownerId": ws.owner_id,
        "generalChannelId": ws.general_channel_id,
        "role": view.role,
        "comments": {"allowGuests": bool(ws.comments_allow_guests), "premoderate": bool(ws.comments_premoderate)},
        "createdAt": ws.created_at,
    }


def api_token(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "workspaceId": token.workspace_id,
        "userId": token.user_id,
        "scopes": sorted(token.scopes),
        "bot": bool(token.bot),
        "hint": f"dqa_…{token.hint}",
        "createdAt": token.created_at,
    }


def channel(item: Channel) -> dict[str, Any]:
    shown = {
        "id": item.id,
        "workspaceId": item.workspace_id,
        "name": item.name,
        "slug": item.name,
        "type": item.channel_type,
        "topic": item.topic,
        "description": item.description,
        "memberCount": int(item.member_count),
        "lastMessageAt": item.last_message_at,
        "archived": bool(item.archived),
        "isGeneral": bool(item.is_default),
        "createdBy": item.created_by,
        "createdAt": item.created_at,
    }
    if item.channel_type == "comments":  # a Disqus thread (docs/disqus.md): its page-side identity
        shown["thread"] = {
            "identifier": item.identifier,
            "link": item.link,
            "slug": item.thread_slug,
            "category": item.category,
            "closed": bool(item.closed),
        }
    return shown


def channel_member(member: ChannelMember, user: User | None) -> dict[str, Any]:
    return {
        "userId": member.user_id,
        "role": member.role,
        "joinedAt": member.joined_at,
        **({"user": user_profile(user)} if user else {}),
    }


def workspace_member(membership: Membership, user: User) -> dict[str, Any]:
    return {**user_profile(user), "role": membership.role, "joinedAt": membership.joined_at}


def invite(item: Invite, code: str | None = None, url: str | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": item.id,
        "workspaceId": item.workspace_id,
        "role": item.role,
        "email": item.email,
        "expiresAt": iso(datetime.fromtimestamp(item.expires_at, UTC)),
        "maxUses": None if item.max_uses is None else int(item.max_uses),
        "uses": int(item.uses),
        "revoked": bool(item.revoked),
        "createdBy": item.created_by,
        "createdAt": item.created_at,
    }
    if code is not None:
        shown["code"] = code
        shown["url"] = url
    return shown


def message(item: Message) -> dict[str, Any]:
    """The spec's message object (plus ``deleted`` and ``lastReplyAt``)."""
    tally = item.reaction_tally()
    return {
        "id": item.id,
        "channelId": item.channel_id,
        "workspaceId": item.workspace_id,
        "authorId": item.author_id,
        "content": item.content,
        "contentHtml": item.content_html,
        "type": item.kind,
        "threadId": item.thread_id,
        "replyCount": int(item.reply_count or 0),
        "lastReplyAt": item.last_reply_at,
        "reactions": [
            {"emoji": emoji, "count": count, "userIds": users}
            for emoji, (count, users) in sorted(tally.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ],
        "attachments": [attachment(a) for a in item.attachments or []],
        "mentions": list(item.mentions or []),
        "editedAt": item.edited_at,
        "deleted": bool(item.deleted),
        "createdAt": item.created_at,
        **({"post": post(item)} if item.is_post else {}),
    }


def post(item: Message) -> dict[str, Any]:
    """What a message of a comments thread is on the Disqus side (docs/disqus.md)."""
    return {
        "number": int(item.post_number) if item.post_number is not None else None,
        "parentId": item.parent_post,
        "depth": int(item.depth or 0),
        "state": item.post_state,
        "highlighted": bool(item.highlighted),
        "likes": int(item.likes or 0),
        "dislikes": int(item.dislikes or 0),
    }


def attachment(summary: Any) -> dict[str, Any]:
    """A message's attached file, with the URLs to fetch it (the download route checks
    visibility and answers with a short-lived presigned URL)."""
    shown = dict(summary.as_dict() if hasattr(summary, "as_dict") else summary)
    if shown.get("kind") == "pin":  # a system message's reference to a pinned message
        return shown
    has_thumbnails = shown.pop("hasThumbnails", False)
    shown["url"] = file_download(shown["id"])
    shown["thumbnails"] = {size: file_download(shown["id"], size) for size in SIZES} if has_thumbnails else {}
    return shown


def file(item: File) -> dict[str, Any]:
    thumbnails = item.thumbnail_keys()
    return {
        "id": item.id,
        "workspaceId": item.workspace_id,
        "uploaderId": item.uploader_id,
        "filename": item.filename,
        "contentType": item.content_type,
        "kind": item.kind,
        "size": int(item.size),
        "status": item.status,
        "reason": item.reason,
        "url": file_download(item.id),
        "thumbnails": {size: file_download(item.id, size) for size in thumbnails},
        "createdAt": item.created_at,
        "processedAt": item.processed_at,
    }


def notification(shown: Shown) -> dict[str, Any]:
    """An in-app notification (GET /v1/notifications, and realtime's notification.created)."""
    n = shown.notification
    return {
        "id": n.id,
        "type": n.kind,
        "workspaceId": n.workspace_id,
        "channelId": n.channel_id,
        "messageId": n.message_id,
        "threadId": n.thread_id,
        "actor": actor_of(n),
        "preview": n.preview,
        "read": shown.read,
        "createdAt": n.created_at,
    }
