"""The OpenAPI schemas of Admin v2's message and reaction answers, added to the surface's feed
(chalicelib/api/admin/openapi.py: SCHEMAS, and BUNDLES: which bundle a path answers)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.admin import openapi
from chalicelib.api.admin.surface import PREFIX

_STRINGS = {"type": "array", "items": {"type": "string"}}
_MESSAGE = {
    "type": "object",
    "properties": {
        "messageId": {"type": "string"},
        "channelId": {"type": "string", "description": "The channel's name"},
        "parentId": {"type": ["string", "null"], "description": "The thread's top-level message (a reply)"},
        "creatorId": {"type": "string"},
        "dataType": {"enum": ["text", "custom", "image", "file"]},
        "data": {
            "type": "object",
            "description": "text: {text}; custom: as sent; image/file: {fileId, caption, fullImage, thumbnailFileId}",
        },
        "tags": _STRINGS,
        "metadata": {"type": "object"},
        "reactions": {"type": "object", "additionalProperties": {"type": "integer"}},
        "reactionCount": {"type": "integer"},
        "flagCount": {"type": "integer"},
        "childCount": {"type": "integer", "description": "Replies in its thread"},
        "isDeleted": {"type": "boolean"},
        "editedAt": {"type": ["string", "null"]},
        "createdAt": {"type": "string"},
        "updatedAt": {"type": "string"},
        "v1Type": {"enum": ["message", "bot", "system"]},
    },
}
_FILE = {
    "type": "object",
    "properties": {
        "fileId": {"type": "string"},
        "name": {"type": "string"},
        "contentType": {"type": "string"},
        "size": {"type": "integer"},
        "kind": {"type": "string"},
        "status": {"type": "string"},
    },
}
_REACTOR = {
    "type": "object",
    "properties": {
        "referenceId": {"type": "string"},
        "referenceType": {"const": "message"},
        "reactionName": {"type": "string"},
        "userId": {"type": "string"},
        "createdAt": {"type": "string"},
    },
}
_PAGING = openapi.SCHEMAS["AdminChannelBundle"]["properties"]["paging"]
_USERS = openapi.SCHEMAS["AdminChannelBundle"]["properties"]["users"]

openapi.SCHEMAS["AdminMessageBundle"] = {
    "type": "object",
    "required": ["messages", "users", "files"],
    "properties": {
        "messages": {"type": "array", "items": _MESSAGE},
        "users": _USERS,
        "files": {"type": "array", "items": _FILE},
        "paging": _PAGING,
    },
}
openapi.SCHEMAS["AdminReactionBundle"] = {
    "type": "object",
    "description": "GET /api/v2/reactions: reactions[] and users[] with paging; POST and DELETE: the message "
    "bundle of the message reacted to",
    "properties": {
        "reactions": {"type": "array", "items": _REACTOR},
        "messages": {"type": "array", "items": _MESSAGE},
        "users": _USERS,
        "files": {"type": "array", "items": _FILE},
        "paging": _PAGING,
    },
}
openapi.BUNDLES.update(
    {
        f"{PREFIX}/message": ("AdminMessageBundle", "The message bundle"),
        f"{PREFIX}/reactions/messages/": ("AdminMessageBundle", "The message bundle, most reacted first"),
        f"{PREFIX}/reactions": ("AdminReactionBundle", "Reactors, or the message bundle"),
    }
)


_BYTES = {"/images": ("image/jpeg", "image/png", "image/webp", "image/gif"), "/files": ("application/octet-stream",)}


def _media(route: Any, operation: dict[str, Any]) -> None:
    """Image and file messages: multipart bodies in, bytes out."""
    if route.path in (f"{PREFIX}/messages/images", f"{PREFIX}/messages/files"):
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        operation["requestBody"] = {
            "required": True,
            "description": "multipart/form-data: the file part and the fields (at most 10 MB)",
            "content": {"multipart/form-data": {"schema": schema}},
        }
    for suffix, types in _BYTES.items():
        if route.path == f"{PREFIX}/messages/{{messageId}}{suffix}":
            operation["responses"]["200"] = {
                "description": "The bytes (409 E_FILE_NOT_READY until the file is scanned; 302 to a presigned URL "
                "past 5 MB)",
                "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in types},
            }


openapi.ADJUSTMENTS.append(_media)
