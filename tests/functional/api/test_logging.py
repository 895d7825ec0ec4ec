"""Secrets never reach the logs: not passwords, not any kind of token."""

import io
import logging

from chalicelib.observability import logger
from chalicelib.services import accounts
from tests.helpers import create_workspace, register, verification_token


def test_no_secret_appears_in_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    # Everything the service logger emits, formatted as in Lambda (JSON with extras).
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger().registered_formatter)
    logging.getLogger(logger().name).addHandler(handler)
    account = register(api, "jane", verified=False, password="hunter2-hunter2")
    accounts.send_verification(account.user_id)
    verify_token = verification_token(account.email)
    api.post("/v1/auth/verify", {"token": verify_token})
    tokens = api.post("/v1/auth/login", {"email": account.email, "password": "hunter2-hunter2"}).data
    refreshed = api.post("/v1/auth/refresh", {"refreshToken": tokens["refreshToken"]}).data
    account.access_token = refreshed["accessToken"]  # issued after verification
    ws = create_workspace(api, account)
    api_token = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "bot", "scopes": ["users:read"]}, token=refreshed["accessToken"]
    ).data["token"]
    api.get("/v1/users/me", token=api_token)
    api.post("/v1/auth/login", {"email": account.email, "password": "wrong-password-1"})
    api.get("/v1/users/me", headers={"Authorization": "Bearer dqt_garbage-token-value"})

    logging.getLogger(logger().name).removeHandler(handler)
    logged = stream.getvalue() + caplog.text
    assert '"route":"/v1/auth/login"' in logged.replace(" ", "")  # the logs are there
    secrets = [
        "hunter2-hunter2",
        "wrong-password-1",
        tokens["accessToken"],
        tokens["refreshToken"],
        refreshed["accessToken"],
        refreshed["refreshToken"],
        api_token,
        "garbage-token-value",
        tokens["refreshToken"].split(".")[1],
    ]
    for secret in secrets:
        assert secret not in logged
