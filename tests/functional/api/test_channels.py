"""Channels: the permission table of docs/permissions.md ("Channels"), listing and
pagination, names, editing, archiving, members, concurrency and outbox events."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict
from chalicelib.ids import new_id, now_iso
from chalicelib.services import channels as channel_service
from chalicelib.store import channels as channel_store
from chalicelib.store import keys
from chalicelib.store import workspaces as workspace_store
from chalicelib.store.models import Membership
from chalicelib.workers import router
from tests.functional.workers.pipeline import StreamReader
from tests.helpers import Account, Answer, Api, create_workspace, register

UNKNOWN_ID = "01a2088c-37fa-72c1-8671-8ba9a11937e0"
# What every channel in an answer carries.
CHANNEL_FIELDS = {"id", "workspaceId", "name", "slug", "type", "topic", "description", "memberCount", "archived"}
CHANNEL_FIELDS |= {"lastMessageAt", "isGeneral", "createdBy", "createdAt"}


# --- helpers -------------------------------------------------------------------------


def _join(workspace_id, account, role):
    """Membership straight through the store: invites are tested with the members work."""
    _join_id(workspace_id, account.user_id, role)


def _join_id(workspace_id, user_id, role="member"):
    workspace_store.new_membership(workspace_id, user_id, role, now_iso()).save()


def _mint(api, account, workspace_id, scopes):
    answer = api.post(
        f"/v1/workspaces/{workspace_id}/tokens", {"name": "bot", "scopes": list(scopes)}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["token"]


def _create(api, account, workspace_id, name, kind="public", **extra):
    answer = api.post(
        f"/v1/workspaces/{workspace_id}/channels", {"name": name, "type": kind, **extra}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data


def _add(api, account, channel_id, *accounts):
    body = {"userIds": [a.user_id for a in accounts]}
    answer = api.post(f"/v1/channels/{channel_id}/members", body, token=account.access_token)
    assert answer.status == 200, answer.body
    return answer.data["added"]


def _read(api, account, channel_id):
    answer = api.get(f"/v1/channels/{channel_id}", token=account.access_token)
    assert answer.status == 200, answer.body
    return answer.data


def _pages(api, token, workspace_id, query="", limit=100):
    """Every page of a channel listing, following nextCursor."""
    pages, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        answer = api.get(f"/v1/workspaces/{workspace_id}/channels?limit={limit}{query}{suffix}", token=token)
        assert answer.status == 200, answer.body
        pages.append(answer)
        cursor = answer.body["pagination"]["nextCursor"]
        assert answer.body["pagination"]["hasMore"] is (cursor is not None)
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not end"


def _listed(api, account, workspace_id, query=""):
    return [c["name"] for page in _pages(api, account.access_token, workspace_id, query) for c in page.data]


def _member_ids(api, account, channel_id):
    answer = api.get(f"/v1/channels/{channel_id}/members", token=account.access_token)
    assert answer.status == 200, answer.body
    return {m["userId"] for m in answer.data}


def _error(answer: Answer) -> tuple[int, str, str | None]:
    return answer.status, answer.error["code"], answer.error.get("field")


def _channel_events(reader, workspace_id):
    """(type, data) of the workspace's channel.* and member.* outbox events since the
    last read, in stream order (system messages have events of their own)."""
    found = []
    while records := reader.read():
        for record in records:
            found += [(e["type"], e["data"]) for e in router.events_from_record(record)]
    return [
        (kind, data)
        for kind, data in found
        if kind.startswith(("channel.", "member.")) and data.get("workspaceId") == workspace_id
    ]


def _race(count: int, store_function: str, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) in threads held together just before the channel store's
    ``store_function`` writes, so every one of them has read before any writes.
    Returns each one's result or exception."""
    barrier = threading.Barrier(count, timeout=20)
    original = getattr(channel_store, store_function)

    def after_everyone_read(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    results: list[Any] = [None] * count

    def run(index):
        try:
            results[index] = work(index)
        except Exception as error:
            results[index] = error

    setattr(channel_store, store_function, after_everyone_read)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        setattr(channel_store, store_function, original)
    return results


def _session(who: Account | str) -> Principal:
    return Principal(user_id=who if isinstance(who, str) else who.user_id, kind="session")


# --- a workspace with one of every kind of caller --------------------------------------


def _arrange_channel(workspace_id, name, kind, manager_id, member_ids, *, archived=False):
    """A channel with its name claim and memberships, put straight into the store
    (one put per item). Creating channels and adding members are tested through the
    API below; the permission table only needs them to exist, and moto copies the
    whole table for every transaction."""
    now = now_iso()
    channel = channel_store.new_channel(new_id(), workspace_id, name, kind, manager_id, now)
    channel.member_count = 1 + len(member_ids)
    if archived:
        channel.archived = True
        channel.GSI1PK = keys.channel_listing(workspace_id, kind, True)
    channel_store.name_claim(channel).save()
    channel.save()
    channel_store.new_member(channel, manager_id, "manager", now).save()
    for user_id in member_ids:
        channel_store.new_member(channel, user_id, "member", now).save()
    if kind == "private":  # the count the real transactions keep on each membership
        for user_id in (manager_id, *member_ids):
            membership = workspace_store.get_membership(workspace_id, user_id)
            membership.update(
                actions=[Membership.private_channels.add(1), Membership.private_channel_ids.add({channel.id})]
            )
    return {"id": channel.id, "workspaceId": workspace_id, "type": kind}


@dataclass
class World:
    api: Api
    workspace_id: str
    owner: Account
    admin: Account
    outsider: Account  # workspace member, not in the channels under test
    member: Account  # in every test channel
    manager: Account  # manages every test channel (its creator)
    bystander: str  # a workspace member in every test channel: whom "remove someone else" removes
    newcomer: str  # a workspace member in no channel: whom "add others" adds
    stranger: Account  # not in the workspace
    read_token: str  # the owner's, channels:read and admin
    write_token: str  # the owner's, channels:write and admin
    foreign_token: str  # the owner's, both scopes, minted in another workspace
    names: itertools.count = field(default_factory=itertools.count)

    def channel(self, kind: str, *also_in: Account, archived: bool = False) -> dict[str, Any]:
        """A new channel managed by the manager, with the member and bystander in it."""
        members = [self.member.user_id, self.bystander, *(a.user_id for a in also_in)]
        name = f"room-{next(self.names)}"
        return _arrange_channel(self.workspace_id, name, kind, self.manager.user_id, members, archived=archived)


@pytest.fixture
def world(api):
    owner = register(api, "olivia")
    ws = create_workspace(api, owner)
    people = {name: register(api, name) for name in ("adam", "otto", "mia", "max", "sam")}
    for name in ("otto", "mia", "max"):
        _join(ws["id"], people[name], "member")
    _join(ws["id"], people["adam"], "admin")
    bystander, newcomer = new_id(), new_id()  # only ever targets: no account needed
    _join_id(ws["id"], bystander)
    _join_id(ws["id"], newcomer)
    elsewhere = create_workspace(api, owner, "Elsewhere")
    return World(
        api=api,
        workspace_id=ws["id"],
        owner=owner,
        admin=people["adam"],
        outsider=people["otto"],
        member=people["mia"],
        manager=people["max"],
        bystander=bystander,
        newcomer=newcomer,
        stranger=people["sam"],
        # With the admin scope: a token acts as its creator, the owner (docs/permissions.md).
        read_token=_mint(api, owner, ws["id"], ["channels:read", "admin"]),
        write_token=_mint(api, owner, ws["id"], ["channels:write", "admin"]),
        foreign_token=_mint(api, owner, elsewhere["id"], ["channels:read", "channels:write"]),
    )


@pytest.fixture
def team(api):
    """A small workspace: owner jane, plain member mia."""
    owner, member = register(api, "jane"), register(api, "mia")
    ws = create_workspace(api, owner)
    _join(ws["id"], member, "member")
    return owner, member, ws


# --- the permission table ------------------------------------------------------------

OK = "ok"
FORBIDDEN = "403 E_AUTHZ_FORBIDDEN"
NOT_MEMBER = "403 E_AUTHZ_NOT_MEMBER"
NO_SCOPE = "403 E_AUTHZ_INSUFFICIENT_SCOPE"
NOT_FOUND = "404 E_NOT_FOUND"


def _outcome(answer: Answer) -> str:
    return OK if 200 <= answer.status < 300 else f"{answer.status} {answer.error['code']}"


def _listing(w: World, channel: dict[str, Any], token: str) -> str:
    """Whether the channel shows up in any page of the caller's listing."""
    first = w.api.get(f"/v1/workspaces/{w.workspace_id}/channels", token=token)
    if first.status != 200:
        return _outcome(first)
    ids = {c["id"] for page in _pages(w.api, token, w.workspace_id) for c in page.data}
    return "listed" if channel["id"] in ids else "hidden"


def _joining(w: World, channel: dict[str, Any], token: str) -> str:
    answer = w.api.post(f"/v1/channels/{channel['id']}/join", token=token)
    if answer.status != 200:
        return _outcome(answer)
    return "joined" if answer.data["joined"] else "already in"


@dataclass(frozen=True)
class Action:
    scope: str
    run: Callable[[World, dict[str, Any], str], str]  # -> the outcome
    archived: bool = False  # the channel it runs on is archived first


def _call(method: str, path: str, body: Any = None) -> Callable[[World, dict[str, Any], str], str]:
    """An action that is one call; ``path`` may use {channel}, {workspace}, {bystander}."""

    def run(w: World, channel: dict[str, Any], token: str) -> str:
        filled = path.format(channel=channel["id"], workspace=w.workspace_id, bystander=w.bystander)
        sent = body(w, channel) if callable(body) else body
        return _outcome(w.api.call(method, filled, sent, token=token))

    return run


ACTIONS: dict[str, Action] = {
    "list": Action("channels:read", _listing),
    "create": Action(
        "channels:write",
        _call(
            "POST",
            "/v1/workspaces/{workspace}/channels",
            lambda w, ch: {"name": f"new-{next(w.names)}", "type": ch["type"]},
        ),
    ),
    "read": Action("channels:read", _call("GET", "/v1/channels/{channel}")),
    "list members": Action("channels:read", _call("GET", "/v1/channels/{channel}/members")),
    "edit": Action("channels:write", _call("PATCH", "/v1/channels/{channel}", {"topic": "Release train"})),
    "archive": Action("channels:write", _call("DELETE", "/v1/channels/{channel}")),
    "unarchive": Action("channels:write", _call("POST", "/v1/channels/{channel}/unarchive"), archived=True),
    "join": Action("channels:write", _joining),
    "add others": Action(
        "channels:write",
        _call("POST", "/v1/channels/{channel}/members", lambda w, ch: {"userIds": [w.newcomer]}),
    ),
    "leave": Action("channels:write", _call("POST", "/v1/channels/{channel}/leave")),
    "remove someone else": Action("channels:write", _call("DELETE", "/v1/channels/{channel}/members/{bystander}")),
}

# Columns: a workspace member not in the channel, a channel member, the channel's
# manager (its creator), then a workspace admin and owner, each outside the channel
# and in it. A private channel is invisible (404) to anyone not in it.
CALLERS = ("outsider", "member", "manager", "admin", "admin in it", "owner", "owner in it")
Y, FB, NM, NF, IN = OK, FORBIDDEN, NOT_MEMBER, NOT_FOUND, "already in"
MATRIX: dict[str, dict[str, tuple[str, ...]]] = {
    "list": {
        "public": ("listed",) * 7,
        "private": ("hidden", "listed", "listed", "hidden", "listed", "hidden", "listed"),
    },
    "create": {"public": (Y, Y, Y, Y, Y, Y, Y), "private": (Y, Y, Y, Y, Y, Y, Y)},  # of that type
    "read": {"public": (Y, Y, Y, Y, Y, Y, Y), "private": (NF, Y, Y, NF, Y, NF, Y)},
    "list members": {"public": (Y, Y, Y, Y, Y, Y, Y), "private": (NF, Y, Y, NF, Y, NF, Y)},
    "edit": {"public": (FB, FB, Y, Y, Y, Y, Y), "private": (NF, FB, Y, NF, Y, NF, Y)},
    "archive": {"public": (FB, FB, Y, Y, Y, Y, Y), "private": (NF, FB, Y, NF, Y, NF, Y)},
    "unarchive": {"public": (FB, FB, FB, Y, Y, Y, Y), "private": (NF, FB, FB, NF, Y, NF, Y)},
    "join": {
        "public": ("joined", IN, IN, "joined", IN, "joined", IN),
        "private": (NF, IN, IN, NF, IN, NF, IN),
    },
    "add others": {"public": (NM, Y, Y, NM, Y, NM, Y), "private": (NF, Y, Y, NF, Y, NF, Y)},
    "leave": {"public": (NF, Y, Y, NF, Y, NF, Y), "private": (NF, Y, Y, NF, Y, NF, Y)},
    "remove someone else": {"public": (FB, FB, Y, Y, Y, Y, Y), "private": (NF, FB, Y, NF, Y, NF, Y)},
}


def _callers(w: World, action: Action) -> dict[str, tuple[Account, bool, str]]:
    """label -> (who, whether they are put in the channel, the credential they use)."""
    with_scope, without_scope = (
        (w.read_token, w.write_token) if action.scope == "channels:read" else (w.write_token, w.read_token)
    )
    return {
        "outsider": (w.outsider, False, w.outsider.access_token),
        "member": (w.member, False, w.member.access_token),  # in every test channel anyway
        "manager": (w.manager, False, w.manager.access_token),
        "admin": (w.admin, False, w.admin.access_token),
        "admin in it": (w.admin, True, w.admin.access_token),
        "owner": (w.owner, False, w.owner.access_token),
        "owner in it": (w.owner, True, w.owner.access_token),
        # The owner's tokens, with the owner in the channel.
        "token with the scope": (w.owner, True, with_scope),
        "token without the scope": (w.owner, True, without_scope),
        "token of another workspace": (w.owner, True, w.foreign_token),
        "non-member of the workspace": (w.stranger, False, w.stranger.access_token),
    }


@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_table(world, action):
    """Every cell of the Channels table, for public and private channels; each caller
    acts on a channel of its own, so no action sees another's effect."""
    act = ACTIONS[action]
    expected, outcomes = {}, {}
    for kind, row in MATRIX[action].items():
        columns = dict(zip(CALLERS, row, strict=True))
        columns |= {
            "token with the scope": columns["owner in it"],  # a token acts as its creator
            "token without the scope": NO_SCOPE,
            # Naming the workspace: refused unread; naming a channel: it does not exist for it.
            "token of another workspace": NOT_MEMBER if action in ("list", "create") else NOT_FOUND,
            "non-member of the workspace": NOT_FOUND,
        }
        for label, (account, put_in, token) in _callers(world, act).items():
            channel = world.channel(kind, *([account] if put_in else []), archived=act.archived)
            expected[kind, label] = columns[label]
            outcomes[kind, label] = act.run(world, channel, token)
    assert outcomes == expected


def test_allowed_cells_take_effect_and_refused_ones_change_nothing(world):
    """The table checks answers; this checks what some of its cells did."""
    api, admin, member = world.api, world.admin.access_token, world.member.access_token
    edited = world.channel("private", world.admin)
    assert api.patch(f"/v1/channels/{edited['id']}", {"topic": "By admin"}, token=admin).status == 200
    assert _read(api, world.member, edited["id"])["topic"] == "By admin"
    archived = world.channel("public")
    assert api.delete(f"/v1/channels/{archived['id']}", token=world.owner.access_token).status == 200
    assert _read(api, world.member, archived["id"])["archived"] is True
    removed = world.channel("public")
    assert api.delete(f"/v1/channels/{removed['id']}/members/{world.bystander}", token=admin).status == 204
    assert _member_ids(api, world.manager, removed["id"]) == {world.manager.user_id, world.member.user_id}
    added = world.channel("private")
    adding = {"userIds": [world.newcomer]}
    assert api.post(f"/v1/channels/{added['id']}/members", adding, token=member).data == {"added": [world.newcomer]}
    assert world.newcomer in _member_ids(api, world.member, added["id"])
    assert _read(api, world.member, added["id"])["memberCount"] == 4

    untouched = world.channel("public")
    assert api.patch(f"/v1/channels/{untouched['id']}", {"topic": "x"}, token=member).status == 403
    assert api.delete(f"/v1/channels/{untouched['id']}", token=world.foreign_token).status == 404
    assert api.delete(f"/v1/channels/{untouched['id']}/members/{world.bystander}", token=member).status == 403
    outsider = world.outsider.access_token
    assert api.post(f"/v1/channels/{untouched['id']}/members", adding, token=outsider).status == 403
    seen = _read(api, world.manager, untouched["id"])
    assert (seen["topic"], seen["archived"], seen["memberCount"]) == (None, False, 3)
    assert world.newcomer not in _member_ids(api, world.manager, untouched["id"])


def test_token_never_does_more_than_its_creator(world):
    api = world.api
    members_token = _mint(api, world.member, world.workspace_id, ["channels:read", "channels:write"])
    channel = world.channel("public")
    edit = api.patch(f"/v1/channels/{channel['id']}", {"topic": "mine now"}, token=members_token)
    assert _error(edit)[:2] == (403, "E_AUTHZ_FORBIDDEN")
    archive = api.delete(f"/v1/channels/{channel['id']}", token=members_token)
    assert _error(archive)[:2] == (403, "E_AUTHZ_FORBIDDEN")
    private = world.channel("private")
    assert api.post(f"/v1/channels/{private['id']}/leave", token=world.member.access_token).status == 204
    assert api.get(f"/v1/channels/{private['id']}", token=members_token).status == 404
    assert _read(api, world.manager, channel["id"])["topic"] is None


# --- listing -------------------------------------------------------------------------


def _invite_and_accept(api, owner, workspace_id, account):
    invite = api.post(f"/v1/workspaces/{workspace_id}/invites", {}, token=owner.access_token)
    assert invite.status == 201, invite.body
    accepted = api.post(f"/v1/invites/{invite.data['code']}/accept", token=account.access_token)
    assert accepted.status == 200, accepted.body


def test_new_workspace_has_general_with_every_member(api):
    owner, joiner = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, owner)
    (general,) = api.get(f"/v1/workspaces/{ws['id']}/channels", token=owner.access_token).data
    assert general["id"] == ws["generalChannelId"]
    assert (general["name"], general["slug"], general["type"], general["isGeneral"]) == (
        "general",
        "general",
        "public",
        True,
    )
    assert (general["memberCount"], general["archived"], general["lastMessageAt"]) == (1, False, None)
    assert set(general) >= CHANNEL_FIELDS
    _invite_and_accept(api, owner, ws["id"], joiner)
    assert _read(api, joiner, general["id"])["memberCount"] == 2
    assert _member_ids(api, joiner, general["id"]) == {owner.user_id, joiner.user_id}
    created = _create(api, owner, ws["id"], "random")
    assert created["isGeneral"] is False


