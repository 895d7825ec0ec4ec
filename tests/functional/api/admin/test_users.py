"""Admin v2 user routes, each with form-encoded and JSON bodies (the ``console`` fixture runs
every test with both): query (search, filter flagged, pageToken, limit), update (displayName,
roles, metadata), clear flags, and their errors."""

from __future__ import annotations

from tests.functional.api.admin.test_channels import error_of


def users_of(reply) -> dict[str, dict]:
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"users", "files", "paging"} or set(reply.body) == {"users", "files"}, reply.body
    return {u["userId"]: u for u in reply.body["users"]}


def flag(console, flagger, target, reason="spam") -> None:
    answer = console.api.post(
        f"/v1/users/{target.user_id}/flag",
        {"workspaceId": console.ws["id"], "reason": reason},
        token=flagger.access_token,
    )
    assert answer.status == 201, answer.body


def everyone(console) -> set[str]:
    return {a.user_id for a in (console.owner, console.admin, console.alice, console.bob)}


# --- query ------------------------------------------------------------------------------------


def test_query_lists_every_member_with_flags_roles_and_ban(console):
    flag(console, console.bob, console.alice)
    reply = console.call("GET", "/api/v2/users")
    users = users_of(reply)
    assert set(users) == everyone(console)
    alice = users[console.alice.user_id]
    assert alice["flagCount"] == 1 and alice["isGlobalBan"] is False and alice["roles"] == []
    assert alice["username"] == console.alice.username and alice["workspaceRole"] == "member"
    assert users[console.owner.user_id]["workspaceRole"] == "owner" and users[console.bob.user_id]["flagCount"] == 0
    assert reply.body["paging"] == {"next": None, "previous": None}


def test_query_pages_with_limit_and_page_tokens_both_ways(console):
    first = console.call("GET", "/api/v2/users", {"limit": 3})
    assert len(users_of(first)) == 3 and first.body["paging"]["previous"] is None
    token = first.body["paging"]["next"]
    second = console.call("GET", "/api/v2/users", {"pageToken": token})  # the token keeps the page size
    assert len(users_of(second)) == 1 and second.body["paging"]["next"] is None
    assert set(users_of(first)) | set(users_of(second)) == everyone(console)
    back = console.call("GET", "/api/v2/users", {"pageToken": second.body["paging"]["previous"]})
    assert list(users_of(back)) == list(users_of(first))


def test_search_is_a_case_insensitive_prefix_of_the_name_or_username(console):
    assert set(users_of(console.call("GET", "/api/v2/users", {"search": "ALI"}))) == {console.alice.user_id}
    assert users_of(console.call("GET", "/api/v2/users", {"search": "lice"})) == {}
    renamed = console.call("PUT", "/api/v2/users", {"userId": console.bob.user_id, "displayName": "Zed"})
    assert renamed.status == 200, renamed.body
    assert set(users_of(console.call("GET", "/api/v2/users", {"search": "ze"}))) == {console.bob.user_id}
    paged = console.call("GET", "/api/v2/users", {"search": "a", "limit": 1})  # adam, alice
    assert len(users_of(paged)) == 1
    rest = console.call("GET", "/api/v2/users", {"search": "a", "pageToken": paged.body["paging"]["next"]})
    assert set(users_of(paged)) | set(users_of(rest)) == {console.admin.user_id, console.alice.user_id}


def test_filter_flagged_lists_only_flagged_members(console):
    assert users_of(console.call("GET", "/api/v2/users", {"filter": "flagged"})) == {}
    flag(console, console.bob, console.alice)
    flag(console, console.admin, console.alice)
    flag(console, console.alice, console.bob)
    flagged = users_of(console.call("GET", "/api/v2/users", {"filter": "flagged"}))
    assert {uid: u["flagCount"] for uid, u in flagged.items()} == {console.alice.user_id: 2, console.bob.user_id: 1}
    searched = console.call("GET", "/api/v2/users", {"filter": "flagged", "search": "bo"})
    assert set(users_of(searched)) == {console.bob.user_id}


def test_query_errors(console):
    error_of(console.call("GET", "/api/v2/users", {"filter": "banned"}), 400, "filter")
    error_of(console.call("GET", "/api/v2/users", {"limit": 0}), 400, "limit")
    error_of(console.call("GET", "/api/v2/users", {"limit": 101}), 400, "limit")
    error_of(console.call("GET", "/api/v2/users", {"pageToken": "nonsense"}), 400, "pageToken")
    first = console.call("GET", "/api/v2/users", {"limit": 1})
    other = console.call("GET", "/api/v2/users", {"search": "b", "pageToken": first.body["paging"]["next"]})
    error_of(other, 400, "pageToken")  # a token of another query
    error_of(console.call("GET", "/api/v2/users", {"nope": 1}), 400, "nope")
    error_of(console.call("DELETE", "/api/v2/users"), 405)


# --- update -----------------------------------------------------------------------------------


