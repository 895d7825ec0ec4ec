"""Feeding the table's stream and the queues to the app's event handlers.

In AWS, Lambda event source mappings poll the DynamoDB stream and the SQS queues and
invoke the functions. Locally one thread per event source does that against moto:
it calls the very objects Lambda calls (``app.route_events``, ``app.send_emails``)
with Lambda-shaped events, and keeps Lambda's retry rules. A failed stream batch is
retried from the same position (nothing is skipped); failed SQS messages become
visible again and, after the queue's maxReceiveCount, moto moves them to the
dead-letter queue (the RedrivePolicy from infra/).
"""

from __future__ import annotations

import base64
import importlib
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice import Chalice
from chalice.app import DynamoDBEventConfig, SQSEventConfig
from chalice.config import Config
from chalice.local import LambdaContext

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], LambdaContext], Any]

IDLE_SECONDS = 0.2  # pause between empty stream polls (SQS waits server-side instead)
SQS_WAIT_SECONDS = 1  # long poll; also bounds how long stop() waits
SQS_RETRY_SECONDS = 2  # failed messages come back this soon (the queue says 180 s)
MAX_BACKOFF_SECONDS = 10.0


def resolve(handler_string: str) -> Handler:
    """``"app.send_emails"`` -> the handler object, as Lambda's runtime resolves it."""
    module, _, name = handler_string.rpartition(".")
    return getattr(importlib.import_module(module), name)


class Pump(threading.Thread):
    """Polls one event source until stopped; retries with backoff after a failure."""

    idle_seconds = IDLE_SECONDS

    def __init__(self, name: str, handler: Handler, memory_mb: int = 128, timeout_s: int = 60) -> None:
        super().__init__(name=f"pump-{name}", daemon=True)
        self.function = name
        self._handler = handler
        self._memory_mb = memory_mb
        self._timeout_ms = timeout_s * 1000
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            try:
                busy = self.poll()
                backoff = 0.0
            except Exception:
                backoff = min(MAX_BACKOFF_SECONDS, backoff * 2 or 0.5)
                log.exception("%s failed; retrying in %.1f s", self.function, backoff)
                self._stopping.wait(backoff)
                continue
            if not busy:
                self._stopping.wait(self.idle_seconds)

    def poll(self) -> bool:
        """Deliver at most one batch; True if there was one."""
        raise NotImplementedError

    def invoke(self, event: dict[str, Any]) -> Any:
        context = LambdaContext(self.function, self._memory_mb, self._timeout_ms)
        return self._handler(event, context)


class StreamPump(Pump):
    """The table's DynamoDB stream -> a DynamoDB event handler (``app.route_events``).

    moto gives a table's stream a single shard that never closes, so one iterator
    covers it.
    """

    def __init__(
        self, source: DynamoDBEventConfig, handler: Handler, table_name: str, session: Any, **limits: int
    ) -> None:
        super().__init__(source.name, handler, **limits)
        self._batch_size = source.batch_size
        self._streams = session.client("dynamodbstreams")
        # The app declares a placeholder ARN (app.py); in AWS `make package` points
        # the mapping at the table's stream. Locally there is one table: use its stream.
        table = session.client("dynamodb").describe_table(TableName=table_name)["Table"]
        self.stream_arn: str = table["LatestStreamArn"]
        (shard,) = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        self._iterator: str = self._streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType=source.starting_position
        )["ShardIterator"]
        self._polls = 0

    def poll(self) -> bool:
        result = self._streams.get_records(ShardIterator=self._iterator, Limit=self._batch_size)
        records = result["Records"]
        if records:
            # Raises on failure: the iterator stays put and the same records come again.
            self.invoke({"Records": [self._lambda_record(r) for r in records]})
            forget_processed_records(self.stream_arn, int(records[-1]["dynamodb"]["SequenceNumber"]))
        self._iterator = result["NextShardIterator"]
        self._polls += 1
        if self._polls % 500 == 0:
            forget_stale_iterators(self.stream_arn, keep=self._iterator)
        return bool(records)

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record as Lambda delivers it (GetRecords' shape, plus the source ARN)."""
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):  # boto3 parsed it; Lambda sends epoch seconds
            change["ApproximateCreationDateTime"] = int(created.timestamp())
        for image in ("Keys", "NewImage", "OldImage"):
            if image in change:
                change[image] = _json_attributes(change[image])
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": record["awsRegion"],
            "dynamodb": change,
            "eventSourceARN": self.stream_arn,
        }


