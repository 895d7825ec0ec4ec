"""OWASP API1:2023 Broken Object Level Authorization.

Generated from the route table: every route that takes an id in its path is called by
another workspace's owner (a session, and an API token of theirs holding every scope, and on
Admin v2 their Admin Access Token) with the victim workspace's real ids: its workspace, a
channel, a private channel, a message, a file, an invite, an API token, a public key, a
webhook, an OAuth app, a moderation rule, its owner. A route added tomorrow is attacked the
same way without a new test. Each answer must be 404 (the object does not exist for them:
not 403, which would confirm it does), carry none of the victim's data, and change nothing.

The one documented 403: an API token naming another workspace's id in the path (or body)
gets E_AUTHZ_NOT_MEMBER without any read (docs/permissions.md), so it tells nothing either.
Invite codes are excluded: the code is the secret (anyone holding it may look the invite up).
"""

from __future__ import annotations

import json

import pytest

from chalicelib.auth import principal, scopes
from chalicelib.services import moderation
from tests.functional.api.oauth.flow import make_app
from tests.helpers import register
from tests.security.conftest import AUTHENTICATED, fill_path, mint, public_key, route_id, sample

SECRET_TEXT = "the victim's secret plans"
WITH_IDS = [r for r in AUTHENTICATED if set(r.params) - {"code"}]


@pytest.fixture
def victim(api, tenant_a, dns):
    """Workspace A with one object of every kind, and what must never leak from it."""
    owner, ws = tenant_a.owner, tenant_a.workspace
    token = owner.access_token
    private = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "war-room", "type": "private"}, token=token).data
    message = api.post(f"/v1/channels/{private['id']}/messages", {"content": SECRET_TEXT}, token=token).data
    api.post(f"/v1/messages/{message['id']}/reactions", {"emoji": "👍"}, token=token)
    file = api.post(
        "/v1/files/presign",
        {"filename": "plans.pdf", "contentType": "application/pdf", "size": 10, "workspaceId": ws["id"]},
        token=token,
    ).data
    invite = api.post(f"/v1/workspaces/{ws['id']}/invites", {"email": "new@example.com"}, token=token).data
    minted = api.post(f"/v1/workspaces/{ws['id']}/tokens", {"name": "ci", "scopes": ["users:read"]}, token=token).data
    key = public_key(api, owner, ws["id"])
    keys = api.get(f"/v1/workspaces/{ws['id']}/public-keys", token=token).data
    webhook = api.post(
        f"/v1/workspaces/{ws['id']}/webhooks",
        {"name": "CI", "url": "https://hooks.example.com/in", "events": ["message.created"]},
        token=token,
    ).data
    app = make_app(owner, ws["id"])
    rule = moderation.create_records(
        principal.Principal(user_id=owner.user_id, kind="session"), ws["id"], moderation.BLACKLIST, ["forbidden"]
    )[0]
    ids = {
        "workspaceId": ws["id"],
        "channelId": private["id"],
        "messageId": message["id"],
        "fileId": file["fileId"],
        "inviteId": invite["id"],
        "tokenId": minted["id"],
        "keyId": next(k["id"] for k in keys if k["key"] == key),
        "webhookId": webhook["id"],
        "appId": app.app_id,
        "ruleId": rule.id,
        "userId": owner.user_id,
        "emoji": "%F0%9F%91%8D",
    }
    leaks = (SECRET_TEXT, "war-room", "Victim", owner.email, "plans.pdf", "new@example.com", minted["token"], key)
    return ids, leaks


@pytest.fixture
def attackers(api, tenant_b):
    """Workspace B's owner as each kind of caller."""
    everything = mint(api, tenant_b.owner, tenant_b.id, scopes.ALL)
    return {"session": tenant_b.owner.access_token, "api_token": everything, "admin_token": everything}


def _callers(route):
    if route.surface == "admin":
        return ["admin_token"]
    return [kind for kind in ("session", "api_token") if kind in route.callers]


