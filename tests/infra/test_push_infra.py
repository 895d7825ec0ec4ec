"""Web Push in the stack: the VAPID seed secret, read only by the API (the public key)
and the push worker (signing); the push worker may delay its own queue's messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import config
from chalicelib.services import vapid
from infra import stack
from tests.infra.test_merge import _packaged, allowed, functions_of

VAPID = {"Ref": "VapidKeysSecret"}


@pytest.fixture(params=("dev", "prod"))
def packaged(request: pytest.FixtureRequest) -> dict[str, Any]:
    return json.loads(_packaged(request.param))


def test_the_vapid_seed_is_generated_by_the_stack_in_the_shape_the_app_reads():
    secret = stack.template()["Resources"]["VapidKeysSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    generate = secret["Properties"]["GenerateSecretString"]
    assert generate["GenerateStringKey"] == "seed" and generate["PasswordLength"] >= vapid.MIN_SEED_CHARS
    # what GenerateSecretString stores: the template plus the generated key
    stored = json.dumps({**json.loads(generate["SecretStringTemplate"]), "seed": "x" * generate["PasswordLength"]})
    assert vapid.parse_seed(stored) == "x" * generate["PasswordLength"]


def test_only_the_api_and_the_push_worker_read_the_vapid_key(packaged):
    readers = {
        logical
        for logical in functions_of(packaged)
        if VAPID in allowed(packaged, logical, "secretsmanager:GetSecretValue")
    }
    assert readers == {"APIHandler", "PushNotifications"}
    for logical, function in functions_of(packaged).items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert (variables.get("VAPID_KEYS_SECRET_ARN") == VAPID) is (logical in readers), logical


def test_the_push_worker_delays_its_own_messages_only(packaged):
    push_queue = {"Fn::GetAtt": ["PushQueue", "Arn"]}
    assert allowed(packaged, "PushNotifications", "sqs:ChangeMessageVisibility") == [push_queue]
    for logical in functions_of(packaged):
        if logical != "PushNotifications":
            assert allowed(packaged, logical, "sqs:ChangeMessageVisibility") == [], logical


def test_the_worker_reads_the_secret_it_is_given(packaged, monkeypatch):
    variables = packaged["Resources"]["PushNotifications"]["Properties"]["Environment"]["Variables"]
    monkeypatch.setenv("VAPID_KEYS_SECRET_ARN", "value-of-VAPID_KEYS_SECRET_ARN")
    config.reset()
    try:
        assert config.get_settings().vapid_keys_secret == "value-of-VAPID_KEYS_SECRET_ARN"
        assert "VAPID_KEYS_SECRET_ARN" in variables
    finally:
        monkeypatch.undo()
        config.reset()
