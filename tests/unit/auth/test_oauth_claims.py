"""Access tokens issued to an OAuth app: the ws/app claims, and what the principal says."""

import pytest

from chalicelib.auth import tokens
from chalicelib.auth.principal import Principal
from chalicelib.errors import InvalidToken
from chalicelib.ids import new_id
from chalicelib.services import authn

USER, GRANT, WORKSPACE, APP = new_id(), new_id(), new_id(), new_id()


def test_app_tokens_carry_workspace_and_app():
    token = tokens.issue_access_token(
        USER, GRANT, email_verified=True, scopes=["messages:read"], workspace_id=WORKSPACE, app_id=APP
    )
    claims = tokens.verify_access_token(token)
    assert (claims.workspace_id, claims.app_id, claims.scopes) == (WORKSPACE, APP, frozenset({"messages:read"}))


def test_login_tokens_have_neither():
    claims = tokens.verify_access_token(tokens.issue_access_token(USER, GRANT, email_verified=True))
    assert claims.workspace_id is None and claims.app_id is None


def test_an_app_token_without_scope_or_workspace_is_refused():
    for scopes, workspace in ((None, WORKSPACE), (["messages:read"], None)):
        token = tokens.issue_access_token(
            USER, GRANT, email_verified=True, scopes=scopes, workspace_id=workspace, app_id=APP
        )
        with pytest.raises(InvalidToken):
            authn.authenticate(f"Bearer {token}")


def test_the_oauth_principal_is_not_a_session():
    principal = Principal(USER, "oauth", scopes=frozenset({"messages:read"}), workspace_id=WORKSPACE, session_id=GRANT)
    assert not principal.is_session
    assert principal.subject == f"oauth:{GRANT}"
    assert not principal.has_scope("messages:write") and not principal.is_bot