def _json_attributes(value: Any) -> Any:
    """boto3 hands binary attributes over as bytes; Lambda's JSON has them in base64."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _json_attributes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_attributes(v) for v in value]
    return value


def forget_processed_records(stream_arn: str, last: int) -> None:
    """DynamoDB keeps stream records for 24 hours, moto for the life of the process
    (each with the item's old and new images); we are the stream's only reader, so
    drop the records up to ``last``, which we have processed (devserver/moto_fixes.py,
    trim_stream). Best effort: skipped if moto's internals move."""
    try:
        from moto.dynamodb.models import dynamodb_backends

        from devserver import moto_fixes

        _arn, _aws, _service, region, account, resource = stream_arn.split(":", 5)
        table = dynamodb_backends[account][region].get_table(resource.split("/")[1])
        moto_fixes.trim_stream(table, before=last + 1)
    except Exception:  # an optimisation only: never fail the pump over it
        log.debug("could not trim the stream's processed records", exc_info=True)


def forget_stale_iterators(stream_arn: str, keep: str) -> None:
    """moto keeps every shard iterator it hands out (about 2 KB each, several per
    second here) for the life of the process; we are the stream's only reader, so
    drop all but ours. Best effort: skipped if moto's internals move."""
    try:
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        _arn, _aws, _service, region, account, _rest = stream_arn.split(":", 5)
        iterators = dynamodbstreams_backends[account][region].shard_iterators
        for key in [k for k in iterators if k != keep]:
            iterators.pop(key, None)
    except Exception:  # an optimisation only: never fail the pump over it
        log.debug("could not prune moto's shard iterators", exc_info=True)


class QueuePump(Pump):
    """An SQS queue -> an SQS event handler, with partial batch responses."""

    idle_seconds = 0.0  # receive_message already waited

    def __init__(self, source: SQSEventConfig, handler: Handler, queue_url: str, session: Any, **limits: int) -> None:
        super().__init__(source.name, handler, **limits)
        self._url = queue_url
        self._batch_size = min(source.batch_size, 10)  # ReceiveMessage's maximum
        self._sqs = session.client("sqs")
        attributes = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        self.queue_arn: str = attributes["QueueArn"]
        self._region = self.queue_arn.split(":")[3]

    def poll(self) -> bool:
        messages = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=SQS_WAIT_SECONDS,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return False
        ids = {m["MessageId"] for m in messages}
        try:
            response = self.invoke({"Records": [self._lambda_record(m) for m in messages]})
        except Exception:
            log.exception("%s raised: all %d messages will be retried", self.function, len(messages))
            failed = ids
        else:
            failed = failed_ids(response, ids)
            if failed:
                log.warning("%s: %d of %d messages failed and will be retried", self.function, len(failed), len(ids))
        self._settle(messages, failed)
        return True

    def _settle(self, messages: list[dict[str, Any]], failed: set[str]) -> None:
        """Delete what succeeded; make the failures visible again soon."""
        done = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if retry:
            self._sqs.change_message_visibility_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": SQS_RETRY_SECONDS}
                    for i, m in enumerate(retry)
                ],
            )

    def _lambda_record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: _lambda_message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self._region,
        }


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """ReceiveMessage's ``{"StringValue": ..}`` -> Lambda's ``{"stringValue": ..}``."""
    binary = value.get("BinaryValue")
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(binary).decode() if binary is not None else None,
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": [base64.b64encode(b).decode() for b in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }


def failed_ids(response: Any, batch: set[str]) -> set[str]:
    """The messages a partial batch response reports as failed.

    As Lambda does, a response naming a message that is not in the batch fails the
    whole batch; no response (None) means every message succeeded.
    """
    if not isinstance(response, dict):
        return set()
    failed = {str(item.get("itemIdentifier") or "") for item in response.get("batchItemFailures") or []}
    return batch if failed - batch else failed


def pumps_for(app: Chalice, session: Any, stage: str, chalice_config: dict[str, Any]) -> list[Pump]:
    """One pump per event source the app declares (not started)."""
    from infra import merge

    pumps: list[Pump] = []
    config = Config(stage, config_from_disk=chalice_config)
    for source in app.event_sources:
        # Memory and timeout as the function gets them in AWS: .chalice/config.json's,
        # or the stack's own (infra/merge.py SIZING, e.g. the file processor's).
        sized = merge.limits(source.name, config)
        limits = {"memory_mb": sized.memory_mb, "timeout_s": sized.timeout_s}
        handler = resolve(source.handler_string)
        if isinstance(source, DynamoDBEventConfig):
            pumps.append(StreamPump(source, handler, os.environ["TABLE_NAME"], session, **limits))
        elif isinstance(source, SQSEventConfig):
            # The queue's logical name -> <NAME>_QUEUE_URL, as chalicelib.config reads it.
            url = os.environ[f"{source.queue.upper()}_QUEUE_URL"]
            pumps.append(QueuePump(source, handler, url, session, **limits))
        else:
            log.warning("no local pump for %s (%s): it will not run locally", source.name, type(source).__name__)
    return pumps
