"""/v1/workspaces: create, list mine (paginated), read one."""

from tests.helpers import create_workspace, register


def test_create_makes_the_caller_owner(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner, "Acme Corp")
    assert (ws["name"], ws["slug"], ws["role"], ws["ownerId"], ws["plan"]) == (
        "Acme Corp",
        "acme-corp",
        "owner",
        owner.user_id,
        "free",
    )
    assert api.get(f"/v1/workspaces/{ws['id']}", token=owner.access_token).data == ws


def test_explicit_slug_must_be_unique(api):
    owner = register(api, "jane")
    assert api.post("/v1/workspaces", {"name": "A", "slug": "acme"}, token=owner.access_token).status == 201
    taken = api.post("/v1/workspaces", {"name": "B", "slug": "ACME"}, token=owner.access_token)
    assert (taken.status, taken.error["code"], taken.error["field"]) == (409, "E_CONFLICT", "slug")


def test_derived_slug_collision_gets_a_suffix(api):
    owner = register(api, "jane")
    first = create_workspace(api, owner, "Acme")
    second = create_workspace(api, owner, "Acme")
    assert first["slug"] == "acme" and second["slug"].startswith("acme-") and second["slug"] != "acme"


def test_non_member_gets_404(api):
    owner, stranger = register(api, "jane"), register(api, "bob")
    ws = create_workspace(api, owner)
    answer = api.get(f"/v1/workspaces/{ws['id']}", token=stranger.access_token)
    assert (answer.status, answer.error["code"]) == (404, "E_NOT_FOUND")


def test_unknown_and_malformed_ids(api):
    owner = register(api, "jane")
    unknown = api.get("/v1/workspaces/01a2088c-37fa-72c1-8671-8ba9a11937e0", token=owner.access_token)
    assert unknown.status == 404
    malformed = api.get("/v1/workspaces/not-an-id", token=owner.access_token)
    assert (malformed.status, malformed.error["field"]) == (400, "workspaceId")


def test_list_is_paginated_and_stable_under_inserts(api):
    owner = register(api, "jane")
    created = [create_workspace(api, owner, f"Team {i}")["id"] for i in range(5)]
    first = api.get("/v1/workspaces?limit=2", token=owner.access_token)
    assert [w["id"] for w in first.data] == created[:2]
    assert first.body["pagination"]["hasMore"] is True
    create_workspace(api, owner, "Late")  # inserted between pages
    cursor = first.body["pagination"]["nextCursor"]
    rest, seen = [], [w["id"] for w in first.data]
    while cursor:
        page = api.get(f"/v1/workspaces?limit=2&cursor={cursor}", token=owner.access_token)
        rest += [w["id"] for w in page.data]
        cursor = page.body["pagination"]["nextCursor"]
        assert page.body["pagination"]["hasMore"] is (cursor is not None)
    assert seen + rest[:3] == created and len(rest) == 4  # no duplicates, no gaps, the late one last


def test_list_shows_only_my_workspaces(api):
    jane, bob = register(api, "jane"), register(api, "bob")
    create_workspace(api, jane, "Jane's")
    assert api.get("/v1/workspaces", token=bob.access_token).data == []


def test_cursor_of_another_user_is_rejected(api):
    jane, bob = register(api, "jane"), register(api, "bob")
    for i in range(3):
        create_workspace(api, jane, f"T{i}")
    cursor = api.get("/v1/workspaces?limit=1", token=jane.access_token).body["pagination"]["nextCursor"]
    stolen = api.get(f"/v1/workspaces?cursor={cursor}", token=bob.access_token)
    assert (stolen.status, stolen.error["field"]) == (400, "cursor")


def test_limit_bounds(api):
    owner = register(api, "jane")
    for bad in ("0", "101", "-1", "ten"):
        answer = api.get(f"/v1/workspaces?limit={bad}", token=owner.access_token)
        assert (answer.status, answer.error["field"]) == (400, "limit"), bad
