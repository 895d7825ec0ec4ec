"""infra/resources.yaml: uploads reach the files queue, and nothing else does.

S3 notifies FilesQueue of objects created under quarantine/ only (the processor's
own output under files/ and thumbnails/ must not come back), the queue's policy lets
S3 send for this stack's bucket only, and browsers may PUT and GET with presigned
URLs (CORS). The template is read as CloudFormation would evaluate it, for a sample
stack.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra import merge, stack

STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/Disqua-Prod/1c2fa620-982a-11e3-aff7-50e2416294e0"
PSEUDO = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
    "AWS::StackName": "Disqua-Prod",  # capitals: allowed in a stack name, not in a bucket's
    "AWS::StackId": STACK_ID,
}


def evaluate(node: Any) -> Any:
    """Ref (pseudo parameters), Fn::Sub, Fn::Select and Fn::Split, as CloudFormation does."""
    if isinstance(node, list):
        return [evaluate(v) for v in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        return PSEUDO[node["Ref"]]
    if set(node) == {"Fn::Select"}:
        index, values = node["Fn::Select"]
        return evaluate(values)[int(index)]
    if set(node) == {"Fn::Split"}:
        separator, text = node["Fn::Split"]
        return evaluate(text).split(separator)
    if set(node) == {"Fn::Sub"}:
        sub = node["Fn::Sub"]
        text, local = (sub, {}) if isinstance(sub, str) else (sub[0], {k: evaluate(v) for k, v in sub[1].items()})
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(local.get(m.group(1)) or PSEUDO[m.group(1)]), text)
    return {k: evaluate(v) for k, v in node.items()}


def _referenced(node: Any) -> set[str]:
    """Logical ids that Ref, Fn::GetAtt and Fn::Sub in ``node`` point at."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "Ref" in node:
            found.add(node["Ref"])
        if "Fn::GetAtt" in node:
            found.add(node["Fn::GetAtt"][0])
        if "Fn::Sub" in node:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}]+)\}", text)}
        for value in node.values():
            found |= _referenced(value)
    elif isinstance(node, list):
        for value in node:
            found |= _referenced(value)
    return found


@pytest.fixture
def resources() -> dict[str, Any]:
    return stack.template()["Resources"]


def test_the_bucket_notifies_the_files_queue_of_uploads_in_quarantine_only(resources: dict[str, Any]) -> None:
    (notification,) = resources["UploadsBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Queue"] == {"Fn::GetAtt": ["FilesQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": merge.QUARANTINE_PREFIX}]
    for written in merge.PROMOTED_PREFIXES:  # the processor's own output
        assert not written.startswith(merge.QUARANTINE_PREFIX)
    rules = resources["UploadsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (expiry,) = [r for r in rules if r.get("Prefix") == merge.QUARANTINE_PREFIX]
    assert expiry["ExpirationInDays"] == 1 and expiry["Status"] == "Enabled"


def test_s3_may_send_to_the_files_queue_for_this_stacks_bucket_only(resources: dict[str, Any]) -> None:
    policy = resources["FilesQueuePolicy"]
    assert policy["Type"] == "AWS::SQS::QueuePolicy"
    assert policy["Properties"]["Queues"] == [{"Ref": "FilesQueue"}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == {"Fn::GetAtt": ["FilesQueue", "Arn"]}
    condition = statement["Condition"]
    assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    bucket_name = evaluate(resources["UploadsBucket"]["Properties"]["BucketName"])
    assert evaluate(condition["ArnEquals"]["aws:SourceArn"]) == f"arn:aws:s3:::{bucket_name}"


def test_no_dependency_cycle_between_the_bucket_and_the_policy(resources: dict[str, Any]) -> None:
    # The bucket waits for the policy (S3 tests the destination when the notification
    # is set up); the policy must then not refer to the bucket.
    assert resources["UploadsBucket"]["DependsOn"] == "FilesQueuePolicy"
    assert "UploadsBucket" not in _referenced(resources["FilesQueuePolicy"])
    assert "DependsOn" not in resources["FilesQueue"]


def test_the_bucket_name_is_valid_and_unique_to_the_stack(resources: dict[str, Any]) -> None:
    name = evaluate(resources["UploadsBucket"]["Properties"]["BucketName"])
    assert name == "disqua-uploads-1c2fa620-982a-11e3-aff7-50e2416294e0"
    # S3's rules: 3-63 characters, lowercase letters, digits, hyphens (and dots).
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name), name
    assert PSEUDO["AWS::StackName"] not in name  # a stack name may hold capitals


def test_browsers_may_put_and_get_with_presigned_urls(resources: dict[str, Any]) -> None:
    (rule,) = resources["UploadsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "HEAD", "PUT"]
    assert rule["AllowedOrigins"] == {"Ref": "AllowedOrigins"}
    assert {"Content-Type", "Content-Length", "Content-MD5", "x-amz-*"} <= set(rule["AllowedHeaders"])
    assert rule["ExposedHeaders"] == ["ETag"]
    assert rule["MaxAge"] > 0
    parameter = stack.template()["Parameters"]["AllowedOrigins"]
    assert parameter["Type"] == "CommaDelimitedList"
    assert parameter["Default"] == "*"


def test_the_files_queue_outlasts_the_processor_and_has_a_dead_letter_queue(resources: dict[str, Any]) -> None:
    queue = resources["FilesQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= merge.VISIBILITY_TIMEOUT_FACTOR * merge.SIZING["process_uploads"].timeout_s
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["FilesDeadLetterQueue", "Arn"]}
    assert stack.template()["Outputs"]["FilesDeadLetterQueueUrl"] == {"Value": {"Ref": "FilesDeadLetterQueue"}}
