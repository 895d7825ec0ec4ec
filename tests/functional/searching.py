"""Helpers shared by the search tests (API and service): make channels and send
messages over the API, indexing each as the indexer worker would on message.created."""

from __future__ import annotations

from typing import Any

from chalicelib.services import search
from chalicelib.store import keys
from chalicelib.store import messages as message_store
from tests.helpers import Account, Api


def create_channel(api: Api, account: Account, workspace_id: str, name: str, kind: str = "public") -> str:
    answer = api.post(
        f"/v1/workspaces/{workspace_id}/channels", {"name": name, "type": kind}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["id"]


def send_indexed(api: Api, account: Account, channel_id: str, content: str, **extra: Any) -> dict[str, Any]:
    answer = api.post(f"/v1/channels/{channel_id}/messages", {"content": content, **extra}, token=account.access_token)
    assert answer.status == 201, answer.body
    message = message_store.get(channel_id, keys.message(answer.data["id"]))
    if message is None:  # a reply: its sort key names the parent
        message = message_store.get(channel_id, keys.reply(extra["threadId"], answer.data["id"]))
    search.index_message(message)  # what the indexer worker does on message.created
    return answer.data


def ready_file(workspace_id: str, uploader_id: str, filename: str, *, channel_id: str | None = None) -> Any:
    """A processed (ready) file record put straight in the table, shared in ``channel_id`` (public)
    when given: what the file processor leaves, without an upload."""
    from chalicelib.ids import new_id, now_iso
    from chalicelib.store import files as file_store

    item = file_store.new_file(
        new_id(),
        workspace_id,
        uploader_id=uploader_id,
        filename=filename,
        content_type="application/pdf",
        kind="document",
        size=10,
        created_at=now_iso(),
        processed_at=now_iso(),
        **({"public_channel_ids": {channel_id}} if channel_id else {}),
    )
    item.status = "ready"
    file_store.put(item)
    return item
