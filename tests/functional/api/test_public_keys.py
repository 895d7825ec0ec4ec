"""Public keys (the Disqus api_key): create, list, delete, validation, who may, paging,
and what authenticating with one costs."""

import pytest

from bench.recorder import Recorder
from chalicelib.auth import scopes, tokens
from chalicelib.services import public_keys
from chalicelib.store import public_keys as key_store
from tests.helpers import create_workspace, join_workspace, register

ALL_BUT_ADMIN = [s for s in scopes.ALL if s != scopes.ADMIN]


def _path(ws, key_id=None):
    return f"/v1/workspaces/{ws['id']}/public-keys" + (f"/{key_id}" if key_id else "")


def _create(api, account_or_token, ws, domains=("example.com",)):
    token = getattr(account_or_token, "access_token", account_or_token)
    return api.post(_path(ws), {"domains": list(domains)}, token=token)


def _mint(api, account, ws, scopes):
    answer = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "bot", "scopes": list(scopes)}, token=account.access_token
    )
    assert answer.status == 201, answer.body
    return answer.data["token"]


@pytest.fixture
def team(api):
    owner, admin, member, outsider = (register(api, n) for n in ("olivia", "adam", "mia", "otto"))
    ws = create_workspace(api, owner)
    join_workspace(ws, admin, "admin")
    join_workspace(ws, member)
    return {"ws": ws, "owner": owner, "admin": admin, "member": member, "outsider": outsider}


def test_create_list_delete(api, team):
    ws, owner = team["ws"], team["owner"]
    created = _create(api, owner, ws, ["Example.COM", "*.example.com", "localhost:3000", "bücher.example."])
    assert created.status == 201, created.body
    key = created.data
    assert tokens.is_well_formed_public_key(key["key"]) and key["key"].startswith("dqp_") and len(key["key"]) == 36
    assert key["domains"] == ["example.com", "*.example.com", "localhost:3000", "xn--bcher-kva.example"]
    assert key["workspaceId"] == ws["id"] and key["createdBy"] == owner.user_id and key["createdAt"]
    stored = key_store.get(key["key"])
    assert stored is not None and stored.workspace_id == ws["id"] and list(stored.domains) == key["domains"]

    listed = api.get(_path(ws), token=owner.access_token).data
    assert [(k["id"], k["key"]) for k in listed] == [(key["id"], key["key"])]

    assert api.delete(_path(ws, key["id"]), token=owner.access_token).status == 204
    assert api.get(_path(ws), token=owner.access_token).data == []
    assert key_store.get(key["key"]) is None
    again = api.delete(_path(ws, key["id"]), token=owner.access_token)
    assert (again.status, again.error["code"]) == (404, "E_NOT_FOUND")
    with pytest.raises(public_keys.InvalidPublicKey):
        public_keys.authenticate_public_key(key["key"], "https://example.com")


def test_duplicates_after_normalizing_are_stored_once(api, team):
    created = _create(api, team["owner"], team["ws"], ["example.com", "EXAMPLE.com.", " example.com "])
    assert created.data["domains"] == ["example.com"]


@pytest.mark.parametrize(
    ("domains", "field"),
    [
        ([], "domains"),
        (["example.com"] * 21, "domains"),
        (["example.com", "https://example.com"], "domains[1]"),
        (["example.com/comments"], "domains[0]"),
        (["a.com", "b.com", "user@example.com"], "domains[2]"),
        (["example.com:0"], "domains[0]"),
        (["example.com:65536"], "domains[0]"),
        (["example.com:http"], "domains[0]"),
        (["*.com"], "domains[0]"),
        (["*"], "domains[0]"),
        (["a.*.example.com"], "domains[0]"),
        (["-bad.example.com"], "domains[0]"),
        (["exa_mple.com"], "domains[0]"),
        (["a" * 64 + ".com"], "domains[0]"),
        (["[::1]"], "domains[0]"),
        (["example.com?x=1"], "domains[0]"),
        ([""], "domains[0]"),
        ([7], "domains[0]"),
    ],
)
def test_bad_domains_name_the_field(api, team, domains, field):
    answer = _create(api, team["owner"], team["ws"], domains)
    assert (answer.status, answer.error["code"], answer.error.get("field")) == (400, "E_VALIDATION", field)


