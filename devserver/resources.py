"""Create infra/resources.yaml's table, queues and buckets in an AWS backend (moto).

The local runtime and the tests use this, so they run against the same definitions
that CloudFormation deploys. Only the properties that change behaviour are applied
(keys, indexes, stream, TTL, redrive; a bucket's CORS and its notifications to a
queue, so an upload to a presigned URL reaches the files queue as in AWS); the rest
(encryption, PITR, lifecycle rules, queue policies, bucket names) has no local effect.
Template parameters take their defaults.
"""

from __future__ import annotations

import json
from typing import Any

from infra import stack


def _resolve(value: Any, arns: dict[str, str]) -> Any:
    """A queue's ARN for ``!GetAtt X.Arn``, a parameter's default for ``!Ref P``."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        if attribute != "Arn":
            raise ValueError(f"unsupported GetAtt {logical}.{attribute}")
        return arns[logical]
    if isinstance(value, dict) and "Ref" in value:
        parameter = stack.template().get("Parameters", {}).get(value["Ref"])
        if parameter is None or "Default" not in parameter:
            raise ValueError(f"unsupported Ref {value['Ref']} (only parameters with a default)")
        default = parameter["Default"]
        if parameter["Type"] == "CommaDelimitedList":
            return [item.strip() for item in str(default).split(",")]
        return default
    return value


def bucket_cors(cors: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's CorsConfiguration -> S3's PutBucketCors CORSConfiguration."""
    names = {
        "Id": "ID",
        "AllowedHeaders": "AllowedHeaders",
        "AllowedMethods": "AllowedMethods",
        "AllowedOrigins": "AllowedOrigins",
        "ExposedHeaders": "ExposeHeaders",
        "MaxAge": "MaxAgeSeconds",
    }
    rules = []
    for rule in cors["CorsRules"]:
        unknown = set(rule) - set(names)
        if unknown:
            raise ValueError(f"unsupported CORS rule properties {sorted(unknown)}")
        rules.append({names[key]: _resolve(value, {}) for key, value in rule.items()})
    return {"CORSRules": rules}


def bucket_notifications(notifications: dict[str, Any], arns: dict[str, str]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration -> S3's PutBucketNotificationConfiguration
    (queues only: nothing else is wired locally)."""
    unsupported = set(notifications) - {"QueueConfigurations"}
    if unsupported:
        raise ValueError(f"unsupported bucket notifications {sorted(unsupported)}: only queues run locally")
    queues = []
    for entry in notifications["QueueConfigurations"]:
        queue: dict[str, Any] = {"QueueArn": _resolve(entry["Queue"], arns), "Events": [entry["Event"]]}
        rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules")
        if rules:
            # S3 takes "prefix"/"suffix" in any case; moto only in lowercase.
            filter_rules = [{"Name": rule["Name"].lower(), "Value": rule["Value"]} for rule in rules]
            queue["Filter"] = {"Key": {"FilterRules": filter_rules}}
        queues.append(queue)
    return {"QueueConfigurations": queues}


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
    for logical, res in stack.resources("AWS::S3::Bucket").items():
        props = res.get("Properties", {})
        bucket = f"{prefix}-{logical}".lower()
        s3.create_bucket(Bucket=bucket)
        if "CorsConfiguration" in props:
            s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=bucket_cors(props["CorsConfiguration"]))
        if "NotificationConfiguration" in props:
            # Like S3, moto then sends an s3:TestEvent to each queue (the processor ignores it).
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration=bucket_notifications(props["NotificationConfiguration"], arns)
            )
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