def test_list_is_public_by_name_then_my_private_ones(api, team):
    owner, member, ws = team
    for name in ("zeta", "alpha", "mid"):
        _create(api, owner, ws["id"], name)
    _create(api, owner, ws["id"], "owners-only", "private")
    _create(api, member, ws["id"], "mias-room", "private")
    theirs = _create(api, owner, ws["id"], "shared-secret", "private")
    _add(api, owner, theirs["id"], member)
    assert _listed(api, member, ws["id"]) == ["alpha", "general", "mid", "zeta", "mias-room", "shared-secret"]
    assert _listed(api, owner, ws["id"]) == ["alpha", "general", "mid", "zeta", "owners-only", "shared-secret"]
    assert _listed(api, member, ws["id"], "&type=public") == ["alpha", "general", "mid", "zeta"]
    assert _listed(api, member, ws["id"], "&type=private") == ["mias-room", "shared-secret"]
    items = api.get(f"/v1/workspaces/{ws['id']}/channels?type=private", token=member.access_token).data
    assert {c["type"] for c in items} == {"private"} and all(set(c) >= CHANNEL_FIELDS for c in items)
    bad = api.get(f"/v1/workspaces/{ws['id']}/channels?type=secret", token=member.access_token)
    assert _error(bad)[0::2] == (400, "type")


