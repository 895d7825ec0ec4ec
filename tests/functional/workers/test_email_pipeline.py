"""From a registration to an email in the outbox, through the handlers Lambda runs."""

import json

from app import route_events, send_emails
from tests.functional.workers.pipeline import LambdaContext, StreamReader, sqs_event
from tests.helpers import outbox_messages, register


def _pump_stream(reader):
    route_events({"Records": reader.read()}, LambdaContext())


def test_register_sends_one_verification_email_even_when_redelivered(api):
    reader = StreamReader()
    account = register(api, "jane", verified=False)
    _pump_stream(reader)
    event, _handles = sqs_event("email")
    assert len(event["Records"]) == 1
    # SQS delivers at least once: hand the same message to the worker twice.
    twice = {"Records": [event["Records"][0], {**event["Records"][0], "messageId": "redelivered"}]}
    result = send_emails(twice, LambdaContext())
    assert result == {"batchItemFailures": []}
    mails = [m for m in outbox_messages() if m["To"] == account.email]
    assert len(mails) == 1 and "Verify" in mails[0]["Subject"]


def test_a_failing_message_is_reported_alone(api, monkeypatch):
    reader = StreamReader()
    register(api, "jane", verified=False)
    register(api, "bob", verified=False)
    _pump_stream(reader)
    event, _ = sqs_event("email")
    assert len(event["Records"]) == 2
    from chalicelib.services import accounts

    real = accounts.send_verification
    bob_id = json.loads(event["Records"][1]["body"])["data"]["userId"]

    def flaky(user_id):
        if user_id == bob_id:
            raise RuntimeError("mail server hiccup")
        real(user_id)

    monkeypatch.setattr(accounts, "send_verification", flaky)
    result = send_emails(event, LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    monkeypatch.setattr(accounts, "send_verification", real)
    retry = send_emails({"Records": [event["Records"][1]]}, LambdaContext())
    assert retry == {"batchItemFailures": []}
    assert sorted(m["To"] for m in outbox_messages()) == ["bob@example.com", "jane@example.com"]


def test_existing_email_registration_mails_the_owner_a_notice(api):
    reader = StreamReader()
    register(api, "jane", verified=False)
    api.post(
        "/v1/auth/register",
        {"email": "jane@example.com", "password": "another password", "username": "impostor", "displayName": "X"},
    )
    _pump_stream(reader)
    while True:
        event, _ = sqs_event("email")
        if not event["Records"]:
            break
        assert send_emails(event, LambdaContext()) == {"batchItemFailures": []}
    subjects = sorted(m["Subject"] for m in outbox_messages() if m["To"] == "jane@example.com")
    assert subjects == ["Someone tried to sign up with your email address", "Verify your Disqua email address"]
