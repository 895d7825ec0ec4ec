"""Admin v2 roles (form-encoded and JSON): query and add/update (name, permissions from the
documented model), assigned with PUT /api/v2/users, and enforced by v1's own checks
(services/roles.permits): one test per permission cell of docs/permissions.md."""

from __future__ import annotations

from chalicelib.services import roles
from tests.functional.api.admin.test_channels import create, error_of


def put_role(console, name: str, permissions: list[str]) -> dict:
    body = {"publicIds": [name], "permissions": permissions} if permissions else {"publicIds": [name]}
    reply = console.call("PUT", "/api/v2/roles", body)
    assert reply.status == 200, reply.body
    return reply.body["roles"][0]


def assign(console, account, *names: str) -> None:
    body = {"userId": account.user_id, "roles": list(names)}
    reply = console.call("PUT", "/api/v2/users", body)
    assert reply.status == 200, reply.body


def test_query_and_put_roles(console):
    assert console.call("GET", "/api/v2/roles").body == {"roles": []}
    made = console.call("PUT", "/api/v2/roles", {"publicIds": ["mod", "helper"], "permissions": ["delete_any_message"]})
    assert made.status == 200, made.body
    assert [(r["roleId"], r["permissions"]) for r in made.body["roles"]] == [
        ("mod", ["delete_any_message"]),
        ("helper", ["delete_any_message"]),
    ]
    put_role(console, "helper", ["post_in_muted_channel", "delete_any_message"])  # replaces its permissions
    listed = console.call("GET", "/api/v2/roles").body["roles"]
    assert {r["roleId"]: r["permissions"] for r in listed} == {
        "helper": ["delete_any_message", "post_in_muted_channel"],
        "mod": ["delete_any_message"],
    }
    filtered = console.call("GET", "/api/v2/roles", {"filter": "mo"}).body["roles"]
    assert [r["roleId"] for r in filtered] == ["mod"]


def test_role_errors(console):
    error_of(console.call("PUT", "/api/v2/roles", {"permissions": ["delete_any_message"]}), 400, "publicIds")
    error_of(console.call("PUT", "/api/v2/roles", {"publicIds": ["Not A Name"]}), 400, "publicIds[0]")
    bad = {"publicIds": ["mod"], "permissions": ["delete_any_message", "rule_the_world"]}
    error_of(console.call("PUT", "/api/v2/roles", bad), 400, "permissions[1]")
    error_of(console.call("GET", "/api/v2/roles", {"filter": "x" * 41}), 400, "filter")
    error_of(console.call("POST", "/api/v2/roles", {}), 405)
    plain = console.mint(console.owner, ["users:read"])
    error_of(console.call("GET", "/api/v2/roles", token=plain), 403)


def _message_by_bob(console) -> str:
    general = console.ws["generalChannelId"]
    sent = console.api.post(f"/v1/channels/{general}/messages", {"content": "hi"}, token=console.bob.access_token)
    assert sent.status == 201, sent.body
    return sent.data["id"]


def test_cell_delete_any_message(console):
    """A member whose role grants delete_any_message deletes others' messages on v1, as an
    admin does; without it (no role, or a role without it) v1 answers 403 as before."""
    plain = _message_by_bob(console)
    refused = console.api.delete(f"/v1/messages/{plain}", token=console.alice.access_token)
    assert (refused.status, refused.error["code"]) == (403, "E_AUTHZ_FORBIDDEN")
    put_role(console, "greeter", [roles.POST_IN_MUTED_CHANNEL])
    assign(console, console.alice, "greeter")
    assert console.api.delete(f"/v1/messages/{plain}", token=console.alice.access_token).status == 403
    put_role(console, "mod", [roles.DELETE_ANY_MESSAGE])
    assign(console, console.alice, "greeter", "mod")
    assert console.api.delete(f"/v1/messages/{plain}", token=console.alice.access_token).status == 204
    # The role changes apply at once in this process (the writer drops its cache entry).
    put_role(console, "mod", [])
    other = _message_by_bob(console)
    assert console.api.delete(f"/v1/messages/{other}", token=console.alice.access_token).status == 403


def test_cell_post_in_muted_channel(console):
    """A member whose role grants post_in_muted_channel posts in a muted channel, as admins do."""
    channel_id = create(console, "lobby", userIds=[console.alice.user_id, console.bob.user_id])["channels"][0][
        "v1ChannelId"
    ]
    assert console.call("PUT", "/api/v2/channel/lobby/mute", {}).status == 200

    def post(account):
        return console.api.post(f"/v1/channels/{channel_id}/messages", {"content": "hi"}, token=account.access_token)

    assert post(console.alice).error["code"] == "E_CHANNEL_MUTED"
    put_role(console, "speaker", [roles.POST_IN_MUTED_CHANNEL])
    assign(console, console.alice, "speaker")
    assert post(console.alice).status == 201
    assert post(console.bob).error["code"] == "E_CHANNEL_MUTED"  # no role: refused as before


def test_roles_read_once_per_process_for_members_holding_one(console):
    """Enforcement costs nothing for a member without roles; with one, a cold cache reads the
    workspace's roles in one Query, then nothing for CACHE_TTL_SECONDS."""
    from tests.functional.services.test_moderation import recorded

    put_role(console, "mod", [roles.DELETE_ANY_MESSAGE])
    assign(console, console.alice, "mod")
    alice, bob = _membership(console, console.alice), _membership(console, console.bob)
    roles.forget()
    principal = _principal(console.alice)
    granted, calls = recorded(lambda: roles.permits(principal, alice, roles.DELETE_ANY_MESSAGE))
    assert (granted, calls) == (True, ["Query"])
    granted, calls = recorded(lambda: roles.permits(principal, alice, roles.POST_IN_MUTED_CHANNEL))
    assert (granted, calls) == (False, [])
    granted, calls = recorded(lambda: roles.permits(_principal(console.bob), bob, roles.DELETE_ANY_MESSAGE))
    assert (granted, calls) == (False, [])


def _membership(console, account):
    from chalicelib.store import workspaces as workspace_store

    return workspace_store.get_membership(console.ws["id"], account.user_id)


def _principal(account):
    from chalicelib.services import authn

    return authn.authenticate(f"Bearer {account.access_token}")