def _acceptable(answer, kind, names_workspace):
    if answer.status == 404:
        return True
    if not names_workspace:  # a 403 after reading the object would confirm that it exists
        return False
    # A token naming another workspace is refused without a read (the documented 403).
    error = (answer.body or {}).get("error") if isinstance(answer.body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return kind != "session" and answer.status == 403 and code == "E_AUTHZ_NOT_MEMBER"


def test_every_route_with_an_id_hides_other_workspaces_objects(api, victim, attackers, tenant_a):
    """API1, object ids of another tenant: no route takes another workspace's object."""
    ids, leaks = victim
    assert len(WITH_IDS) > 50, "the route table lost its id routes"
    wrong = []
    for route in WITH_IDS:
        body = sample(route.body, ids=ids) if route.body is not None else None
        for kind in _callers(route):
            answer = api.call(route.method, fill_path(route, ids), body, token=attackers[kind])
            text = json.dumps(answer.body)
            leaked = [leak for leak in leaks if leak in text]
            names_workspace = "{workspaceId}" in route.path or ids["workspaceId"] in json.dumps(body)
            if not _acceptable(answer, kind, names_workspace) or leaked:
                wrong.append((route_id(route), kind, answer.status, text[:160], leaked))
    assert wrong == [], "\n".join(map(str, wrong))
    _unchanged(api, tenant_a, ids)


def _unchanged(api, tenant_a, ids):
    """Nothing the attacks did is visible to the victim."""
    token = tenant_a.owner.access_token
    message = api.get(f"/v1/messages/{ids['messageId']}", token=token)
    assert message.status == 200 and message.data["content"] == SECRET_TEXT
    assert message.data["reactions"] and message.data["reactions"][0]["count"] == 1
    assert api.get(f"/v1/channels/{ids['channelId']}", token=token).data["name"] == "war-room"
    assert api.get(f"/v1/webhooks/{ids['webhookId']}", token=token).status == 200
    assert api.get(f"/v1/apps/{ids['appId']}", token=token).status == 200
    workspace = api.get(f"/v1/workspaces/{ids['workspaceId']}", token=token).data
    assert workspace["name"] == "Victim"
    members = api.get(f"/v1/workspaces/{ids['workspaceId']}/members", token=token).data
    assert [m["id"] for m in members] == [tenant_a.owner.user_id]
    assert ids["inviteId"] in [
        i["id"] for i in api.get(f"/v1/workspaces/{ids['workspaceId']}/invites", token=token).data
    ]
    assert ids["tokenId"] in [t["id"] for t in api.get(f"/v1/workspaces/{ids['workspaceId']}/tokens", token=token).data]


def test_a_member_of_both_workspaces_cannot_cross_with_a_token(api, victim, tenant_a, tenant_b):
    """API1 across a token's workspace: a user in both workspaces whose token belongs to B
    reaches none of A's objects (the token is confined to its workspace, not to its user)."""
    from tests.helpers import join_workspace

    ids, _ = victim
    both = register(api, "bea")
    join_workspace(tenant_a.workspace, both, role="admin")
    join_workspace(tenant_b.workspace, both, role="admin")
    token = mint(api, both, tenant_b.id, scopes.ALL)
    for path in (
        f"/v1/workspaces/{ids['workspaceId']}",
        f"/v1/channels/{tenant_a.workspace['generalChannelId']}",
        f"/v1/webhooks/{ids['webhookId']}",
        f"/v1/apps/{ids['appId']}",
        f"/v1/files/{ids['fileId']}",
    ):
        answer = api.get(path, token=token)
        assert answer.status in (403, 404) and answer.body["ok"] is False, (path, answer.body)
        assert answer.status == 404 or answer.body["error"]["code"] == "E_AUTHZ_NOT_MEMBER"


def test_a_closed_channel_is_410_to_its_workspace_and_404_to_everyone_else(api, tenant_a, tenant_b):
    """API1, a status oracle: a channel closed by Admin v2 answered 410 E_CHANNEL_CLOSED to
    anyone who named its id, so another workspace learned the id was real (a fresh id is 404)."""
    owner = tenant_a.owner
    channel = api.post(f"/v1/workspaces/{tenant_a.id}/channels", {"name": "closing"}, token=owner.access_token).data
    message = api.post(f"/v1/channels/{channel['id']}/messages", {"content": "bye"}, token=owner.access_token).data
    admin_token = mint(api, owner, tenant_a.id, scopes.ALL)
    closed = api.post("/api/v2/channel/closing/close", {}, token=admin_token)  # Admin v2 names channels
    assert closed.status in (200, 202, 204), closed.body
    outsider = tenant_b.owner.access_token
    foreign_token = mint(api, tenant_b.owner, tenant_b.id, scopes.ALL)
    for path in (f"/v1/channels/{channel['id']}", f"/v1/channels/{channel['id']}/messages"):
        assert api.get(path, token=owner.access_token).status == 410, path
        for token in (outsider, foreign_token):
            answer = api.get(path, token=token)
            assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND"), (path, answer.body)
    answer = api.get(f"/v1/messages/{message['id']}", token=outsider)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND"), answer.body


# --- the Disqus surface: objects named by arguments (forum, thread, post, category) --------------

DISQUS = [r for r in AUTHENTICATED if r.surface == "disqus"]


def test_every_disqus_endpoint_hides_another_forums_objects(api, client, tenant_a, tenant_b):
    """API1 on Disqus 3.0: every endpoint, called by another forum's owner (access_token) and
    by its API token with every scope (api_secret), naming the victim forum's forum, thread,
    post and category, shows nothing of it (an error, or an answer about the caller's own
    forum: empty lists, their own profile); the victim's post is unchanged."""
    from tests.functional.api.disqus.calls import get, post

    owner = tenant_a.owner
    slug = tenant_a.workspace["slug"]
    made = post(client, "threads/create.json", {"forum": slug, "access_token": owner.access_token, "title": "Secret"})
    assert made.code == 0, made.text
    thread = made.response["id"]
    said = post(
        client, "posts/create.json", {"thread": thread, "message": SECRET_TEXT, "access_token": owner.access_token}
    )
    assert said.code == 0, said.text
    args = {"forum": slug, "thread": thread, "post": said.response["id"], "category": "1", "title": "x"}
    args |= {"message": "x", "vote": "1", "reason": "1", "value": "x", "type": "email", "name": "x"}
    attackers = {
        "access_token": tenant_b.owner.access_token,
        "api_secret": mint(api, tenant_b.owner, tenant_b.id, scopes.ALL),
    }
    wrong = []
    for route in DISQUS:
        name = route.path.removeprefix("/api/3.0/")
        for credential, value in attackers.items():
            query = {**args, credential: value}
            answer = get(client, name, query) if route.method == "GET" else post(client, name, query)
            leaked = [leak for leak in (SECRET_TEXT, "Victim", owner.email) if leak in answer.text]
            # A success may only be about the caller's own forum (an empty list, their profile):
            # nothing of the victim's, not even its ids.
            if answer.code == 0:
                leaked += [i for i in (thread, said.response["id"], tenant_a.id) if i in answer.text]
            if leaked:
                wrong.append((route_id(route), credential, answer.code, answer.text[:160], leaked))
    assert wrong == [], "\n".join(map(str, wrong))
    details = get(client, "posts/details.json", {"post": said.response["id"], "access_token": owner.access_token})
    assert details.code == 0 and details.response["raw_message"] == SECRET_TEXT
