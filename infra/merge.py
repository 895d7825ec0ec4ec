"""The merge template for `chalice package`: one stack with the app and infra/.

``chalice package --merge-template`` deep-merges a template into the one Chalice
generates (dicts merge key by key, anything else, lists included, is replaced). This
module builds that template from the app object, so it follows the handlers as they
are added:

- every resource (and output) of infra/resources.yaml: table, queues, bucket, secret;
- the DynamoDB stream event source(s) point at the table's stream, with bisecting,
  bounded retries and an on-failure destination (EventRouterDeadLetterQueue);
- each ``on_sqs_message(queue=name)`` points at ``stack.queue_logical_id(name)``,
  with ``ReportBatchItemFailures`` (the workers return Powertools' partial-batch
  response);
- every function gets the settings chalicelib/config.py reads (TABLE_NAME,
  <NAME>_QUEUE_URL, UPLOADS_BUCKET, SIGNING_KEYS_SECRET_ARN, PUBLIC_BASE_URL,
  EMAIL_SENDER), its own log group with a retention, and a least-privilege role:
  the API handler keeps Chalice's role (its generated policy is replaced), each
  event handler gets its own;
- API Gateway answers unknown routes and its own 4XX/5XX in the v1 error envelope.

``python -m infra.merge --stage dev`` prints the template; ``make package`` uses it.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice import app as chalice_app
from chalice.config import Config
from chalice.constants import DEFAULT_LAMBDA_TIMEOUT
from chalice.utils import to_cfn_resource_name

from infra import stack

ROOT = Path(__file__).resolve().parent.parent

# Logical ids in infra/resources.yaml that the app's settings point at.
TABLE = "AppTable"
UPLOADS_BUCKET = "UploadsBucket"
SIGNING_KEYS_SECRET = "SigningKeysSecret"
STREAM_DEAD_LETTER_QUEUE = "EventRouterDeadLetterQueue"

# Chalice's names for what it generates.
API_HANDLER = "APIHandler"
REST_API = "RestAPI"
CHALICE_DEFAULT_ROLE = "DefaultRole"

# Template parameters (all have defaults except the sender, which SES must verify).
PUBLIC_BASE_URL_PARAM = "PublicBaseUrl"
HAS_PUBLIC_BASE_URL = "HasPublicBaseUrl"
EMAIL_SENDER_PARAM = "EmailSender"
LOG_RETENTION_PARAM = "LogRetentionInDays"
LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653]

# The stream consumer (the event router): a failing batch is split in two until the
# bad record is isolated, retried a bounded number of times, and then recorded in
# the dead-letter queue (shard + sequence numbers; the outbox item itself stays in
# the table for a week, see chalicelib/store/outbox.py) instead of blocking the shard.
STREAM_MAXIMUM_RETRY_ATTEMPTS = 10

LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
    ],
}

# Data-plane actions only. Transactions are authorized per item action; no Scan:
# every list is a Query over a key range (DESIGN.md).
TABLE_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
]

_NOT_FOUND = "No route matches this path."
_INTERNAL = "Unexpected server error. Contact support with the requestId."
# API Gateway answers these itself (the request never reaches Lambda). The body is
# the v1 error envelope (chalicelib/http/envelope.py), ``$context`` is filled in by
# API Gateway; ``$context.error.messageString`` is already a quoted JSON string.
GATEWAY_RESPONSES: dict[str, tuple[int | None, str, str | None]] = {
    # response type: (status, code, message; None = API Gateway's own message)
    "MISSING_AUTHENTICATION_TOKEN": (404, "E_NOT_FOUND", _NOT_FOUND),  # unknown path or method
    "RESOURCE_NOT_FOUND": (404, "E_NOT_FOUND", _NOT_FOUND),
    "REQUEST_TOO_LARGE": (413, "E_VALIDATION", "The request body is too large."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "E_VALIDATION", "Unsupported Content-Type: send application/json."),
    "THROTTLED": (429, "E_RATE_LIMIT", "Too many requests: check the Retry-After header."),
    "QUOTA_EXCEEDED": (429, "E_RATE_LIMIT", "Too many requests: check the Retry-After header."),
    "DEFAULT_4XX": (None, "E_VALIDATION", None),  # keeps API Gateway's status
    "DEFAULT_5XX": (None, "E_INTERNAL", _INTERNAL),
}


class UnsupportedEventSource(Exception):
    """An event source this module does not know how to wire (yet)."""


@dataclass(frozen=True)
class Function:
    """One Lambda function of the app, as `chalice package` names it."""

    name: str  # Chalice's name (the handler's name, "api_handler" for the REST API)
    logical_id: str  # its resource in the template
    kind: str  # "api", "sqs", "stream", "scheduled", "authorizer", "lambda"
    event_id: str | None = None  # its event source inside Properties.Events
    event: Any = None  # the Chalice event source config

    @property
    def log_group(self) -> str:
        return f"{self.logical_id}LogGroup"


def functions(app: chalice_app.Chalice) -> list[Function]:
    """Every function `chalice package` generates for this app."""
    found: list[Function] = []
    if app.websocket_handlers:
        raise UnsupportedEventSource("websocket handlers: wire their API and permissions in infra/merge.py first")
    if app.routes:
        found.append(Function("api_handler", API_HANDLER, "api"))
    for auth in app.builtin_auth_handlers:
        found.append(Function(auth.name, to_cfn_resource_name(auth.name), "authorizer"))
    for source in app.event_sources:
        logical = to_cfn_resource_name(source.name)
        if isinstance(source, chalice_app.SQSEventConfig):
            event_id = to_cfn_resource_name(f"{source.name}-sqs-event-source")
            found.append(Function(source.name, logical, "sqs", event_id, source))
        elif isinstance(source, chalice_app.DynamoDBEventConfig):
            event_id = to_cfn_resource_name(f"{source.name}-dynamodb-event-source")
            found.append(Function(source.name, logical, "stream", event_id, source))
        elif isinstance(source, chalice_app.ScheduledEventConfig | chalice_app.CloudWatchEventConfig):
            found.append(Function(source.name, logical, "scheduled", None, source))
        else:
            # S3 -> SQS is the design (DESIGN.md, aws/chalice#924): use on_sqs_message.
            raise UnsupportedEventSource(
                f"{type(source).__name__} ({source.name}): wire it to a resource in infra/merge.py first"
            )
    for pure in app.pure_lambda_functions:
        found.append(Function(pure.name, to_cfn_resource_name(pure.name), "lambda"))
    return found


def chalice_config(app: chalice_app.Chalice, stage: str, project_dir: Path = ROOT) -> Config:
    """The stage's Chalice settings, read the way `chalice package` reads them."""
    config_from_disk = json.loads((project_dir / ".chalice" / "config.json").read_text())
    if stage not in config_from_disk.get("stages", {}):
        raise ValueError(f"unknown stage {stage!r} (.chalice/config.json)")
    return Config(
        chalice_stage=stage,
        user_provided_params={"chalice_app": app, "project_dir": str(project_dir)},
        config_from_disk=config_from_disk,
        default_params={"autogen_policy": True, "api_gateway_stage": "api"},
    )


