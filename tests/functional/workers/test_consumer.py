"""SQS consumers: redelivery does the work once; failures are retried, not lost."""

import pytest

from chalicelib.store import claims
from chalicelib.workers.consumer import EventInFlight, handle_once

EVENT = {"id": "evt_test-1", "type": "user.registered", "data": {"userId": "u1"}}


def test_redelivered_event_does_the_work_once(aws_backend):
    done = []
    assert handle_once("email", EVENT, done.append) is True
    assert handle_once("email", EVENT, done.append) is False
    assert done == [EVENT]


def test_each_consumer_does_its_own_work(aws_backend):
    done = []
    handle_once("email", EVENT, done.append)
    handle_once("webhooks", EVENT, done.append)
    assert len(done) == 2


def test_a_failure_releases_the_claim_so_a_retry_can_work(aws_backend):
    def boom(_event):
        raise RuntimeError("SES is down")

    with pytest.raises(RuntimeError):
        handle_once("email", EVENT, boom)
    done = []
    assert handle_once("email", EVENT, done.append) is True and done == [EVENT]


def test_a_live_claim_held_elsewhere_means_retry_later(aws_backend):
    assert claims.begin_processing("email", EVENT["id"], lease_seconds=60) == "claimed"
    with pytest.raises(EventInFlight):
        handle_once("email", EVENT, lambda e: None)


def test_a_crashed_holder_is_taken_over_after_its_lease(aws_backend):
    assert claims.begin_processing("email", EVENT["id"], lease_seconds=-1) == "claimed"  # holder died
    done = []
    assert handle_once("email", EVENT, done.append) is True and done == [EVENT]
