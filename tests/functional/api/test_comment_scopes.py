"""The comments:* scopes (the Disqus-compatible comments API): tokens and OAuth apps
may hold them; unknown scopes are still refused; the consent page words each one."""

from chalicelib.auth import scopes
from chalicelib.services import oauth
from tests.helpers import create_workspace, register

COMMENT_SCOPES = ["comments:read", "comments:write", "comments:moderate"]


def test_a_token_can_be_minted_with_the_comment_scopes(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    answer = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "comments", "scopes": COMMENT_SCOPES}, token=owner.access_token
    )
    assert answer.status == 201, answer.body
    assert answer.data["scopes"] == sorted(COMMENT_SCOPES)
    listed = api.get(f"/v1/workspaces/{ws['id']}/tokens", token=owner.access_token).data
    assert listed[0]["scopes"] == sorted(COMMENT_SCOPES)


def test_every_scope_at_once_is_accepted(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    answer = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "all", "scopes": list(scopes.ALL)}, token=owner.access_token
    )
    assert answer.status == 201, answer.body
    assert set(answer.data["scopes"]) >= set(COMMENT_SCOPES)


def test_unknown_scopes_are_still_refused(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    for unknown in ("comments:delete", "comments", "COMMENTS:READ", "comments:read "):
        answer = api.post(
            f"/v1/workspaces/{ws['id']}/tokens", {"name": "x", "scopes": [unknown]}, token=owner.access_token
        )
        assert (answer.status, answer.error["code"], answer.error.get("field")) == (
            400,
            "E_VALIDATION",
            "scopes[0]",
        ), unknown


def test_an_oauth_app_may_ask_for_the_comment_scopes(api):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    body = {
        "name": "Comments widget",
        "redirectUris": ["https://example.com/cb"],
        "scopes": COMMENT_SCOPES,
        "public": True,
        "distributed": False,
    }
    answer = api.post(f"/v1/workspaces/{ws['id']}/apps", body, token=owner.access_token)
    assert answer.status == 201, answer.body
    assert sorted(answer.data["scopes"]) == sorted(COMMENT_SCOPES)


def test_the_consent_page_words_every_scope():
    assert set(oauth.SCOPE_WORDS) == set(scopes.ALL)
    assert all(oauth.SCOPE_WORDS[s] and oauth.SCOPE_WORDS[s] != s for s in COMMENT_SCOPES)