def test_unknown_fields_and_bad_ids_are_400(api, team):
    ws, owner = team["ws"], team["owner"]
    extra = api.post(_path(ws), {"domains": ["example.com"], "key": "dqp_mine"}, token=owner.access_token)
    assert (extra.status, extra.error.get("field")) == (400, "key")
    bad_id = api.delete(_path(ws, "not-an-id"), token=owner.access_token)
    assert (bad_id.status, bad_id.error.get("field")) == (400, "keyId")


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("owner", 201, None),
        ("admin", 201, None),
        ("member", 403, "E_AUTHZ_FORBIDDEN"),
        ("outsider", 404, "E_NOT_FOUND"),
        ("admin token", 201, None),
        ("admin's token without admin", 403, "E_AUTHZ_INSUFFICIENT_SCOPE"),
        ("member's token", 403, "E_AUTHZ_INSUFFICIENT_SCOPE"),
    ],
)
def test_who_may_manage_public_keys(api, team, who, status, code):
    ws, owner = team["ws"], team["owner"]
    existing = _create(api, owner, ws).data
    caller = {
        "owner": owner.access_token,
        "admin": team["admin"].access_token,
        "member": team["member"].access_token,
        "outsider": team["outsider"].access_token,
        "admin token": lambda: _mint(api, team["admin"], ws, ["admin"]),
        "admin's token without admin": lambda: _mint(api, team["admin"], ws, ALL_BUT_ADMIN),
        "member's token": lambda: _mint(api, team["member"], ws, ALL_BUT_ADMIN),
    }[who]
    token = caller() if callable(caller) else caller
    answers = [
        _create(api, token, ws),
        api.get(_path(ws), token=token),
        api.delete(_path(ws, existing["id"]), token=token),
    ]
    expected = [status, 200 if status == 201 else status, 204 if status == 201 else status]
    assert [a.status for a in answers] == expected, [a.body for a in answers]
    if code:
        assert {a.error["code"] for a in answers} == {code}


def test_a_token_of_another_workspace_is_refused(api, team):
    owner = team["owner"]
    other = create_workspace(api, owner, "Other")
    token = _mint(api, owner, other, ["admin"])
    answer = _create(api, token, team["ws"])
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_NOT_MEMBER")


def test_deleting_another_workspaces_key_is_404(api, team):
    owner = team["owner"]
    other = create_workspace(api, owner, "Other")
    foreign = _create(api, owner, other).data
    answer = api.delete(_path(team["ws"], foreign["id"]), token=owner.access_token)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")
    assert key_store.get(foreign["key"]) is not None


def test_list_pages_with_a_cursor(api, team):
    ws, owner = team["ws"], team["owner"]
    made = [_create(api, owner, ws, [f"site{i}.example"]).data["id"] for i in range(5)]
    seen, cursor = [], None
    for _ in range(3):
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(_path(ws) + query, token=owner.access_token)
        assert page.status == 200 and len(page.data) <= 2
        seen += [k["id"] for k in page.data]
        cursor = page.body["pagination"]["nextCursor"]
        if cursor is None:
            break
    assert seen == made and cursor is None


def test_authenticating_costs_one_getitem_and_a_malformed_key_none(api, team):
    key = _create(api, team["owner"], team["ws"], ["*.example.com"]).data
    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as calls:
            caller = public_keys.authenticate_public_key(key["key"], "https://www.example.com")
        assert [c.operation for c in calls] == ["GetItem"]
        with recorder.recording() as calls, pytest.raises(public_keys.InvalidPublicKey):
            public_keys.authenticate_public_key("dqp_short", "https://www.example.com")
        assert calls == []
    finally:
        recorder.uninstall()
    assert (caller.key_id, caller.workspace_id, caller.origin_host) == (key["id"], team["ws"]["id"], "www.example.com")
    principal = caller.principal
    assert principal.kind == "public_key" and not principal.is_session and principal.scopes == {"comments:read"}
    assert principal.workspace_id == team["ws"]["id"] and not principal.has_scope("comments:write")
    assert principal.subject == f"pubkey:{key['id']}"


def test_a_key_from_the_wrong_domain_is_refused(api, team):
    key = _create(api, team["owner"], team["ws"], ["example.com"]).data
    with pytest.raises(public_keys.PublicKeyDomainRefused):
        public_keys.authenticate_public_key(key["key"], "https://evil-example.com")
    with pytest.raises(public_keys.InvalidPublicKey):
        public_keys.authenticate_public_key("dqp_" + "A" * 32, "https://example.com")


def test_management_costs(api, team):
    """Create: the admin check (one BatchGetItem) and one PutItem (2 WCU: table + GSI1);
    list: one Query; delete: one GSI1 Query for the id and one DeleteItem."""
    ws, owner = team["ws"], team["owner"]
    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as created:
            key = _create(api, owner, ws).data
        with recorder.recording() as listed:
            api.get(_path(ws), token=owner.access_token)
        with recorder.recording() as deleted:
            api.delete(_path(ws, key["id"]), token=owner.access_token)
    finally:
        recorder.uninstall()
    ops = [[c.operation for c in calls if c.phase == "handler"] for calls in (created, listed, deleted)]
    assert ops == [["BatchGetItem", "PutItem"], ["BatchGetItem", "Query"], ["BatchGetItem", "Query", "DeleteItem"]]
    assert [c.computed.write for c in created if c.operation == "PutItem"] == [2]


def test_a_replayed_create_returns_the_same_key(api, team):
    ws, owner = team["ws"], team["owner"]
    headers = {"Idempotency-Key": "create-key-1"}
    first = api.post(_path(ws), {"domains": ["example.com"]}, token=owner.access_token, headers=headers)
    again = api.post(_path(ws), {"domains": ["example.com"]}, token=owner.access_token, headers=headers)
    assert first.status == again.status == 201 and first.data["key"] == again.data["key"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(api.get(_path(ws), token=owner.access_token).data) == 1
