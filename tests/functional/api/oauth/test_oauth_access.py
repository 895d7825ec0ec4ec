"""What an OAuth access token may do on v1 (scopes and workspace exactly like an API token,
no SESSION routes), the installation rules at consent, and grants ending with the app's
deletion or uninstallation (the apps API)."""

from __future__ import annotations

from chalicelib.store import apps as app_store
from tests.functional.api.oauth.flow import Browser, authorize_url, exchange, make_app, pkce, refresh
from tests.helpers import create_workspace, join_workspace, register

ALL_READ = "messages:read messages:write channels:read users:read"


def _tokens(client, account, app, *, scope="messages:read channels:read", workspace_id=None):
    browser = Browser(client.http)
    verifier, challenge = pkce()
    consent = browser.log_in(authorize_url(app, challenge, scope=scope), account)
    answer = browser.consent(consent, workspace_id=workspace_id)
    assert answer.status == 302, answer.text
    issued = exchange(browser, app, answer.redirect_params()["code"], verifier)
    assert issued.status == 200, issued.text
    return issued.json()


# --- scopes and confinement -------------------------------------------------------------------


def test_scopes_are_enforced_like_api_tokens(api, client, owner, workspace):
    app = make_app(owner, workspace["id"], scopes=("messages:read", "channels:read", "messages:write"))
    token = _tokens(client, owner, app)["access_token"]
    general = workspace["generalChannelId"]
    assert api.get(f"/v1/channels/{general}/messages", token=token).status == 200
    sent = api.post(f"/v1/channels/{general}/messages", {"content": "hi"}, token=token)
    assert (sent.status, sent.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE")
    # SESSION routes refuse apps: no tokens minted, no workspaces made, no logout.
    for answer in (
        api.post(f"/v1/workspaces/{workspace['id']}/tokens", {"name": "x", "scopes": ["users:read"]}, token=token),
        api.post("/v1/workspaces", {"name": "Sneaky"}, token=token),
        api.post("/v1/auth/logout", token=token),
    ):
        assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_INSUFFICIENT_SCOPE"), answer.body


def test_writes_are_idempotent_per_grant(api, client, owner, workspace):
    app = make_app(owner, workspace["id"], scopes=("messages:write", "channels:read"))
    token = _tokens(client, owner, app, scope="messages:write")["access_token"]
    general = workspace["generalChannelId"]
    key = {"Idempotency-Key": "k-1"}
    first = api.post(f"/v1/channels/{general}/messages", {"content": "hi"}, token=token, headers=key)
    again = api.post(f"/v1/channels/{general}/messages", {"content": "hi"}, token=token, headers=key)
    assert first.status == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.data["id"] == first.data["id"] and again.data["type"] == "message"
    # The same key from the user's own session is another caller: a new message.
    mine = api.post(f"/v1/channels/{general}/messages", {"content": "hi"}, token=owner.access_token, headers=key)
    assert mine.status == 201 and mine.data["id"] != first.data["id"]


def test_confined_to_the_workspace(api, client, owner, workspace):
    other = create_workspace(api, owner, "Other")
    app = make_app(owner, workspace["id"])
    token = _tokens(client, owner, app)["access_token"]
    answer = api.get(f"/v1/workspaces/{other['id']}", token=token)
    assert (answer.status, answer.error["code"]) == (403, "E_AUTHZ_NOT_MEMBER")
    elsewhere = api.get(f"/v1/channels/{other['generalChannelId']}/messages", token=token)
    assert elsewhere.status in (403, 404), elsewhere.body
    assert [w["id"] for w in api.get("/v1/workspaces", token=token).data] == [workspace["id"]]


# --- installation rules at consent ------------------------------------------------------------


def test_an_admin_elsewhere_installs_a_distributed_app(api, client, owner, workspace):
    app = make_app(owner, workspace["id"], distributed=True)
    bob = register(api, "bob")
    bobs = create_workspace(api, bob, "Bobs")
    browser = Browser(client.http)
    verifier, challenge = pkce()
    consent = browser.log_in(authorize_url(app, challenge), bob)
    assert f'<option value="{bobs["id"]}">Bobs (installs the app)</option>' in consent.text
    assert workspace["id"] not in consent.text
    answer = browser.consent(consent, workspace_id=bobs["id"])
    assert answer.status == 302, answer.text
    installed = app_store.get_installation(app.app_id, bobs["id"])
    assert installed is not None and set(installed.scopes) == {"messages:read", "channels:read"}
    assert installed.installed_by == bob.user_id
    token = exchange(browser, app, answer.redirect_params()["code"], verifier).json()["access_token"]
    assert api.get(f"/v1/workspaces/{bobs['id']}/channels", token=token).status == 200
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=token).status == 403

    # A member of Bobs may now authorize within what Bobs approved, not beyond.
    carol = register(api, "carol")
    join_workspace(bobs, carol)
    within = _tokens(client, carol, app, scope="messages:read")
    assert within["scope"] == "messages:read"
    beyond = Browser(client.http)
    consent = beyond.log_in(authorize_url(app, pkce()[1], scope="messages:read users:read"), carol)
    refused = beyond.consent(consent, workspace_id=bobs["id"])
    assert refused.redirect_params()["error"] == "access_denied"