def test_archived_channels_are_listed_only_when_asked(api, team):
    owner, member, ws = team
    public = _create(api, owner, ws["id"], "old-news")
    private = _create(api, owner, ws["id"], "old-secret", "private")
    _create(api, owner, ws["id"], "current")
    for channel in (public, private):
        assert api.delete(f"/v1/channels/{channel['id']}", token=owner.access_token).status == 200
    assert _listed(api, owner, ws["id"]) == ["current", "general"]
    assert _listed(api, owner, ws["id"], "&archived=true") == ["old-news", "old-secret"]
    archived = [c for p in _pages(api, owner.access_token, ws["id"], "&archived=true") for c in p.data]
    assert all(c["archived"] is True for c in archived)
    assert _listed(api, member, ws["id"], "&archived=true") == ["old-news"]
    assert _listed(api, owner, ws["id"], "&archived=true&type=private") == ["old-secret"]


def test_pagination_crosses_from_public_to_private_without_gaps_or_duplicates(api, team):
    owner, member, ws = team
    publics = ["general"] + [_create(api, owner, ws["id"], f"pub-{i}")["name"] for i in range(6)]
    privates = [_create(api, owner, ws["id"], f"priv-{i}", "private")["name"] for i in range(5)]
    _create(api, member, ws["id"], "not-owners", "private")
    for limit in (1, 2, 3, 5, 7, 12, 100):
        pages = _pages(api, owner.access_token, ws["id"], limit=limit)
        names = [c["name"] for page in pages for c in page.data]
        assert names == sorted(publics) + privates, limit
        assert all(len(page.data) <= limit for page in pages)
        assert all(page.body["pagination"]["hasMore"] for page in pages[:-1])
        assert pages[-1].body["pagination"] == {"hasMore": False, "nextCursor": None}
        # A page holds channels of one kind: it may be short only where the public ones end.
        kinds = [{c["type"] for c in page.data} for page in pages]
        assert all(len(k) <= 1 for k in kinds), limit
        short = [i for i, page in enumerate(pages[:-1]) if len(page.data) < limit]
        assert all(kinds[i] == {"public"} and kinds[i + 1] != {"public"} for i in short), limit