def role_of(function: Function, config: Config) -> str:
    """The logical id of the role a function runs with.

    With ``autogen_policy`` (Chalice's default) Chalice gives every function one
    ``DefaultRole``: the API handler keeps it, each event handler gets its own role
    named the way Chalice names per-function roles (``<Function>Role``), which is
    also what Chalice generates with ``"autogen_policy": false``. Either way the
    policies below replace Chalice's.
    """
    scoped = config.scope(config.chalice_stage, function.name)
    if not scoped.manage_iam_role:
        raise ValueError(f"{function.name}: manage_iam_role is false; its role's policy is not ours to write")
    if function.kind == "api" and scoped.autogen_policy:
        return CHALICE_DEFAULT_ROLE
    return to_cfn_resource_name(f"{function.name}_role")


def _ref(logical: str) -> dict[str, Any]:
    return {"Ref": logical}


def _arn(logical: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical, attribute]}


def _queue_logical_id(source: chalice_app.SQSEventConfig, resources: dict[str, Any]) -> str:
    if source.queue is None:
        raise UnsupportedEventSource(f"{source.name}: use on_sqs_message(queue=<name>) so infra/ owns the queue")
    logical = stack.queue_logical_id(source.queue)
    if resources.get(logical, {}).get("Type") != "AWS::SQS::Queue":
        raise ValueError(f"{source.name}: queue {source.queue!r} needs an AWS::SQS::Queue {logical} in resources.yaml")
    return logical


