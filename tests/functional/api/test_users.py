"""/v1/users/me: profile, status, preferences."""

import pytest

from tests.helpers import register


def test_me_has_the_spec_shape(api):
    account = register(api, "jane")
    me = api.get("/v1/users/me", token=account.access_token).data
    for field in ("id", "username", "displayName", "email", "avatarUrl", "status", "createdAt"):
        assert field in me
    assert (me["username"], me["email"], me["status"]) == ("jane", "jane@example.com", "online")
    assert me["createdAt"].endswith("Z")


def test_update_profile(api):
    account = register(api, "jane")
    changed = api.patch(
        "/v1/users/me",
        {"displayName": "Jane D.", "avatarUrl": "https://cdn.example.com/j.png", "bio": "hi"},
        token=account.access_token,
    ).data
    assert (changed["displayName"], changed["avatarUrl"], changed["bio"]) == (
        "Jane D.",
        "https://cdn.example.com/j.png",
        "hi",
    )
    cleared = api.patch("/v1/users/me", {"bio": None, "avatarUrl": None}, token=account.access_token).data
    assert cleared["bio"] is None and cleared["avatarUrl"] is None and cleared["displayName"] == "Jane D."


@pytest.mark.parametrize("field", ["email", "role", "id", "username", "emailVerified", "createdAt"])
def test_protected_fields_are_rejected(api, field):
    account = register(api, "jane")
    answer = api.patch("/v1/users/me", {field: "x"}, token=account.access_token)
    assert (answer.status, answer.error["code"], answer.error["field"]) == (400, "E_VALIDATION", field)
    assert api.get("/v1/users/me", token=account.access_token).data["email"] == "jane@example.com"


def test_empty_patch_is_rejected(api):
    account = register(api, "jane")
    assert api.patch("/v1/users/me", {}, token=account.access_token).status == 400


@pytest.mark.parametrize("status", ["online", "away", "dnd", "invisible"])
def test_set_status(api, status):
    account = register(api, "jane")
    assert api.patch("/v1/users/me/status", {"status": status}, token=account.access_token).data["status"] == status


def test_invalid_status(api):
    account = register(api, "jane")
    answer = api.patch("/v1/users/me/status", {"status": "busy"}, token=account.access_token)
    assert (answer.status, answer.error["field"]) == (400, "status")


def test_preferences_merge_partially(api):
    account = register(api, "jane")
    first = api.patch("/v1/users/me/preferences", {"theme": "dark"}, token=account.access_token).data
    assert first["theme"] == "dark" and first["language"] == "en"
    second = api.patch(
        "/v1/users/me/preferences", {"notifications": {"email": "all"}, "language": "pt-BR"}, token=account.access_token
    ).data
    assert second["theme"] == "dark" and second["language"] == "pt-BR"
    assert second["notifications"]["email"] == "all" and second["notifications"]["desktop"] == "mentions"
    assert api.get("/v1/users/me", token=account.access_token).data["preferences"] == second


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"theme": "pink"}, "theme"),
        ({"language": "english"}, "language"),
        ({"notifications": {"desktop": "sometimes"}}, "notifications.desktop"),
        ({"notifications": {"sms": "all"}}, "notifications.sms"),
        ({"notifications": {}}, "notifications"),
        ({"fontSize": 12}, "fontSize"),
    ],
)
def test_invalid_preferences(api, body, field):
    account = register(api, "jane")
    answer = api.patch("/v1/users/me/preferences", body, token=account.access_token)
    assert (answer.status, answer.error["field"]) == (400, field)