def test_pagination_is_stable_when_channels_are_created_between_pages(api, team):
    owner, _, ws = team
    for name in ("b", "d", "f", "h"):
        _create(api, owner, ws["id"], name)
    first = api.get(f"/v1/workspaces/{ws['id']}/channels?limit=2&type=public", token=owner.access_token)
    assert [c["name"] for c in first.data] == ["b", "d"]
    _create(api, owner, ws["id"], "a")  # before the cursor: not seen now
    _create(api, owner, ws["id"], "e")  # after it: seen
    cursor = first.body["pagination"]["nextCursor"]
    rest = []
    while cursor:
        page = api.get(
            f"/v1/workspaces/{ws['id']}/channels?limit=2&type=public&cursor={cursor}", token=owner.access_token
        )
        rest += [c["name"] for c in page.data]
        cursor = page.body["pagination"]["nextCursor"]
    assert rest == ["e", "f", "general", "h"]


def test_cursor_of_another_list_or_user_is_rejected(api, team):
    owner, member, ws = team
    other_ws = create_workspace(api, owner, "Other")
    for i in range(3):
        _create(api, owner, ws["id"], f"c{i}")
        _create(api, owner, other_ws["id"], f"c{i}")
    page = api.get(f"/v1/workspaces/{ws['id']}/channels?limit=1", token=owner.access_token)
    cursor = page.body["pagination"]["nextCursor"]
    assert cursor
    tampered = ("f" if cursor[0] != "f" else "e") + cursor[1:]
    checks = [
        (owner, f"/v1/workspaces/{other_ws['id']}/channels?limit=1&cursor={cursor}"),
        (member, f"/v1/workspaces/{ws['id']}/channels?limit=1&cursor={cursor}"),
        (owner, f"/v1/workspaces/{ws['id']}/channels?limit=1&type=private&cursor={cursor}"),
        (owner, f"/v1/workspaces/{ws['id']}/channels?limit=1&archived=true&cursor={cursor}"),
        (owner, f"/v1/workspaces/{ws['id']}/channels?limit=1&cursor={tampered}"),
        (owner, f"/v1/workspaces/{ws['id']}/channels?limit=1&cursor=garbage"),
    ]
    for account, path in checks:
        answer = api.get(path, token=account.access_token)
        assert _error(answer) == (400, "E_VALIDATION", "cursor"), path
    resumed = api.get(f"/v1/workspaces/{ws['id']}/channels?limit=1&cursor={cursor}", token=owner.access_token)
    assert [c["name"] for c in resumed.data] == ["c1"]


