"""OWASP API4:2023 Unrestricted Resource Consumption, oversized items:
no accepted input makes a message item larger than 350,000 bytes (DynamoDB refuses
items over 400 KB, and the request failed with a 500).

Through the API: the worst texts (40,000 four-byte characters, characters that expand
when escaped, lines of email addresses that become mailto links) sent and edited; then
the fullest message there can be: text up to the store's body limit, 100 mentions, 10
attachments with the longest names, a pin, more thread participants than are kept,
and every reaction slot (20 distinct emoji of the longest kind, 50 listed reactors
each). Its item is read back raw and sized with DynamoDB's rules (bench/capacity.py).
Text that cannot be stored, and a 21st distinct emoji, are clean 4xx answers.
"""

from __future__ import annotations

import json
import random

import pytest

from bench import capacity
from chalicelib.ids import new_id, now_iso
from chalicelib.render.markdown import render
from chalicelib.store import channels as channel_store
from chalicelib.store import db, keys
from chalicelib.store import files as file_store
from chalicelib.store import messages as message_store
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import Entity, Reaction, UsernameClaim
from tests.helpers import create_workspace, register

LIMIT = 350_000

EMOJI = "😀" * 40_000  # 160,000 bytes
ESCAPED = "<" * 40_000  # &lt;: 160 KB of HTML
AMPERSANDS = "&" * 40_000  # &amp;: 200 KB of HTML
MAILTO = ("a@b.cd\n" * 5715)[:40_000]  # 360 KB of mailto links: the edit that failed with a 500
HEADINGS = "#\n" * 20_000  # <h1></h1>: 200 KB
WORST_TEXTS = {"emoji": EMOJI, "escaped": ESCAPED, "ampersands": AMPERSANDS, "mailto": MAILTO, "headings": HEADINGS}