def _statements(function: Function, app_queues: list[str], resources: dict[str, Any], traced: bool) -> list[Any]:
    """Least privilege, by what the function is for.

    Every function writes its own log group. The API handler and the workers use the
    table, the signing keys and the uploads bucket; only the workers (SQS consumers)
    send email and only a queue's consumer may receive from it. The stream consumer
    reads the stream and sends to the queues (and its dead-letter queue), nothing else.
    """
    statements: list[Any] = [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _arn(function.log_group),
        }
    ]
    if function.kind == "stream":
        statements += [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                "Resource": _arn(TABLE, "StreamArn"),
            },
            {"Effect": "Allow", "Action": "dynamodb:ListStreams", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": [_arn(q) for q in [*app_queues, STREAM_DEAD_LETTER_QUEUE]],
            },
        ]
    else:
        statements += [
            {
                "Effect": "Allow",
                "Action": TABLE_ACTIONS,
                "Resource": [_arn(TABLE), {"Fn::Sub": f"${{{TABLE}.Arn}}/index/*"}],
            },
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": _ref(SIGNING_KEYS_SECRET)},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": {"Fn::Sub": f"${{{UPLOADS_BUCKET}.Arn}}/*"},
            },
        ]
    if function.kind == "sqs":
        statements += [
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": _arn(_queue_logical_id(function.event, resources)),
            },
            {
                "Effect": "Allow",
                "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"},
            },
        ]
    if traced:
        statements.append(
            {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"}
        )
    return statements


def gateway_responses() -> dict[str, Any]:
    """SAM GatewayResponses: API Gateway's own answers in the v1 envelope (the local
    runtime can mirror these)."""
    responses: dict[str, Any] = {}
    for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
        quoted = json.dumps(message) if message is not None else "$context.error.messageString"
        body = f'{{"ok": false, "error": {{"code": "{code}", "message": {quoted}, "requestId": "$context.requestId"}}}}'
        # The same requestId in the header as in the body, as the app's own answers do.
        headers = {"Content-Type": "'application/json'", "X-Request-Id": "context.requestId"}
        if code == "E_RATE_LIMIT":
            headers["Retry-After"] = "'1'"
        response: dict[str, Any] = {
            "ResponseParameters": {"Headers": headers},
            "ResponseTemplates": {"application/json": body},
        }
        if status is not None:
            response["StatusCode"] = str(status)
        responses[response_type] = response
    return responses


def environment_variable_names() -> list[str]:
    from chalicelib.config import QUEUE_NAMES

    return [
        "TABLE_NAME",
        *(f"{name.upper()}_QUEUE_URL" for name in QUEUE_NAMES),
        "UPLOADS_BUCKET",
        "SIGNING_KEYS_SECRET_ARN",
        "EMAIL_SENDER",
        "PUBLIC_BASE_URL",
    ]


def environment(function: Function, config: Config, has_rest_api: bool) -> dict[str, Any]:
    """The settings chalicelib/config.py reads, as references into the stack."""
    from chalicelib.config import QUEUE_NAMES

    env: dict[str, Any] = {"TABLE_NAME": _ref(TABLE)}
    for name in QUEUE_NAMES:
        env[f"{name.upper()}_QUEUE_URL"] = _ref(stack.queue_logical_id(name))
    env["UPLOADS_BUCKET"] = _ref(UPLOADS_BUCKET)
    env["SIGNING_KEYS_SECRET_ARN"] = _ref(SIGNING_KEYS_SECRET)
    env["EMAIL_SENDER"] = _ref(EMAIL_SENDER_PARAM)
    if function.kind == "api" or not has_rest_api:
        # The API's URL would make the API handler depend on the API, which depends on
        # the handler (a cycle): it gets the parameter only (empty unless set).
        env["PUBLIC_BASE_URL"] = _ref(PUBLIC_BASE_URL_PARAM)
    else:
        stage_url = (
            f"https://${{{REST_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{config.api_gateway_stage}"
        )
        env["PUBLIC_BASE_URL"] = {"Fn::If": [HAS_PUBLIC_BASE_URL, _ref(PUBLIC_BASE_URL_PARAM), {"Fn::Sub": stage_url}]}
    return env


def _event_overrides(function: Function, resources: dict[str, Any], timeout: int) -> dict[str, Any]:
    if function.kind == "sqs":
        queue = _queue_logical_id(function.event, resources)
        visibility = resources[queue].get("Properties", {}).get("VisibilityTimeout", 30)
        if visibility < timeout:
            raise ValueError(f"{queue}: VisibilityTimeout {visibility}s is below {function.name}'s timeout {timeout}s")
        if "RedrivePolicy" not in resources[queue].get("Properties", {}):
            raise ValueError(f"{queue}: a consumed queue needs a RedrivePolicy (a dead-letter queue)")
        # Chalice writes the queue as {"Fn::Sub": "arn:...:<name>"} and the merge is
        # deep: a {"Fn::GetAtt": ...} would be merged into it (two keys, invalid).
        # Replacing the Fn::Sub's string points it at the queue's ARN all the same.
        properties = {"Queue": {"Fn::Sub": f"${{{queue}.Arn}}"}, "FunctionResponseTypes": ["ReportBatchItemFailures"]}
    elif function.kind == "stream":
        properties = {
            "Stream": _arn(TABLE, "StreamArn"),
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": STREAM_MAXIMUM_RETRY_ATTEMPTS,
            "DestinationConfig": {"OnFailure": {"Destination": _arn(STREAM_DEAD_LETTER_QUEUE)}},
        }
    else:
        return {}
    return {"Events": {function.event_id: {"Properties": properties}}}


def build(app: chalice_app.Chalice, stage: str, project_dir: Path = ROOT) -> dict[str, Any]:
    """The merge template for ``chalice package --stage <stage> --merge-template``."""
    config = chalice_config(app, stage, project_dir)
    infra = copy.deepcopy(stack.template())
    resources: dict[str, Any] = infra["Resources"]
    for logical, kind in (
        (TABLE, "AWS::DynamoDB::Table"),
        (UPLOADS_BUCKET, "AWS::S3::Bucket"),
        (SIGNING_KEYS_SECRET, "AWS::SecretsManager::Secret"),
        (STREAM_DEAD_LETTER_QUEUE, "AWS::SQS::Queue"),
    ):
        if resources.get(logical, {}).get("Type") != kind:
            raise ValueError(f"infra/resources.yaml needs a {kind} {logical}")
    if "StreamSpecification" not in resources[TABLE]["Properties"]:
        raise ValueError(f"{TABLE} needs a stream: it is the outbox")

    from chalicelib.config import QUEUE_NAMES

    app_queues = [stack.queue_logical_id(name) for name in QUEUE_NAMES]
    for logical in app_queues:
        if resources.get(logical, {}).get("Type") != "AWS::SQS::Queue":
            raise ValueError(f"infra/resources.yaml needs an AWS::SQS::Queue {logical} (chalicelib.config.QUEUE_NAMES)")

    found = functions(app)
    has_rest_api = any(f.kind == "api" for f in found)
    merged: dict[str, Any] = {
        "Description": f"Disqua ({stage}): the Chalice app and its table, queues, bucket and secret (make package)",
        "Parameters": {
            PUBLIC_BASE_URL_PARAM: {
                "Type": "String",
                "Default": "",
                "Description": "Base URL of the API in links sent to users, e.g. https://api.example.com "
                "(a custom domain). Empty: the workers use this stack's execute-api URL.",
            },
            EMAIL_SENDER_PARAM: {
                "Type": "String",
                "AllowedPattern": ".+@.+",
                "Description": "From address of outgoing mail, e.g. 'Disqua <no-reply@mail.example.com>'. "
                "Its address or domain must be a verified SES identity.",
            },
            LOG_RETENTION_PARAM: {
                "Type": "Number",
                "Default": 30,
                "AllowedValues": LOG_RETENTION_DAYS,
                "Description": "Days the functions' logs are kept.",
            },
        },
        "Conditions": {HAS_PUBLIC_BASE_URL: {"Fn::Not": [{"Fn::Equals": [_ref(PUBLIC_BASE_URL_PARAM), ""]}]}},
        "Resources": resources,
        "Outputs": infra.get("Outputs", {}),
    }
    for function in found:
        scoped = config.scope(stage, function.name)
        role = role_of(function, config)
        resources[function.log_group] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}/{function.logical_id}"},
                "RetentionInDays": _ref(LOG_RETENTION_PARAM),
            },
        }
        policy = {
            "PolicyName": f"{role}Policy",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": _statements(function, app_queues, resources, scoped.xray_enabled),
            },
        }
        if role == CHALICE_DEFAULT_ROLE:
            # Chalice's generated role: its trust policy stays, its policies are replaced.
            resources[role] = {"Properties": {"Policies": [policy]}}
        else:
            resources[role] = {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": LAMBDA_TRUST_POLICY, "Policies": [policy]},
            }
        properties: dict[str, Any] = {
            "Role": _arn(role),
            "Environment": {"Variables": environment(function, config, has_rest_api)},
            "LoggingConfig": {"LogGroup": _ref(function.log_group)},
            **_event_overrides(function, resources, scoped.lambda_timeout or DEFAULT_LAMBDA_TIMEOUT),
        }
        resources[function.logical_id] = {"Properties": properties}
    if has_rest_api:
        resources[REST_API] = {"Properties": {"GatewayResponses": gateway_responses()}}
    return merged


