"""OWASP API3:2023 Broken Object Property Level Authorization.

Mass assignment, generated from the route table: every route with a body refuses a field it
does not declare (privileged ones: role, owner, ids, verification, plan, scopes, hashes) with
a 400 naming it, before anything is written. Excessive data exposure, over every readable
route: no answer, to a member or to an owner, carries a password hash, a token or secret hash,
a signing key, a secret shown once, or another user's email address.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from chalicelib.api.routing import ROUTES
from chalicelib.auth import scopes
from chalicelib.config import get_signing_keys
from tests.helpers import join_workspace, register
from tests.security.conftest import fill_path, mint, route_id, sample, unique_routes

PRIVILEGED = (
    "role",
    "isAdmin",
    "isOwner",
    "ownerId",
    "createdBy",
    "userId",
    "id",
    "workspaceId",
    "emailVerified",
    "verified",
    "plan",
    "scopes",
    "passwordHash",
    "tokenHash",
    "secretHash",
    "banned",
    "bot",
    "deleted",
)
WITH_BODY = [r for r in unique_routes([r for r in ROUTES if r.body is not None]) if r.surface in ("v1", "admin")]


def _undeclared(route):
    return next(name for name in PRIVILEGED if name not in route.body.fields)


def test_every_body_route_refuses_fields_it_does_not_declare():
    """API3, mass assignment (the schemas): no route's body takes an undeclared field."""
    for route in WITH_BODY:
        body = {**sample(route.body), _undeclared(route): "owner"}
        with pytest.raises(Exception) as refused:
            route.body.clean(body, "")
        assert getattr(refused.value, "field", None) == _undeclared(route), route_id(route)


def test_mass_assignment_is_refused_over_http_before_anything_is_written(api, tenant_a, dns):
    """API3, mass assignment (the wire): each body route, given its valid body plus one
    privileged field it does not declare, answers 400 naming that field, and nothing changed."""
    owner = tenant_a.owner
    ids = {"workspaceId": tenant_a.id, "channelId": tenant_a.workspace["generalChannelId"], "userId": owner.user_id}
    admin_token = mint(api, owner, tenant_a.id, scopes.ALL)
    before = api.get(f"/v1/workspaces/{tenant_a.id}", token=owner.access_token).data
    wrong = []
    for route in WITH_BODY:
        extra = _undeclared(route)
        body = {**sample(route.body, ids=ids), extra: "owner"}
        token = admin_token if route.surface == "admin" else owner.access_token
        answer = api.call(route.method, fill_path(route, ids), body, token=token)
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        field = error.get("field") if isinstance(error, dict) else answer.body.get("field")
        if answer.status not in (400, 401, 403, 404, 415) or (answer.status == 400 and field != extra):
            wrong.append((route_id(route), extra, answer.status, answer.body))
    assert wrong == [], "\n".join(map(str, wrong))
    assert api.get(f"/v1/workspaces/{tenant_a.id}", token=owner.access_token).data == before


def test_a_member_cannot_make_themselves_owner_through_declared_fields(api, tenant_a):
    """API3, privileged values in declared fields: a member changing their own role, or
    inviting an owner, is refused; their profile update cannot touch the account's email."""
    member = register(api, "mike")
    join_workspace(tenant_a.workspace, member)
    base = f"/v1/workspaces/{tenant_a.id}"
    promote = api.patch(f"{base}/members/{member.user_id}", {"role": "owner"}, token=member.access_token)
    assert promote.status == 403, promote.body
    invite = api.post(f"{base}/invites", {"role": "admin"}, token=member.access_token)
    assert invite.status == 403, invite.body
    profile = api.patch("/v1/users/me", {"email": "owner@example.com"}, token=member.access_token)
    assert (profile.status, profile.error["field"]) == (400, "email")
    roles = {m["id"]: m["role"] for m in api.get(f"{base}/members", token=tenant_a.owner.access_token).data}
    assert roles[member.user_id] == "member"


# --- excessive data exposure -------------------------------------------------------------------

HASH_MARKERS = re.compile(r"\$argon2|\$2[aby]\$|passwordHash|password_hash|tokenHash|token_hash|secretHash|secret_hash")


@pytest.fixture
def populated(api, tenant_a, dns):
    """A workspace with a member, a token, a webhook (its secret), an invite, a public key,
    an app (its client secret), a message and a file: the secrets to look for afterwards."""
    owner = tenant_a.owner
    token = owner.access_token
    member = register(api, "mike")
    join_workspace(tenant_a.workspace, member)
    minted = mint(api, owner, tenant_a.id, scopes.ALL)
    hook = api.post(
        f"/v1/workspaces/{tenant_a.id}/webhooks",
        {"name": "CI", "url": "https://hooks.example.com/in", "events": ["message.created"]},
        token=token,
    ).data
    app = api.post(
        f"/v1/workspaces/{tenant_a.id}/apps",
        {"name": "Probe", "redirectUris": ["https://c.example.com/cb"], "scopes": ["users:read"]}
        | {"public": False, "distributed": False},
        token=token,
    ).data
    api.post(f"/v1/workspaces/{tenant_a.id}/invites", {"email": "guest@example.com"}, token=token)
    message = api.post(
        f"/v1/channels/{tenant_a.workspace['generalChannelId']}/messages", {"content": "hi"}, token=token
    ).data
    keys = get_signing_keys()
    secrets = {
        "api token": minted,
        "api token hash": hashlib.sha256(minted.encode()).hexdigest(),
        "webhook secret": hook["secret"],
        "client secret": app["clientSecret"],
        "client secret hash": hashlib.sha256(app["clientSecret"].encode()).hexdigest(),
        "refresh token": owner.refresh_token,
        **{f"signing key {kid}": str(value) for kid, value in keys.keys.items()},
    }
    ids = {
        "workspaceId": tenant_a.id,
        "channelId": tenant_a.workspace["generalChannelId"],
        "messageId": message["id"],
        "webhookId": hook["id"],
        "appId": app["id"],
        "userId": member.user_id,
    }
    return member, minted, secrets, ids


def _readable(ids):
    return [
        r
        for r in unique_routes(ROUTES)
        if r.method == "GET" and r.surface in ("v1", "admin") and r.auth and set(r.params) <= set(ids)
    ]


def test_no_answer_exposes_hashes_secrets_or_other_users_emails(api, tenant_a, populated):
    """API3, excessive data exposure: every readable route, read by a member (and by the
    owner, and by the owner's Admin Access Token on Admin v2), shows no password, token or
    secret hash, no signing key, no secret shown once; a member sees no one else's email."""
    member, admin_token, secrets, ids = populated
    owner = tenant_a.owner
    routes = _readable(ids)
    assert len(routes) > 20
    wrong = []
    for route in routes:
        readers = [("admin token", admin_token)] if route.surface == "admin" else []
        readers += [("member", member.access_token), ("owner", owner.access_token)] if route.surface == "v1" else []
        for who, token in readers:
            answer = api.get(fill_path(route, ids), token=token)
            text = json.dumps(answer.body)
            found = [name for name, secret in secrets.items() if secret and secret in text]
            if HASH_MARKERS.search(text):
                found.append("a hash field")
            if who == "member" and owner.email in text:
                found.append("the owner's email")
            if who != "member" and member.email in text and route.path != "/v1/users/me":
                found.append("a member's email")
            if found:
                wrong.append((route_id(route), who, found))
    assert wrong == [], "\n".join(map(str, wrong))