@pytest.fixture
def room(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    return ws, owner


def _item_bytes(channel_id: str, sort_key: str) -> int:
    client = db.connection().client
    key = {"PK": {"S": keys.channel(channel_id)}, "SK": {"S": sort_key}}
    item = client.get_item(TableName=Entity.Meta.table_name, Key=key, ConsistentRead=True)["Item"]
    return capacity.item_size(item)


def _send(api, account, channel_id, content, **extra):
    # Raw UTF-8, as clients send it: with \u escapes 40,000 emoji are 480 KB, over the
    # 256 KB body cap.
    body = json.dumps({"content": content, **extra}, ensure_ascii=False)
    return api.post(f"/v1/channels/{channel_id}/messages", raw=body.encode(), token=account.access_token)


def _edit(api, account, message_id, content):
    body = json.dumps({"content": content}, ensure_ascii=False)
    return api.patch(f"/v1/messages/{message_id}", raw=body.encode(), token=account.access_token)


@pytest.mark.parametrize("name", WORST_TEXTS)
def test_the_worst_texts_are_stored_small_and_read_back_whole(api, room, name):
    ws, owner = room
    general = ws["generalChannelId"]
    sent = _send(api, owner, general, WORST_TEXTS[name])
    assert sent.status == 201, sent.body
    assert _item_bytes(general, keys.message(sent.data["id"])) <= 161_500  # the text, the HTML packed
    shown = api.get(f"/v1/messages/{sent.data['id']}", token=owner.access_token).data
    assert (shown["content"], shown["contentHtml"]) == (WORST_TEXTS[name], sent.data["contentHtml"])


def test_editing_a_message_into_40000_characters_of_email_addresses_succeeds(api, room):
    ws, owner = room
    general = ws["generalChannelId"]
    sent = _send(api, owner, general, "short").data
    edited = _edit(api, owner, sent["id"], MAILTO)
    assert edited.status == 200, edited.body  # was a 500: a 400 KB item at the database
    assert len(edited.data["contentHtml"].encode()) > 350_000
    assert _item_bytes(general, keys.message(sent["id"])) < 45_000
    edited = _edit(api, owner, sent["id"], "short again")
    assert edited.data["contentHtml"] == "<p>short again</p>"  # back to a string: no stale compressed copy
    assert _item_bytes(general, keys.message(sent["id"])) < 1_000


def test_text_that_cannot_be_stored_is_a_400_on_send_and_on_edit(api, room):
    ws, owner = room
    general = ws["generalChannelId"]
    noise = random.Random(7)
    incompressible = "".join(chr(noise.randint(0x10000, 0x10FFFF)) for _ in range(40_000))
    amplified = "[a]: http://x.y/" + "a" * 20_000 + "\n\n" + "[a]" * 6_000  # 120 MB of HTML if rendered
    sent = _send(api, owner, general, "keep me").data
    for content in (incompressible, amplified):
        refused = _send(api, owner, general, content)
        assert (refused.status, refused.error["code"], refused.error["field"]) == (400, "E_VALIDATION", "content")
        edited = _edit(api, owner, sent["id"], content)
        assert (edited.status, edited.error["field"]) == (400, "content")
    assert api.get(f"/v1/messages/{sent['id']}", token=owner.access_token).data["content"] == "keep me"


# --- the fullest message ---------------------------------------------------------------


def _members_with_usernames(ws, count):
    """Workspace members whose @usernames resolve (claims written straight to the store)."""
    names = []
    for n in range(count):
        user_id, name = new_id(), f"member{n:03d}"
        workspace_store.new_membership(ws["id"], user_id, "member", now_iso()).save()
        UsernameClaim(keys.username(name), keys.GUARD, user_id=user_id).save()
        names.append(name)
    return names


def _files(ws, owner, count):
    """Uploaded files with the longest names and types a summary can hold."""
    ids = []
    for n in range(count):
        item = file_store.new_file(
            new_id(),
            ws["id"],
            uploader_id=owner.user_id,
            filename=f"{n}" + "文" * 84,  # 253-254 bytes (safe_filename keeps 255)
            content_type="application/" + "x" * 115,  # 127 characters
            kind="document",
            size=1024**3,
            created_at=now_iso(),
        )
        item.status = "ready"
        item.thumbnails = {"small": "s", "medium": "m", "large": "l"}
        file_store.put(item)
        ids.append(item.id)
    return ids


def _fullest_text(prefix: str) -> str:
    """``prefix`` then 40,000 characters in all, as close under the body limit as a text
    of four-byte characters gets (random emoji compress little)."""
    noise = random.Random(1)
    filler = [chr(noise.randint(0x1F300, 0x1FAFF)) for _ in range(40_000)]
    room = 40_000 - len(prefix)

    def text(random_part: int) -> str:
        return prefix + "".join(filler[:random_part]) + "😀" * (room - random_part)

    low, high = 0, room
    while low < high:  # the most random characters that still fit
        middle = (low + high + 1) // 2
        content = text(middle)
        if message_store.body_bytes(content, render(content).html) <= message_store.BODY_LIMIT:
            low = middle
        else:
            high = middle - 1
    return text(low)


def _fill_reactions(message, emoji, reactors):
    """Every listing slot: the first emoji as reactions.add writes it, one reaction at a
    time; the others as copies of what that wrote, one UpdateItem each (moto copies the
    whole item on every transaction: 1,000 of them would take minutes)."""
    first, others = emoji[0], emoji[1:]
    for user_id in reactors:
        reaction = Reaction(
            keys.message(message.id),
            keys.reaction(first, user_id),
            message_id=message.id,
            channel_id=message.channel_id,
            workspace_id=message.workspace_id,
            emoji=first,
            user_id=user_id,
            created_at=now_iso(),
        )
        message_store.add_reaction(message, reaction)
    client = db.connection().client
    key = {"PK": {"S": message.PK}, "SK": {"S": message.SK}}
    item = client.get_item(TableName=Entity.Meta.table_name, Key=key, ConsistentRead=True)["Item"]
    count, listed = item["reaction_counts"]["M"][first], item["reaction_users"]["M"]
    assert count == {"N": str(len(reactors))} and len(listed) == len(reactors)
    for e in others:
        names, values, sets = {"#c": "reaction_counts", "#u": "reaction_users", "#e": e}, {":n": count}, ["#c.#e = :n"]
        for n, (entry, at) in enumerate(listed.items()):
            names[f"#k{n}"], values[f":t{n}"] = entry.replace(first, e, 1), at
            sets.append(f"#u.#k{n} = :t{n}")
        client.update_item(
            TableName=Entity.Meta.table_name,
            Key=key,
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )


def test_the_fullest_message_there_can_be_stays_under_350_kb(api, room):
    # moto sizes updates as DynamoDB does (devserver/moto_fixes.py, item 8).
    ws, owner = room
    general = ws["generalChannelId"]
    names = _members_with_usernames(ws, message_store.MENTIONS_CAP + 5)
    mentions = " ".join(f"@{n}" for n in names) + " "
    # Sent short, filled, then edited to its fullest text (moto is slow on large items).
    sent = _send(api, owner, general, mentions, attachmentIds=_files(ws, owner, 10))
    assert sent.status == 201, sent.body
    assert len(sent.data["mentions"]) == message_store.MENTIONS_CAP  # the first 100 names
    assert len(sent.data["attachments"]) == 10
    message_id, sort_key = sent.data["id"], keys.message(sent.data["id"])

    pinned = api.post(f"/v1/channels/{general}/pins", {"messageId": message_id}, token=owner.access_token)
    assert pinned.status == 201, pinned.body

    # More repliers than the parent keeps as participants.
    channel = channel_store.get(general)
    for _ in range(message_store.PARTICIPANTS_CAP + 5):
        reply = message_store.new_message(
            new_id(), channel, parent_id=message_id, author_id=new_id(), content="r", created_at=now_iso()
        )
        message_store.put_reply(reply, message_store.get(general, sort_key))
    parent = message_store.get(general, sort_key)
    assert parent.reply_count == message_store.PARTICIPANTS_CAP + 5
    assert len(parent.participants) == message_store.PARTICIPANTS_CAP

    longest = [f":{n:02d}{'x' * 48}:" for n in range(message_store.REACTIONS_CAP)]
    _fill_reactions(parent, longest, [new_id() for _ in range(message_store.REACTION_USERS_CAP)])

    content = _fullest_text(mentions)
    body = message_store.body_bytes(content, render(content).html)
    assert message_store.BODY_LIMIT - 1_000 < body <= message_store.BODY_LIMIT
    edited = _edit(api, owner, message_id, content)
    assert edited.status == 200, edited.body
    assert len(edited.data["mentions"]) == message_store.MENTIONS_CAP
    full = _item_bytes(general, sort_key)
    assert full <= LIMIT, full

    # Past the caps: more reactors are counted, not listed; a 21st distinct emoji is refused.
    more = api.post(f"/v1/messages/{message_id}/reactions", {"emoji": longest[0]}, token=owner.access_token)
    assert more.status == 200, more.body
    first = next(r for r in more.data["reactions"] if r["emoji"] == longest[0])
    assert (first["count"], len(first["userIds"])) == (51, 50)
    refused = api.post(f"/v1/messages/{message_id}/reactions", {"emoji": "👍"}, token=owner.access_token)
    assert (refused.status, refused.error["code"], refused.error["field"]) == (409, "E_CONFLICT", "emoji")
    assert _item_bytes(general, sort_key) <= LIMIT

    # Edits keep it there, whatever the new text.
    for text in (EMOJI, MAILTO, content):
        edited = _edit(api, owner, message_id, text)
        assert edited.status == 200, edited.body
        assert _item_bytes(general, sort_key) <= LIMIT