def test_limit_must_be_between_1_and_100(api, team):
    owner, _, ws = team
    _create(api, owner, ws["id"], "second")
    for limit in ("0", "101", "-1", "ten"):
        answer = api.get(f"/v1/workspaces/{ws['id']}/channels?limit={limit}", token=owner.access_token)
        assert _error(answer) == (400, "E_VALIDATION", "limit"), limit
    assert len(api.get(f"/v1/workspaces/{ws['id']}/channels?limit=1", token=owner.access_token).data) == 1
    assert len(api.get(f"/v1/workspaces/{ws['id']}/channels?limit=100", token=owner.access_token).data) == 2


# --- creating ------------------------------------------------------------------------


def test_valid_names_are_stored_lowercase(api, team):
    owner, _, ws = team
    for given, stored in (
        ("dev", "dev"),
        ("Random", "random"),
        ("0day", "0day"),
        ("team_a-b", "team_a-b"),
        ("a", "a"),
        ("x" * 80, "x" * 80),
    ):
        created = _create(api, owner, ws["id"], given)
        assert (created["name"], created["slug"]) == (stored, stored), given


def test_invalid_names_are_rejected(api, team):
    owner, _, ws = team
    for name in ("my channel", "v1.2", "-dash", "_under", "x" * 81, "", "caf\u00e9", "a/b", "#dev", 42, None):
        answer = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": name}, token=owner.access_token)
        assert _error(answer) == (400, "E_VALIDATION", "name"), name
    assert _listed(api, owner, ws["id"]) == ["general"]


def test_create_rejects_unknown_fields_and_types(api, team):
    owner, _, ws = team
    unknown = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "x", "color": "red"}, token=owner.access_token)
    assert _error(unknown) == (400, "E_VALIDATION", "color")
    bad_type = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "x", "type": "secret"}, token=owner.access_token
    )
    assert _error(bad_type) == (400, "E_VALIDATION", "type")
    assert _listed(api, owner, ws["id"]) == ["general"]


def test_creator_joins_as_manager(api, team):
    owner, member, ws = team
    created = _create(api, member, ws["id"], "design", topic="Pixels", description="Everything visual")
    assert (created["type"], created["memberCount"], created["createdBy"]) == ("public", 1, member.user_id)
    assert (created["topic"], created["description"], created["archived"]) == ("Pixels", "Everything visual", False)
    assert _read(api, owner, created["id"]) == created
    (me,) = api.get(f"/v1/channels/{created['id']}/members", token=member.access_token).data
    assert (me["userId"], me["role"], me["user"]["username"]) == (member.user_id, "manager", "mia")


def test_names_are_unique_per_workspace_including_archived_channels(api, team):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    for name in ("dev", "DEV", "general"):
        taken = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": name}, token=member.access_token)
        assert _error(taken) == (409, "E_CONFLICT", "name"), name
    private = api.post(
        f"/v1/workspaces/{ws['id']}/channels", {"name": "dev", "type": "private"}, token=owner.access_token
    )
    assert _error(private) == (409, "E_CONFLICT", "name")
    assert api.delete(f"/v1/channels/{dev['id']}", token=owner.access_token).status == 200
    still_taken = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "dev"}, token=owner.access_token)
    assert _error(still_taken) == (409, "E_CONFLICT", "name")
    other = create_workspace(api, owner, "Other")
    assert _create(api, owner, other["id"], "dev")["workspaceId"] == other["id"]
    assert _listed(api, owner, ws["id"], "&archived=true") == ["dev"]


def test_concurrent_creates_of_one_name_exactly_one_wins(api, team):
    owner, member, ws = team
    callers = [owner, member] * 3
    results = _race(
        len(callers),
        "create",
        lambda i: channel_service.create(_session(callers[i]), ws["id"], "launch", "public", None, None),
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(e, Conflict) and e.field == "name" for e in losers), losers
    assert _listed(api, owner, ws["id"]) == ["general", "launch"]
    assert _read(api, owner, winners[0].id)["memberCount"] == 1


# --- reading and editing -------------------------------------------------------------


def test_rename_moves_the_name_claim(api, team):
    owner, _, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    ops = _create(api, owner, ws["id"], "ops")
    renamed = api.patch(f"/v1/channels/{dev['id']}", {"name": "Engineering"}, token=owner.access_token)
    assert (renamed.data["name"], renamed.data["slug"]) == ("engineering", "engineering")
    assert _read(api, owner, dev["id"])["name"] == "engineering"
    assert _listed(api, owner, ws["id"]) == ["engineering", "general", "ops"]
    assert _create(api, owner, ws["id"], "dev")["name"] == "dev"  # the old name is free
    taken = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "engineering"}, token=owner.access_token)
    assert _error(taken) == (409, "E_CONFLICT", "name")
    clash = api.patch(f"/v1/channels/{ops['id']}", {"name": "engineering"}, token=owner.access_token)
    assert _error(clash) == (409, "E_CONFLICT", "name")
    assert _read(api, owner, ops["id"])["name"] == "ops"
    same = api.patch(f"/v1/channels/{ops['id']}", {"name": "ops"}, token=owner.access_token)
    assert same.status == 200 and same.data["name"] == "ops"


def test_rename_to_an_invalid_name_is_rejected(api, team):
    owner, _, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    for name in ("two words", "x" * 81, "", None):
        answer = api.patch(f"/v1/channels/{dev['id']}", {"name": name}, token=owner.access_token)
        assert _error(answer) == (400, "E_VALIDATION", "name"), name
    assert _read(api, owner, dev["id"])["name"] == "dev"