def test_a_member_cannot_install(api, client, owner, workspace):
    app = make_app(owner, workspace["id"], distributed=True)
    bob, carol = register(api, "bob"), register(api, "carol")
    bobs = create_workspace(api, bob, "Bobs")
    join_workspace(bobs, carol)
    browser = Browser(client.http)
    # Nowhere to authorize: straight back to the client with access_denied.
    page = browser.log_in(authorize_url(app, pkce()[1]), carol)
    assert page.status == 302 and page.redirect_params()["error"] == "access_denied"
    # Given a choice elsewhere, a tampered workspace_id is refused too.
    join_workspace(workspace, carol)
    consent = browser.get(authorize_url(app, pkce()[1]))
    assert bobs["id"] not in consent.text
    refused = browser.consent(consent, workspace_id=bobs["id"])
    assert refused.redirect_params()["error"] == "access_denied"
    assert app_store.get_installation(app.app_id, bobs["id"]) is None


def test_a_private_app_stays_in_its_workspace(api, client, owner, workspace):
    app = make_app(owner, workspace["id"])
    bob = register(api, "bob")
    bobs = create_workspace(api, bob, "Bobs")
    outsider = Browser(client.http)
    page = outsider.log_in(authorize_url(app, pkce()[1]), bob)
    assert page.redirect_params()["error"] == "access_denied"
    # An admin of another workspace who is also a member here still cannot take it there.
    join_workspace(workspace, bob)
    consent = outsider.get(authorize_url(app, pkce()[1]))
    assert consent.text.count("<option ") == 1
    refused = outsider.consent(consent, workspace_id=bobs["id"])
    assert refused.redirect_params()["error"] == "access_denied"


# --- grants end with the app -----------------------------------------------------------------


def test_deleting_the_app_revokes_its_grants(api, client, owner, workspace):
    app = make_app(owner, workspace["id"])
    issued = _tokens(client, owner, app)
    assert api.delete(f"/v1/apps/{app.app_id}", token=owner.access_token).status == 204
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=issued["access_token"]).status == 401
    gone = refresh(Browser(client.http), app, issued["refresh_token"])
    assert gone.status == 401 and gone.json()["error"] == "invalid_client"


def test_uninstalling_revokes_that_workspace_only(api, client, owner, workspace):
    app = make_app(owner, workspace["id"], distributed=True)
    home = _tokens(client, owner, app)
    bob = register(api, "bob")
    bobs = create_workspace(api, bob, "Bobs")
    theirs = _tokens(client, bob, app, workspace_id=bobs["id"])
    assert api.delete(f"/v1/workspaces/{bobs['id']}/installations/{app.app_id}", token=bob.access_token).status == 204
    assert api.get(f"/v1/workspaces/{bobs['id']}", token=theirs["access_token"]).status == 401
    assert refresh(Browser(client.http), app, theirs["refresh_token"]).json()["error"] == "invalid_grant"
    assert api.get(f"/v1/workspaces/{workspace['id']}", token=home["access_token"]).status == 200
    assert refresh(Browser(client.http), app, home["refresh_token"]).status == 200
