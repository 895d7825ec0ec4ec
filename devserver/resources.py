"""Create infra/resources.yaml's table, queues and buckets in an AWS backend (moto).

The local runtime and the tests use this, so they run against the same definitions
that CloudFormation deploys. Only the properties that change behaviour are applied
(keys, indexes, stream, TTL, redrive); the rest (encryption, PITR) has no local effect.
"""

from __future__ import annotations

import json
from typing import Any

from infra import stack


def _resolve(value: Any, arns: dict[str, str]) -> Any:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        if attribute != "Arn":
            raise ValueError(f"unsupported GetAtt {logical}.{attribute}")
        return arns[logical]
    return value


def create_all(session: Any, prefix: str = "disqua-local") -> dict[str, str]:
    """Create everything; return the environment variables the app reads."""
    env: dict[str, str] = {}
    env["TABLE_NAME"] = create_table(session, f"{prefix}-table")
    sqs = session.client("sqs")
    arns: dict[str, str] = {}
    # Dead-letter queues first: the others point at them.
    queues = sorted(
        stack.resources("AWS::SQS::Queue").items(), key=lambda kv: "RedrivePolicy" in kv[1].get("Properties", {})
    )
    for logical, res in queues:
        props = res.get("Properties", {})
        attributes = {}
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        if "RedrivePolicy" in props:
            policy = {k: _resolve(v, arns) for k, v in props["RedrivePolicy"].items()}
            attributes["RedrivePolicy"] = json.dumps(policy)
        url = sqs.create_queue(QueueName=f"{prefix}-{logical}", Attributes=attributes)["QueueUrl"]
        arns[logical] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        env[f"QUEUE_URL:{logical}"] = url
    from chalicelib.config import QUEUE_NAMES

    for name in QUEUE_NAMES:
        env[f"{name.upper()}_QUEUE_URL"] = env[f"QUEUE_URL:{stack.queue_logical_id(name)}"]
    s3 = session.client("s3")
    for logical in stack.resources("AWS::S3::Bucket"):
        bucket = f"{prefix}-{logical}".lower()
        s3.create_bucket(Bucket=bucket)
        env[f"BUCKET:{logical}"] = bucket
    env["UPLOADS_BUCKET"] = env["BUCKET:UploadsBucket"]
    return env


def create_table(session: Any, name: str) -> str:
    ((_logical, res),) = stack.resources("AWS::DynamoDB::Table").items()
    props = res["Properties"]
    ddb = session.client("dynamodb")
    ddb.create_table(
        TableName=name,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props.get("GlobalSecondaryIndexes", []),
        StreamSpecification={"StreamEnabled": True, **props["StreamSpecification"]},
    )
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    return name


def app_environment(created: dict[str, str]) -> dict[str, str]:
    """Only the variables the app reads (the rest are for the pump)."""
    return {k: v for k, v in created.items() if ":" not in k}
