"""Admin v2 messages and reactions over real HTTP in the local runtime: a form-encoded create
(data[text], key[] tags, bracket metadata) and a reply, a JSON query window and its token, a
reaction and the most-reacted ranking on the table's GSI6 (created from infra/resources.yaml),
GET fields as a form body and in the query string, a delete."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.accounts import admin_console
from tests.e2e.harness import Devserver

pytestmark = pytest.mark.e2e

THUMBS = "\U0001f44d"


def test_messages_and_reactions_over_http(server: Devserver) -> None:
    api, suffix = server.base_url, uuid.uuid4().hex[:8]
    admin = admin_console(server, f"msg{suffix}", f"Msgs {suffix}").headers
    made = requests.post(f"{api}/api/v2/channel", data={"channelId": "board"}, headers=admin, timeout=10)
    assert made.status_code == 200, made.text

    created = requests.post(
        f"{api}/api/v2/message",
        data=[("channelId", "board"), ("data[text]", "first"), ("tags[]", "news"), ("metadata[by]", "console")],
        headers=admin,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    first = created.json()["messages"][0]
    assert (first["data"], first["tags"], first["metadata"]) == ({"text": "first"}, ["news"], {"by": "console"})
    reply = requests.post(
        f"{api}/api/v2/message",
        json={"channelId": "board", "type": "custom", "data": {"vote": "yes"}, "parentId": first["messageId"]},
        headers=admin,
        timeout=10,
    )
    assert reply.status_code == 200 and reply.json()["messages"][0]["parentId"] == first["messageId"], reply.text
    second = requests.post(
        f"{api}/api/v2/message", json={"channelId": "board", "data": {"text": "second"}}, headers=admin, timeout=10
    ).json()["messages"][0]

    window = requests.post(
        f"{api}/api/v2/messages", json={"channelId": "board", "options": {"first": 1}}, headers=admin, timeout=10
    )
    assert [m["messageId"] for m in window.json()["messages"]] == [first["messageId"]], window.text
    assert window.json()["messages"][0]["childCount"] == 1
    following = requests.post(
        f"{api}/api/v2/messages",
        json={"channelId": "board", "options": {"token": window.json()["paging"]["next"]}},
        headers=admin,
        timeout=10,
    )
    assert [m["messageId"] for m in following.json()["messages"]] == [second["messageId"]], following.text

    reacted = requests.post(
        f"{api}/api/v2/reactions",
        data={"referenceId": second["messageId"], "referenceType": "message", "reactionName": THUMBS},
        headers=admin,
        timeout=10,
    )
    assert reacted.status_code == 200 and reacted.json()["messages"][0]["reactions"] == {THUMBS: 1}, reacted.text
    ranked = requests.get(
        f"{api}/api/v2/reactions/messages/most",
        data={"channelId": "board", "reactionName": THUMBS},  # a GET's form body, as the spec sends it
        headers=admin,
        timeout=10,
    )
    assert [m["messageId"] for m in ranked.json()["messages"]] == [second["messageId"]], ranked.text
    reactors = requests.get(
        f"{api}/api/v2/reactions",
        params={"referenceId": second["messageId"], "referenceType": "message"},
        headers=admin,
        timeout=10,
    )
    assert [r["reactionName"] for r in reactors.json()["reactions"]] == [THUMBS], reactors.text

    deleted = requests.delete(f"{api}/api/v2/message/{second['messageId']}", headers=admin, timeout=10)
    assert deleted.status_code == 200 and deleted.json()["messages"][0]["isDeleted"] is True
    gone = requests.get(f"{api}/api/v2/message/{second['messageId']}", headers=admin, timeout=10)
    assert (gone.status_code, gone.json()["type"]) == (404, "E_NOT_FOUND")


def test_an_image_message_over_http(server: Devserver) -> None:
    """multipart/form-data in through the local gateway, the files pipeline in the runtime's
    pump, the bytes out (409 until the file is scanned)."""
    import io
    import time

    from PIL import Image

    api, suffix = server.base_url, uuid.uuid4().hex[:8]
    admin = admin_console(server, f"img{suffix}", f"Imgs {suffix}").headers
    assert requests.post(f"{api}/api/v2/channel", data={"channelId": "pics"}, headers=admin, timeout=10).ok
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), "navy").save(picture, "PNG")
    sent = requests.post(
        f"{api}/api/v2/messages/images",
        data={"channelId": "pics", "caption": "navy", "fullImage": "true"},
        files={"file": ("navy.png", picture.getvalue(), "image/png")},
        headers=admin,
        timeout=20,
    )
    assert sent.status_code == 200, sent.text
    message = sent.json()["messages"][0]
    assert (message["dataType"], message["data"]["caption"]) == ("image", "navy")
    path = f"{api}/api/v2/messages/{message['messageId']}/images"
    deadline = time.monotonic() + 60
    while True:
        got = requests.get(path, params={"size": "small"}, headers={**admin, "Accept": "*/*"}, timeout=10)
        if got.status_code != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert got.status_code == 200, got.text
    assert max(Image.open(io.BytesIO(got.content)).size) == 160
    full = requests.get(path, params={"size": "full"}, headers={**admin, "Accept": "*/*"}, timeout=10)
    assert Image.open(io.BytesIO(full.content)).size == (640, 480)