def referenced(value: Any) -> tuple[str, str] | None:
    """(logical id, attribute) that an ARN-valued intrinsic points at, else None.

    Understands ``{"Fn::GetAtt": [id, attr]}`` and ``{"Fn::Sub": "${id.attr}"}``.
    """
    if not isinstance(value, dict) or len(value) != 1:
        return None
    if "Fn::GetAtt" in value and isinstance(value["Fn::GetAtt"], list) and len(value["Fn::GetAtt"]) == 2:
        logical, attribute = value["Fn::GetAtt"]
        return str(logical), str(attribute)
    sub = value.get("Fn::Sub")
    if isinstance(sub, str) and sub.startswith("${") and sub.endswith("}") and sub.count("${") == 1 and "." in sub:
        logical, attribute = sub[2:-1].split(".", 1)
        return logical, attribute
    return None


def _merged_intrinsics(node: Any, path: str) -> list[str]:
    """Dicts holding an intrinsic function and anything else: what a deep merge of
    two different intrinsics (say Fn::Sub into Fn::GetAtt) leaves behind."""
    found: list[str] = []
    if isinstance(node, dict):
        if len(node) > 1 and any(k == "Ref" or k.startswith("Fn::") for k in node):
            found.append(f"{path}: mixed intrinsic functions {sorted(node)}")
        for key, value in node.items():
            found += _merged_intrinsics(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _merged_intrinsics(value, f"{path}[{index}]")
    return found


def check_packaged(template: dict[str, Any], app: chalice_app.Chalice) -> list[str]:
    """What is wrong with a packaged (merged) template; empty when nothing is.

    Catches what a deep merge can get wrong without failing: a resource the merge
    template names but Chalice did not generate (left without a Type), two
    intrinsics merged into one value, and event sources left unwired.
    """
    problems: list[str] = _merged_intrinsics(template.get("Resources", {}), "Resources")
    resources = template.get("Resources", {})
    for logical, resource in resources.items():
        if "Type" not in resource:
            problems.append(f"{logical}: no Type (the merge template names a resource Chalice did not generate)")
    expected = {"sqs": ("Queue", "AWS::SQS::Queue", "Arn"), "stream": ("Stream", "AWS::DynamoDB::Table", "StreamArn")}
    for function in functions(app):
        resource = resources.get(function.logical_id, {})
        if resource.get("Type") != "AWS::Serverless::Function":
            problems.append(f"{function.logical_id}: missing from the packaged template")
            continue
        properties = resource["Properties"]
        variables = properties.get("Environment", {}).get("Variables", {})
        for name in environment_variable_names():
            if name not in variables:
                problems.append(f"{function.logical_id}: no {name}")
        if function.kind not in expected:
            continue
        key, kind, attribute = expected[function.kind]
        event = properties.get("Events", {}).get(function.event_id, {}).get("Properties", {})
        target = referenced(event.get(key))
        if target is None or resources.get(target[0], {}).get("Type") != kind or target[1] != attribute:
            problems.append(f"{function.logical_id}: {function.event_id} is not wired to a {kind}: {event.get(key)!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    from app import app

    text = json.dumps(build(app, args.stage), indent=2) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