def test_topic_and_description_are_set_and_cleared_with_null(api, team):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    updated = api.patch(
        f"/v1/channels/{dev['id']}",
        {"topic": "Ship it", "description": "Builds and releases"},
        token=owner.access_token,
    ).data
    assert (updated["topic"], updated["description"], updated["name"]) == ("Ship it", "Builds and releases", "dev")
    cleared = api.patch(f"/v1/channels/{dev['id']}", {"topic": None}, token=owner.access_token).data
    assert (cleared["topic"], cleared["description"]) == (None, "Builds and releases")
    seen = _read(api, member, dev["id"])
    assert (seen["topic"], seen["description"]) == (None, "Builds and releases")
    too_long = api.patch(f"/v1/channels/{dev['id']}", {"topic": "x" * 251}, token=owner.access_token)
    assert _error(too_long) == (400, "E_VALIDATION", "topic")


def test_edit_rejects_unknown_fields_and_empty_bodies(api, team):
    owner, _, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    for body, field_name in (
        ({"type": "private"}, "type"),
        ({"archived": True}, "archived"),
        ({"id": UNKNOWN_ID}, "id"),
    ):
        answer = api.patch(f"/v1/channels/{dev['id']}", body, token=owner.access_token)
        assert _error(answer) == (400, "E_VALIDATION", field_name)
    assert api.patch(f"/v1/channels/{dev['id']}", {}, token=owner.access_token).status == 400
    seen = _read(api, owner, dev["id"])
    assert (seen["type"], seen["archived"]) == ("public", False)


def test_general_cannot_be_renamed_but_its_topic_can_change(api, team):
    owner, _, ws = team
    general = ws["generalChannelId"]
    renamed = api.patch(f"/v1/channels/{general}", {"name": "everyone"}, token=owner.access_token)
    assert _error(renamed)[:2] == (403, "E_AUTHZ_FORBIDDEN")
    assert _read(api, owner, general)["name"] == "general"
    assert api.patch(f"/v1/channels/{general}", {"topic": "All hands"}, token=owner.access_token).data["topic"] == (
        "All hands"
    )
    free = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "everyone"}, token=owner.access_token)
    assert free.status == 201


# --- archiving -----------------------------------------------------------------------


def test_archive_is_soft_and_blocks_writes_until_unarchived(api, team):
    owner, member, ws = team
    dev = _create(api, member, ws["id"], "dev")
    archived = api.delete(f"/v1/channels/{dev['id']}", token=member.access_token)
    assert (archived.status, archived.data["archived"]) == (200, True)
    assert _read(api, member, dev["id"])["archived"] is True
    assert _member_ids(api, member, dev["id"]) == {member.user_id}
    assert api.delete(f"/v1/channels/{dev['id']}", token=member.access_token).status == 200  # already archived
    for answer in (
        api.patch(f"/v1/channels/{dev['id']}", {"topic": "x"}, token=member.access_token),
        api.post(f"/v1/channels/{dev['id']}/members", {"userIds": [owner.user_id]}, token=member.access_token),
        api.post(f"/v1/channels/{dev['id']}/join", token=owner.access_token),
    ):
        assert (answer.status, answer.error["code"]) == (410, "E_CHANNEL_ARCHIVED")
    seen = _read(api, owner, dev["id"])
    assert (seen["topic"], seen["memberCount"]) == (None, 1)
    assert "dev" not in _listed(api, owner, ws["id"])
    refused = api.post(f"/v1/channels/{dev['id']}/unarchive", token=member.access_token)
    assert _error(refused)[:2] == (403, "E_AUTHZ_FORBIDDEN")
    restored = api.post(f"/v1/channels/{dev['id']}/unarchive", token=owner.access_token)
    assert (restored.status, restored.data["archived"]) == (200, False)
    assert "dev" in _listed(api, owner, ws["id"]) and "dev" not in _listed(api, owner, ws["id"], "&archived=true")
    assert api.post(f"/v1/channels/{dev['id']}/join", token=owner.access_token).data == {"joined": True}


def test_channel_archived_while_members_are_added_answers_410(api, team, monkeypatch):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    add_member = channel_store.add_member

    def archived_in_between(*args, **kwargs):  # after the service's check, before the write
        channel_service.set_archived(_session(owner), dev["id"], True)
        return add_member(*args, **kwargs)

    monkeypatch.setattr(channel_store, "add_member", archived_in_between)
    answer = api.post(f"/v1/channels/{dev['id']}/join", token=member.access_token)
    monkeypatch.undo()
    assert (answer.status, answer.error["code"]) == (410, "E_CHANNEL_ARCHIVED")
    seen = _read(api, owner, dev["id"])
    assert (seen["archived"], seen["memberCount"]) == (True, 1)
    assert _member_ids(api, owner, dev["id"]) == {owner.user_id}


def test_general_cannot_be_archived(api, team):
    owner, _, ws = team
    answer = api.delete(f"/v1/channels/{ws['generalChannelId']}", token=owner.access_token)
    assert _error(answer)[:2] == (403, "E_AUTHZ_FORBIDDEN")
    assert _read(api, owner, ws["generalChannelId"])["archived"] is False


# --- members -------------------------------------------------------------------------


def test_members_are_listed_with_their_profiles(api, team):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    assert _add(api, owner, dev["id"], member) == [member.user_id]
    listed = api.get(f"/v1/channels/{dev['id']}/members", token=member.access_token).data
    by_id = {m["userId"]: m for m in listed}
    assert set(by_id) == {owner.user_id, member.user_id}
    assert (by_id[owner.user_id]["role"], by_id[member.user_id]["role"]) == ("manager", "member")
    profile = by_id[member.user_id]["user"]
    assert (profile["id"], profile["username"], profile["displayName"]) == (member.user_id, "mia", "Mia")
    assert "email" not in profile and by_id[member.user_id]["joinedAt"]
    first = api.get(f"/v1/channels/{dev['id']}/members?limit=1", token=member.access_token)
    second = api.get(
        f"/v1/channels/{dev['id']}/members?limit=1&cursor={first.body['pagination']['nextCursor']}",
        token=member.access_token,
    )
    assert {m["userId"] for m in first.data + second.data} == set(by_id)
    assert second.body["pagination"] == {"hasMore": False, "nextCursor": None}