def test_update_sets_display_name_metadata_and_roles(console):
    account_name = users_of(console.call("GET", "/api/v2/users"))[console.alice.user_id]["displayName"]
    made = console.call("PUT", "/api/v2/roles", {"publicIds": ["moderator"], "permissions": ["delete_any_message"]})
    assert made.status == 200, made.body
    reply = console.call(
        "PUT",
        "/api/v2/users",
        {
            "userId": console.alice.user_id,
            "displayName": "Alice A.",
            "roles": ["moderator"],
            "metadata": {"tier": "gold"},
        },
    )
    (alice,) = users_of(reply).values()
    assert (alice["displayName"], alice["roles"], alice["metadata"]) == ("Alice A.", ["moderator"], {"tier": "gold"})
    listed = users_of(console.call("GET", "/api/v2/users"))[console.alice.user_id]
    assert listed == alice
    # Only the fields given change; "" and {} and [] go back to none.
    kept = users_of(console.call("PUT", "/api/v2/users", {"userId": console.alice.user_id, "displayName": "Al"}))
    assert kept[console.alice.user_id]["roles"] == ["moderator"]
    empty = "{}" if console.encoding == "form" else {}  # a form sends an empty object as a JSON string
    cleared = console.call(
        "PUT", "/api/v2/users", {"userId": console.alice.user_id, "displayName": "", "metadata": empty}
    )
    alice = users_of(cleared)[console.alice.user_id]
    assert alice["displayName"] == account_name and alice["metadata"] == {}
    v1 = console.api.get("/v1/users/me", token=console.alice.access_token)
    assert v1.status == 200 and v1.data["displayName"] == account_name  # the account is untouched


def test_update_errors(console):
    error_of(console.call("PUT", "/api/v2/users", {"displayName": "x"}), 400, "userId")
    error_of(console.call("PUT", "/api/v2/users", {"userId": "not-an-id"}), 400, "userId")
    stranger = "00000000-0000-4000-8000-000000000000"
    error_of(console.call("PUT", "/api/v2/users", {"userId": stranger, "displayName": "x"}), 404, "userId")
    unknown_role = {"userId": console.alice.user_id, "roles": ["ghost"]}
    error_of(console.call("PUT", "/api/v2/users", unknown_role), 400, "roles[0]")
    error_of(console.call("PUT", "/api/v2/users", {"userId": console.alice.user_id, "roles": ["Bad Name"]}), 400)
    huge = {"userId": console.alice.user_id, "metadata": {"k": "x" * 5000}}
    error_of(console.call("PUT", "/api/v2/users", huge), 400, "metadata")
    error_of(console.call("PUT", "/api/v2/users", {"userId": console.alice.user_id, "displayName": "x" * 101}), 400)


def test_form_bodies_take_bracket_metadata_and_repeated_roles(console):
    console.call("PUT", "/api/v2/roles", {"publicIds": ["a", "b"]})
    raw = f"userId={console.bob.user_id}&roles[]=a&roles[]=b&metadata[team]=red&metadata[level]=3"
    reply = console.call("PUT", "/api/v2/users", raw=raw, content_type="application/x-www-form-urlencoded")
    bob = users_of(reply)[console.bob.user_id]
    assert bob["roles"] == ["a", "b"] and bob["metadata"] == {"team": "red", "level": "3"}


# --- clear flags ------------------------------------------------------------------------------


def test_clear_flags_removes_the_summary_and_every_flag_and_is_idempotent(console):
    from chalicelib.store import flags as flag_store

    flag(console, console.bob, console.alice)
    flag(console, console.admin, console.alice)
    flag(console, console.alice, console.bob)
    cleared = console.call("DELETE", f"/api/v2/users/{console.alice.user_id}/flags")
    assert users_of(cleared)[console.alice.user_id]["flagCount"] == 0
    flagged = users_of(console.call("GET", "/api/v2/users", {"filter": "flagged"}))
    assert set(flagged) == {console.bob.user_id}  # bob's flag stays
    assert flag_store.user_flag_count(console.ws["id"], console.alice.user_id) == 0
    again = console.call("DELETE", f"/api/v2/users/{console.alice.user_id}/flags")
    assert users_of(again)[console.alice.user_id]["flagCount"] == 0
    flag(console, console.bob, console.alice)  # the flag items went too: bob may flag again
    assert flag_store.user_flag_count(console.ws["id"], console.alice.user_id) == 1


def test_clear_flags_errors(console):
    error_of(console.call("DELETE", "/api/v2/users/not-an-id/flags"), 400, "userId")
    error_of(console.call("DELETE", "/api/v2/users/00000000-0000-4000-8000-000000000000/flags"), 404, "userId")
    error_of(console.call("GET", f"/api/v2/users/{console.alice.user_id}/flags"), 405)


def test_user_routes_need_an_admin_access_token(console):
    plain = console.mint(console.owner, ["users:read"])
    assert error_of(console.call("GET", "/api/v2/users", token=plain), 403)["type"] == "E_AUTHZ_INSUFFICIENT_SCOPE"
    error_of(console.call("GET", "/api/v2/users", token=None), 401)
    error_of(console.call("GET", "/api/v2/users", token=console.alice.access_token), 401)


def test_query_fields_may_come_in_the_query_string(console):
    reply = console.call("GET", "/api/v2/users?search=ali&filter=all&limit=1")
    assert set(users_of(reply)) == {console.alice.user_id}
    # A search cannot know whether more match without reading on: its next page may be empty.
    rest = console.call("GET", f"/api/v2/users?pageToken={reply.body['paging']['next']}")
    assert users_of(rest) == {} and rest.body["paging"]["next"] is None
    first = console.call("GET", "/api/v2/users?limit=2")
    following = console.call("GET", f"/api/v2/users?pageToken={first.body['paging']['next']}")
    assert len(users_of(following)) == 2 and not set(users_of(first)) & set(users_of(following))
    error_of(console.call("GET", "/api/v2/users?limit=2", {"limit": 3}), 400, "limit")  # both places