def test_only_workspace_members_can_be_added(api, team):
    owner, member, ws = team
    stranger = register(api, "sam")
    dev = _create(api, owner, ws["id"], "dev")
    answer = api.post(
        f"/v1/channels/{dev['id']}/members", {"userIds": [member.user_id, stranger.user_id]}, token=owner.access_token
    )
    assert _error(answer) == (400, "E_VALIDATION", "userIds[1]")
    unknown = api.post(f"/v1/channels/{dev['id']}/members", {"userIds": [UNKNOWN_ID]}, token=owner.access_token)
    assert _error(unknown) == (400, "E_VALIDATION", "userIds[0]")
    assert _member_ids(api, owner, dev["id"]) == {owner.user_id}
    assert _read(api, owner, dev["id"])["memberCount"] == 1


def test_add_members_validates_the_list(api, team):
    owner, _, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    path = f"/v1/channels/{dev['id']}/members"
    ids = [f"01a2088c-37fa-72c1-8671-{i:012x}" for i in range(101)]
    assert _error(api.post(path, {"userIds": ids}, token=owner.access_token)) == (400, "E_VALIDATION", "userIds")
    assert _error(api.post(path, {"userIds": []}, token=owner.access_token)) == (400, "E_VALIDATION", "userIds")
    assert _error(api.post(path, {"userIds": "x"}, token=owner.access_token)) == (400, "E_VALIDATION", "userIds")
    malformed = api.post(path, {"userIds": [owner.user_id, "not-an-id"]}, token=owner.access_token)
    assert _error(malformed) == (400, "E_VALIDATION", "userIds[1]")
    assert _error(api.post(path, {}, token=owner.access_token)) == (400, "E_VALIDATION", "userIds")


def test_adding_existing_members_adds_nobody_twice(api, team):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    assert _add(api, owner, dev["id"], member, owner) == [member.user_id]
    assert _add(api, owner, dev["id"], member) == []
    assert _read(api, owner, dev["id"])["memberCount"] == 2


def test_adding_yourself_to_a_public_channel_is_joining(api, team):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    assert _add(api, member, dev["id"], member) == [member.user_id]
    assert _member_ids(api, member, dev["id"]) == {owner.user_id, member.user_id}
    assert _read(api, member, dev["id"])["memberCount"] == 2
    secret = _create(api, owner, ws["id"], "secret", "private")
    hidden = api.post(f"/v1/channels/{secret['id']}/members", {"userIds": [member.user_id]}, token=member.access_token)
    assert _error(hidden)[:2] == (404, "E_NOT_FOUND")


def test_join_and_leave(api, team):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    assert api.post(f"/v1/channels/{dev['id']}/join", token=member.access_token).data == {"joined": True}
    assert api.post(f"/v1/channels/{dev['id']}/join", token=member.access_token).data == {"joined": False}
    assert _read(api, member, dev["id"])["memberCount"] == 2
    assert api.post(f"/v1/channels/{dev['id']}/leave", token=member.access_token).status == 204
    assert _member_ids(api, owner, dev["id"]) == {owner.user_id}
    again = api.post(f"/v1/channels/{dev['id']}/leave", token=member.access_token)
    assert _error(again)[:2] == (404, "E_NOT_FOUND")
    assert _read(api, owner, dev["id"])["memberCount"] == 1
    assert _add(api, member, dev["id"], member) == [member.user_id]
    assert api.delete(f"/v1/channels/{dev['id']}/members/{member.user_id}", token=member.access_token).status == 204
    assert _read(api, owner, dev["id"])["memberCount"] == 1


def test_leaving_a_private_channel_hides_it(api, team):
    owner, member, ws = team
    secret = _create(api, owner, ws["id"], "secret", "private")
    _add(api, owner, secret["id"], member)
    assert api.post(f"/v1/channels/{secret['id']}/leave", token=member.access_token).status == 204
    assert api.get(f"/v1/channels/{secret['id']}", token=member.access_token).status == 404
    assert "secret" not in _listed(api, member, ws["id"])


def test_nobody_leaves_or_is_removed_from_general(api):
    owner, joiner = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, owner)
    _invite_and_accept(api, owner, ws["id"], joiner)
    general = ws["generalChannelId"]
    for answer in (
        api.post(f"/v1/channels/{general}/leave", token=joiner.access_token),
        api.delete(f"/v1/channels/{general}/members/{joiner.user_id}", token=joiner.access_token),
        api.delete(f"/v1/channels/{general}/members/{joiner.user_id}", token=owner.access_token),
        api.post(f"/v1/channels/{general}/leave", token=owner.access_token),
    ):
        assert _error(answer)[:2] == (403, "E_AUTHZ_FORBIDDEN")
    assert _member_ids(api, owner, general) == {owner.user_id, joiner.user_id}
    assert _read(api, owner, general)["memberCount"] == 2


def test_removing_someone_who_is_not_in_the_channel_is_not_found(api, team):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    answer = api.delete(f"/v1/channels/{dev['id']}/members/{member.user_id}", token=owner.access_token)
    assert _error(answer)[:2] == (404, "E_NOT_FOUND")
    unknown = api.delete(f"/v1/channels/{dev['id']}/members/{UNKNOWN_ID}", token=owner.access_token)
    assert unknown.status == 404
    assert _read(api, owner, dev["id"])["memberCount"] == 1


def test_manager_removes_a_member(api, team):
    owner, member, ws = team
    dev = _create(api, member, ws["id"], "dev")
    _add(api, member, dev["id"], owner)
    assert api.delete(f"/v1/channels/{dev['id']}/members/{owner.user_id}", token=member.access_token).status == 204
    assert _member_ids(api, member, dev["id"]) == {member.user_id}
    assert _read(api, member, dev["id"])["memberCount"] == 1


def test_member_count_is_exact_under_concurrent_joins_and_leaves(api, team):
    owner, _, ws = team
    joiners = [new_id() for _ in range(10)]  # workspace members with no profile: join needs none
    for user_id in joiners:
        _join_id(ws["id"], user_id)
    busy = _create(api, owner, ws["id"], "busy")
    joined = _race(10, "add_member", lambda i: channel_service.join(_session(joiners[i]), busy["id"]))
    assert joined == [True] * 10
    assert _read(api, owner, busy["id"])["memberCount"] == 11
    assert _member_ids(api, owner, busy["id"]) == {owner.user_id, *joiners}
    left = _race(
        4,
        "remove_member",
        lambda i: channel_service.leave(_session(joiners[i]), busy["id"]),
    )
    assert left == [None] * 4
    assert _read(api, owner, busy["id"])["memberCount"] == 7
    assert _member_ids(api, owner, busy["id"]) == {owner.user_id, *joiners[4:]}


def test_concurrent_joins_of_one_user_count_once(api, team):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    results = _race(5, "add_member", lambda i: channel_service.join(_session(member), dev["id"]))
    assert sorted(results) == [False, False, False, False, True]
    assert _read(api, owner, dev["id"])["memberCount"] == 2


# --- ids -----------------------------------------------------------------------------

CHANNEL_ROUTES = [
    ("GET", "/v1/channels/{}", None),
    ("PATCH", "/v1/channels/{}", {"topic": "x"}),
    ("DELETE", "/v1/channels/{}", None),
    ("POST", "/v1/channels/{}/unarchive", None),
    ("GET", "/v1/channels/{}/members", None),
    ("POST", "/v1/channels/{}/members", {"userIds": [UNKNOWN_ID]}),
    ("DELETE", "/v1/channels/{}/members/" + UNKNOWN_ID, None),
    ("POST", "/v1/channels/{}/join", None),
    ("POST", "/v1/channels/{}/leave", None),
]


def test_malformed_unknown_and_foreign_channel_ids(api, team):
    owner, _, _ = team
    other = register(api, "bob")
    theirs = _create(api, other, create_workspace(api, other, "Theirs")["id"], "theirs")
    for method, path, body in CHANNEL_ROUTES:
        malformed = api.call(method, path.format("not-an-id"), body, token=owner.access_token)
        assert _error(malformed) == (400, "E_VALIDATION", "channelId"), (method, path)
        unknown = api.call(method, path.format(UNKNOWN_ID), body, token=owner.access_token)
        assert _error(unknown)[:2] == (404, "E_NOT_FOUND"), (method, path)
        foreign = api.call(method, path.format(theirs["id"]), body, token=owner.access_token)
        assert _error(foreign)[:2] == (404, "E_NOT_FOUND"), (method, path)
    seen = _read(api, other, theirs["id"])
    assert (seen["topic"], seen["archived"], seen["memberCount"]) == (None, False, 1)
    bad_user = api.delete(f"/v1/channels/{theirs['id']}/members/nope", token=other.access_token)
    assert _error(bad_user) == (400, "E_VALIDATION", "userId")
    upper = api.get(f"/v1/channels/{theirs['id'].upper()}", token=other.access_token)
    assert upper.status == 200 and upper.data["id"] == theirs["id"]


def test_non_member_of_the_workspace_gets_not_found_everywhere(api, team):
    owner, _, ws = team
    stranger = register(api, "sam")
    dev = _create(api, owner, ws["id"], "dev")
    for method, path, body in CHANNEL_ROUTES:
        answer = api.call(method, path.format(dev["id"]), body, token=stranger.access_token)
        assert _error(answer)[:2] == (404, "E_NOT_FOUND"), (method, path)
    listing = api.get(f"/v1/workspaces/{ws['id']}/channels", token=stranger.access_token)
    creating = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "mine"}, token=stranger.access_token)
    assert _error(listing)[:2] == _error(creating)[:2] == (404, "E_NOT_FOUND")
    assert _listed(api, owner, ws["id"]) == ["dev", "general"]


# --- events --------------------------------------------------------------------------


def test_channel_changes_write_outbox_events(api, team):
    owner, member, ws = team
    reader = StreamReader()
    _channel_events(reader, ws["id"])  # what came before
    dev = _create(api, owner, ws["id"], "dev", "private")
    path = f"/v1/channels/{dev['id']}"
    assert api.patch(path, {"name": "deploys", "topic": "Ship"}, token=owner.access_token).status == 200
    assert _add(api, owner, dev["id"], member) == [member.user_id]
    assert api.post(f"{path}/leave", token=member.access_token).status == 204
    assert api.delete(path, token=owner.access_token).status == 200
    assert api.post(f"{path}/unarchive", token=owner.access_token).status == 200
    events = _channel_events(reader, ws["id"])
    assert [kind for kind, _ in events] == [
        "channel.created",
        "channel.updated",
        "member.joined",
        "member.left",
        "channel.archived",
        "channel.unarchived",
    ]
    assert all(data["channelId"] == dev["id"] for _, data in events)
    created, updated, joined, left = (data for _, data in events[:4])
    assert (created["name"], created["type"], created["createdBy"]) == ("dev", "private", owner.user_id)
    assert (updated["changes"], updated["updatedBy"]) == (["name", "topic"], owner.user_id)
    assert (joined["userId"], joined["addedBy"]) == (member.user_id, owner.user_id)
    assert (left["userId"], left["removedBy"]) == (member.user_id, member.user_id)


def test_join_writes_member_joined_and_refusals_write_nothing(api, team):
    owner, member, ws = team
    dev = _create(api, owner, ws["id"], "dev")
    secret = _create(api, owner, ws["id"], "secret", "private")
    reader = StreamReader()
    _channel_events(reader, ws["id"])  # what came before
    path = f"/v1/channels/{dev['id']}"
    assert api.post(f"{path}/join", token=member.access_token).data == {"joined": True}
    assert api.post(f"{path}/join", token=member.access_token).data == {"joined": False}
    assert api.patch(path, {"topic": "no"}, token=member.access_token).status == 403
    assert api.delete(path, token=member.access_token).status == 403
    assert api.patch(path, {"name": "dev"}, token=owner.access_token).status == 200  # no change
    assert api.post(f"/v1/channels/{secret['id']}/join", token=member.access_token).status == 404
    assert api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "dev"}, token=owner.access_token).status == 409
    assert api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "x y"}, token=owner.access_token).status == 400
    events = _channel_events(reader, ws["id"])
    assert [(kind, data["channelId"], data["userId"]) for kind, data in events] == [
        ("member.joined", dev["id"], member.user_id)
    ]
