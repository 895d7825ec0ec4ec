"""The merge template for `chalice package`: one stack with the app and infra/.

``chalice package --merge-template`` deep-merges a template into the one Chalice
generates (dicts merge key by key, anything else, lists included, is replaced). This
module builds that template from the app object, so it follows the handlers as they
are added:

- every resource, parameter and output of infra/resources.yaml: table, queues, bucket
  (its upload notifications to the files queue, its CORS), secret;
- the DynamoDB stream event source(s) point at the table's stream, with bisecting,
  bounded retries and an on-failure destination (EventRouterDeadLetterQueue);
- each ``on_sqs_message(queue=name)`` points at ``stack.queue_logical_id(name)``,
  with ``ReportBatchItemFailures`` (the workers return Powertools' partial-batch
  response);
- every function gets the settings chalicelib/config.py reads (TABLE_NAME,
  <NAME>_QUEUE_URL, UPLOADS_BUCKET, SIGNING_KEYS_SECRET_ARN, PUBLIC_BASE_URL,
  EMAIL_SENDER), its own log group with a retention, and a least-privilege role:
  the API handler keeps Chalice's role (its generated policy is replaced), each
  event handler gets its own; the uploads bucket is granted by key prefix
  (``UPLOADS_ACCESS``);
- the functions that need other memory and timeout than .chalice/config.json's
  defaults get them here (``SIZING``), and every consumed queue's visibility timeout
  is checked against its consumer's timeout (six times, as AWS recommends);
- API Gateway answers unknown routes and its own 4XX/5XX in the v1 error envelope, and
  throttles each stage (``STAGE_THROTTLING``, the auth routes lower: ``AUTH_THROTTLING``);
- the WebSocket API Chalice generates (``WEBSOCKETS``: ``WebsocketAPI``, its $connect,
  $default and $disconnect routes, integrations, invoke permissions, deployment and stage
  ``api``): its handlers get their own roles, every function ``REALTIME_ENDPOINT`` (the
  Management API of that stage), and the functions that post to connections
  (``MANAGES_CONNECTIONS``) ``execute-api:ManageConnections`` on that API only.

``python -m infra.merge --stage dev`` prints the template; ``make package`` uses it.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
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
VAPID_KEYS_SECRET = "VapidKeysSecret"
STREAM_DEAD_LETTER_QUEUE = "EventRouterDeadLetterQueue"
FILES_QUEUE = "files"  # the queue the uploads bucket notifies (chalicelib.config.QUEUE_NAMES)
EMAIL_QUEUE = "email"  # its consumer is the one function that sends mail (SES)

# Chalice's names for what it generates.
API_HANDLER = "APIHandler"
REST_API = "RestAPI"
WEBSOCKET_API = "WebsocketAPI"
# Chalice's function names for the WebSocket handlers (chalice/deploy/appgraph.py).
WEBSOCKET_FUNCTIONS = {
    "$connect": "websocket_connect",
    "$default": "websocket_message",
    "$disconnect": "websocket_disconnect",
}
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

# AWS recommends a queue's visibility timeout of at least six times its Lambda
# consumer's timeout (Lambda's poller may hold messages while the function is
# throttled); less would let a message be delivered twice while still in work.
VISIBILITY_TIMEOUT_FACTOR = 6


@dataclass(frozen=True)
class Sizing:
    """Memory and timeout the stack gives one function instead of .chalice/config.json's
    defaults (512 MB, 30 s). Kept here, not in the config's ``lambda_functions``, so
    that the queue check below and the local runtime's pumps read the same figures."""

    memory_mb: int
    timeout_s: int


SIZING: dict[str, Sizing] = {
    # The file processor (chalicelib/services/files.py): one upload per invocation
    # (batch_size=1). It downloads the upload to /tmp, sniffs it, scans it with
    # ClamAV and, for images, decodes and resizes them with Pillow (a 24-megapixel
    # photo is ~70 MB decoded as RGB, ~100 MB as RGBA, before the thumbnails), then
    # copies it out of quarantine. 1024 MB also buys ~0.6 vCPU for the decode and the
    # scan; 120 s bounds a large upload's download and scan. `make bench` measured a
    # 512 MB peak for the largest image accepted (40 MP) with the EICAR-only database;
    # the full ClamAV database adds ~1 GB: use 2048 MB with it (docs/deploy.md).
    # FilesQueue's VisibilityTimeout (infra/resources.yaml) must stay >= 6 x the timeout.
    "process_uploads": Sizing(memory_mb=1024, timeout_s=120),
}

# The uploads bucket, by key prefix (chalicelib/store/keys.py makes the keys; the
# bucket's notification filter in infra/resources.yaml is QUARANTINE_PREFIX):
# browsers PUT uploads to quarantine/ through presigned URLs, the processor writes
# thumbnails/ and promotes clean files to files/. HeadObject is s3:GetObject.
QUARANTINE_PREFIX = "quarantine/"
PROMOTED_PREFIXES = ("files/", "thumbnails/")
UPLOADS_ACCESS: dict[str, dict[str, tuple[str, ...]]] = {
    # function (Chalice's name) -> action -> key prefixes
    "api_handler": {
        "s3:PutObject": (QUARANTINE_PREFIX,),  # what a presigned upload URL may write
        "s3:GetObject": (QUARANTINE_PREFIX, *PROMOTED_PREFIXES),  # confirm's HeadObject; presigned downloads
        "s3:DeleteObject": (QUARANTINE_PREFIX, *PROMOTED_PREFIXES),  # deleting a file and its thumbnails
    },
    "process_uploads": {
        "s3:GetObject": (QUARANTINE_PREFIX,),  # HeadObject, the download, CopyObject's source
        "s3:PutObject": PROMOTED_PREFIXES,  # thumbnails, CopyObject's target
        "s3:DeleteObject": (QUARANTINE_PREFIX,),  # after promotion, or a rejected upload
    },
    # the channel close job deletes the files of the messages it deletes
    "close_channels": {"s3:DeleteObject": (QUARANTINE_PREFIX, *PROMOTED_PREFIXES)},
}
# s3:ListBucket on the bucket turns S3's answer for a missing key from 403 into 404,
# which chalicelib/store/objects.py's size_of reads as "not uploaded (yet)". It lets
# these functions list keys (ids, no file names), nothing more.
UPLOADS_LISTED_BY = ("api_handler", "process_uploads")
# The VAPID key (Web Push): the API shows its public half, the push worker signs.
VAPID_KEYS_READ_BY = ("api_handler", "push_notifications")
# Consumers that delay a failed message themselves (Retry-After, backoff) through
# ChangeMessageVisibility on their own queue (chalicelib/workers/push.py).
DELAYS_OWN_MESSAGES = ("push_notifications",)
# Functions that send to a queue besides the router.
SENDS_TO: dict[str, tuple[str, ...]] = {
    # the API: confirm nudges the file processor; a webhook redelivery is queued
    "api_handler": (FILES_QUEUE, "webhooks"),
    # a large fan-out (@channel) continues through its own queue in bounded steps
    "notify": ("notifications",),
    # a failed delivery is retried later through the queue (DelaySeconds)
    "deliver_webhooks": ("webhooks",),
    # the channel close job queues its next batch (chalicelib/services/channel_close.py)
    "close_channels": ("closes",),
    # a typing indicator goes straight to the realtime queue (chalicelib/services/realtime.py)
    "websocket_message": ("realtime",),
}
# Functions that post to (or close) WebSocket connections through the Management API: the
# frame handler answers on its own socket, the realtime worker fans out.
MANAGES_CONNECTIONS = ("websocket_message", "fan_out_realtime")
MANAGED_METHODS = ("POST", "DELETE", "GET")

# Search (infra/resources.yaml, SearchEngine=opensearch): the functions that search or index get
# SEARCH_URL (empty without the domain: search is then "none", docs/search.md) and may call the
# domain through SearchAccessPolicy, a policy of its own under the same condition, so the roles'
# policies stay unconditional. No ESHttpDelete: the adapter never deletes (tombstones instead), so
# these roles cannot drop the index.
SEARCH_DOMAIN = "SearchDomain"
SEARCH_CONDITION = "SearchOnOpenSearch"
SEARCH_ACCESS_POLICY = "SearchAccessPolicy"
SEARCHES = ("api_handler", "index_for_search")
# ...and the router, which reads SEARCH_URL only to know whether there is an engine: without one it
# sends the indexer nothing (no queue hop, no claim, no invocation a send). It gets no access policy.
KNOWS_SEARCH_URL = (*SEARCHES, "route_events")
SEARCH_ACTIONS = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"]

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


@dataclass(frozen=True)
class Throttling:
    """API Gateway's token bucket for a stage or one method: steady requests per second and
    the burst above it, over all callers (README.md, "Rate limits")."""

    rate: float
    burst: int

    def method_setting(self, resource_path: str = "/*", http_method: str = "*") -> dict[str, Any]:
        return {
            "ResourcePath": resource_path,
            "HttpMethod": http_method,
            "ThrottlingRateLimit": self.rate,
            "ThrottlingBurstLimit": self.burst,
        }


# The coarse limits, per stage: free (no Lambda, no DynamoDB: API Gateway answers 429 itself,
# THROTTLED above) and over all callers together, so they bound cost and floods, not one
# caller (that is the app's per-caller limits, chalicelib/services/rate_limits.py). Both stay
# under the account's regional default (10,000 rps, burst 5,000). The auth routes (password
# hashing, mail) get their own lower ceiling per method. Usage plans do not fit: they meter
# API Gateway API keys (x-api-key), and Disqua's callers present their own Bearer tokens.
STAGE_THROTTLING: dict[str, Throttling] = {"dev": Throttling(50, 100), "prod": Throttling(2000, 4000)}
AUTH_THROTTLING: dict[str, Throttling] = {"dev": Throttling(5, 10), "prod": Throttling(100, 200)}
DEFAULT_THROTTLING = Throttling(50, 100)  # any other stage
DEFAULT_AUTH_THROTTLING = Throttling(5, 10)


# The OAuth server's credential routes (chalicelib/api/oauth/server.py: its own wire format,
# outside the routing pipeline and its rate-limit classes; its login form keeps the
# accounts service's login throttles): the auth routes' gateway throttle too.
OAUTH_AUTH_METHODS = (("/oauth/authorize", "POST"), ("/oauth/token", "POST"))


def method_settings(stage: str) -> list[dict[str, Any]]:
    """The stage's MethodSettings: the stage-wide throttle, then each auth-class route's."""
    from chalicelib.api import routing

    settings = [STAGE_THROTTLING.get(stage, DEFAULT_THROTTLING).method_setting()]
    auth = AUTH_THROTTLING.get(stage, DEFAULT_AUTH_THROTTLING)
    methods = {(r.path, r.method) for r in routing.ROUTES if r.limit == "auth"} | set(OAUTH_AUTH_METHODS)
    for path, method in sorted(methods):
        # A method's resource path has its slashes written ~1 (API Gateway's escaping).
        settings.append(auth.method_setting("/" + path.replace("/", "~1"), method))
    return settings


class UnsupportedEventSource(Exception):
    """An event source this module does not know how to wire (yet)."""


@dataclass(frozen=True)
class Function:
    """One Lambda function of the app, as `chalice package` names it."""

    name: str  # Chalice's name (the handler's name, "api_handler" for the REST API)
    logical_id: str  # its resource in the template
    kind: str  # "api", "sqs", "stream", "scheduled", "authorizer", "lambda", "websocket"
    event_id: str | None = None  # its event source inside Properties.Events
    event: Any = None  # the Chalice event source config

    @property
    def log_group(self) -> str:
        return f"{self.logical_id}LogGroup"


def functions(app: chalice_app.Chalice) -> list[Function]:
    """Every function `chalice package` generates for this app."""
    found: list[Function] = []
    if app.routes:
        found.append(Function("api_handler", API_HANDLER, "api"))
    for route_key in sorted(app.websocket_handlers):
        name = WEBSOCKET_FUNCTIONS[route_key]
        found.append(Function(name, to_cfn_resource_name(name), "websocket"))
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


def _uploads_statements(function: Function) -> list[Any]:
    access = UPLOADS_ACCESS.get(function.name, {})
    statements: list[Any] = [
        {
            "Effect": "Allow",
            "Action": action,
            "Resource": [{"Fn::Sub": f"${{{UPLOADS_BUCKET}.Arn}}/{prefix}*"} for prefix in prefixes],
        }
        for action, prefixes in sorted(access.items())
    ]
    if function.name in UPLOADS_LISTED_BY:
        statements.append({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": _arn(UPLOADS_BUCKET)})
    return statements


def _statements(
    function: Function, app_queues: list[str], resources: dict[str, Any], traced: bool, config: Config
) -> list[Any]:
    """Least privilege, by what the function is for.

    Every function writes its own log group. The API handler and the workers use the
    table and the signing keys; the uploads bucket only as ``UPLOADS_ACCESS`` says,
    by key prefix. Only a queue's consumer may receive from it, only the email
    queue's consumer sends mail, and the API sends to the files queue only. The
    stream consumer reads the stream and sends to the queues (and its dead-letter
    queue), nothing else.
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
            *_uploads_statements(function),
        ]
        if function.name in VAPID_KEYS_READ_BY:
            statements.append(
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": _ref(VAPID_KEYS_SECRET)}
            )
        if function.name in SENDS_TO:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": "sqs:SendMessage",
                    "Resource": [_arn(stack.queue_logical_id(q)) for q in SENDS_TO[function.name]],
                }
            )
    if function.name in MANAGES_CONNECTIONS:
        # POST (post_to_connection), DELETE and GET on @connections of this API's stage only. The
        # stage by name, not by Ref: the stage depends (through its deployment, routes and
        # integrations) on the functions, which depend on their roles: a Ref would be a cycle.
        api = f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{WEBSOCKET_API}}}"
        stage = config.api_gateway_stage
        statements.append(
            {
                "Effect": "Allow",
                "Action": "execute-api:ManageConnections",
                "Resource": [{"Fn::Sub": f"{api}/{stage}/{method}/@connections/*"} for method in MANAGED_METHODS],
            }
        )
    if function.kind == "sqs":
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": _arn(_queue_logical_id(function.event, resources)),
            }
        )
        if function.name in DELAYS_OWN_MESSAGES:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": "sqs:ChangeMessageVisibility",
                    "Resource": _arn(_queue_logical_id(function.event, resources)),
                }
            )
        if function.event.queue == EMAIL_QUEUE:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                    "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"},
                }
            )
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
        headers = {
            "Content-Type": "'application/json'",
            "X-Request-Id": "context.requestId",
            "Cache-Control": "'no-store'",
            "X-Content-Type-Options": "'nosniff'",
            # As the app's answers (chalicelib/http/security_headers.py); only AWS stages
            # have gateway responses, so HSTS always.
            "Referrer-Policy": "'no-referrer'",
            "Strict-Transport-Security": "'max-age=63072000; includeSubDomains'",
        }
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
        "REALTIME_ENDPOINT",
    ]


def realtime_endpoint(config: Config) -> dict[str, Any]:
    """The Management API of the WebSocket API's stage (what boto3's apigatewaymanagementapi
    client needs as its endpoint_url). No cycle: the API itself depends on no function."""
    stage = config.api_gateway_stage
    return {"Fn::Sub": f"https://${{{WEBSOCKET_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}"}


def environment(function: Function, config: Config, has_rest_api: bool, has_websockets: bool = True) -> dict[str, Any]:
    """The settings chalicelib/config.py reads, as references into the stack."""
    from chalicelib.config import QUEUE_NAMES

    env: dict[str, Any] = {"TABLE_NAME": _ref(TABLE)}
    for name in QUEUE_NAMES:
        env[f"{name.upper()}_QUEUE_URL"] = _ref(stack.queue_logical_id(name))
    env["UPLOADS_BUCKET"] = _ref(UPLOADS_BUCKET)
    env["SIGNING_KEYS_SECRET_ARN"] = _ref(SIGNING_KEYS_SECRET)
    if function.name in VAPID_KEYS_READ_BY:
        env["VAPID_KEYS_SECRET_ARN"] = _ref(VAPID_KEYS_SECRET)
    env["EMAIL_SENDER"] = _ref(EMAIL_SENDER_PARAM)
    if function.name in KNOWS_SEARCH_URL:
        endpoint = {"Fn::Sub": f"https://${{{SEARCH_DOMAIN}.DomainEndpoint}}"}
        env["SEARCH_URL"] = {"Fn::If": [SEARCH_CONDITION, endpoint, ""]}
    if function.kind == "api" or not has_rest_api:
        # The API's URL would make the API handler depend on the API, which depends on
        # the handler (a cycle): it gets the parameter only (empty unless set).
        env["PUBLIC_BASE_URL"] = _ref(PUBLIC_BASE_URL_PARAM)
    else:
        stage_url = (
            f"https://${{{REST_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{config.api_gateway_stage}"
        )
        env["PUBLIC_BASE_URL"] = {"Fn::If": [HAS_PUBLIC_BASE_URL, _ref(PUBLIC_BASE_URL_PARAM), {"Fn::Sub": stage_url}]}
    env["REALTIME_ENDPOINT"] = realtime_endpoint(config) if has_websockets else ""
    return env


def _sized_in_chalice_config(config_from_disk: dict[str, Any], stage: str, name: str) -> list[str]:
    """The memory/timeout settings .chalice/config.json gives function ``name`` itself."""
    keys = ("lambda_memory_size", "lambda_timeout")
    found = []
    staged = config_from_disk.get("stages", {}).get(stage, {})
    for where, scope in (("", config_from_disk), (f"stages.{stage}.", staged)):
        declared = scope.get("lambda_functions", {}).get(name, {})
        found += [f"{where}lambda_functions.{name}.{key}" for key in keys if key in declared]
    return found


def limits(name: str, config: Config) -> Sizing:
    """Memory and timeout a function runs with in the stack: ``SIZING``'s, else Chalice's."""
    if name in SIZING:
        return SIZING[name]
    scoped = config.scope(config.chalice_stage, name)
    return Sizing(scoped.lambda_memory_size or 128, scoped.lambda_timeout or DEFAULT_LAMBDA_TIMEOUT)


def _check_upload_notifications(resources: dict[str, Any]) -> None:
    """The uploads bucket notifies the files queue for quarantine/ only: never for the
    prefixes the processor writes (it would process its own output, forever)."""
    bucket = resources[UPLOADS_BUCKET].get("Properties", {})
    queue = stack.queue_logical_id(FILES_QUEUE)
    configs = bucket.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
    if not any(referenced(c.get("Queue")) == (queue, "Arn") for c in configs):
        raise ValueError(f"{UPLOADS_BUCKET} needs a QueueConfigurations entry for {queue} (uploads are processed)")
    for entry in configs:
        rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        prefixes = [str(r.get("Value", "")) for r in rules if str(r.get("Name", "")).lower() == "prefix"] or [""]
        for prefix in prefixes:
            looping = [p for p in PROMOTED_PREFIXES if p.startswith(prefix)]
            if looping:
                raise ValueError(f"{UPLOADS_BUCKET}: notifications for {prefix!r}* would fire on {looping}")
    if bucket.get("BucketName") is None:
        raise ValueError(f"{UPLOADS_BUCKET} needs a fixed BucketName: FilesQueuePolicy names the bucket by ARN")


def _event_overrides(function: Function, resources: dict[str, Any], timeout: int) -> dict[str, Any]:
    if function.kind == "sqs":
        queue = _queue_logical_id(function.event, resources)
        visibility = resources[queue].get("Properties", {}).get("VisibilityTimeout", 30)
        if visibility < VISIBILITY_TIMEOUT_FACTOR * timeout:
            raise ValueError(
                f"{queue}: VisibilityTimeout {visibility}s is below {VISIBILITY_TIMEOUT_FACTOR} x "
                f"{function.name}'s timeout ({timeout}s): make it at least {VISIBILITY_TIMEOUT_FACTOR * timeout}"
            )
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
        (VAPID_KEYS_SECRET, "AWS::SecretsManager::Secret"),
        (STREAM_DEAD_LETTER_QUEUE, "AWS::SQS::Queue"),
    ):
        if resources.get(logical, {}).get("Type") != kind:
            raise ValueError(f"infra/resources.yaml needs a {kind} {logical}")
    if "StreamSpecification" not in resources[TABLE]["Properties"]:
        raise ValueError(f"{TABLE} needs a stream: it is the outbox")
    _check_upload_notifications(resources)

    from chalicelib.config import QUEUE_NAMES

    app_queues = [stack.queue_logical_id(name) for name in QUEUE_NAMES]
    for logical in app_queues:
        if resources.get(logical, {}).get("Type") != "AWS::SQS::Queue":
            raise ValueError(f"infra/resources.yaml needs an AWS::SQS::Queue {logical} (chalicelib.config.QUEUE_NAMES)")

    found = functions(app)
    has_rest_api = any(f.kind == "api" for f in found)
    has_websockets = any(f.kind == "websocket" for f in found)
    config_from_disk = json.loads((project_dir / ".chalice" / "config.json").read_text())
    for name in SIZING:
        both = _sized_in_chalice_config(config_from_disk, stage, name)
        if both:
            raise ValueError(f"{name} is sized in infra/merge.py SIZING and in .chalice/config.json ({both}): pick one")
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
    for name, parameter in infra.get("Parameters", {}).items():
        if name in merged["Parameters"]:
            raise ValueError(f"parameter {name} is declared both in infra/resources.yaml and in infra/merge.py")
        merged["Parameters"][name] = parameter
    for name, condition in infra.get("Conditions", {}).items():
        if name in merged["Conditions"]:
            raise ValueError(f"condition {name} is declared both in infra/resources.yaml and in infra/merge.py")
        merged["Conditions"][name] = condition
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
                "Statement": _statements(function, app_queues, resources, scoped.xray_enabled, config),
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
        sized = limits(function.name, config)
        properties: dict[str, Any] = {
            "Role": _arn(role),
            "Environment": {"Variables": environment(function, config, has_rest_api, has_websockets)},
            "LoggingConfig": {"LogGroup": _ref(function.log_group)},
            **_event_overrides(function, resources, sized.timeout_s),
        }
        if function.name in SIZING:
            properties["MemorySize"] = sized.memory_mb
            properties["Timeout"] = sized.timeout_s
        resources[function.logical_id] = {"Properties": properties}
    if has_rest_api:
        resources[REST_API] = {
            "Properties": {"GatewayResponses": gateway_responses(), "MethodSettings": method_settings(stage)}
        }
    searching = [role_of(f, config) for f in found if f.name in SEARCHES]
    if resources.get(SEARCH_DOMAIN, {}).get("Condition") == SEARCH_CONDITION and searching:
        resources[SEARCH_ACCESS_POLICY] = {
            "Type": "AWS::IAM::Policy",
            "Condition": SEARCH_CONDITION,
            "Properties": {
                "PolicyName": SEARCH_ACCESS_POLICY,
                "Roles": [_ref(role) for role in sorted(set(searching))],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": SEARCH_ACTIONS,
                            "Resource": {"Fn::Sub": f"${{{SEARCH_DOMAIN}.Arn}}/*"},
                        }
                    ],
                },
            },
        }
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


def for_api_gateway(template: dict[str, Any]) -> dict[str, Any]:
    """The packaged template without the routes only chalice.local needs (a catch-all beside
    ``{proxy+}``: API Gateway refuses two variable path parts under one resource)."""
    from chalicelib.api.disqus.surface import LOCAL_ONLY_PATHS

    body = template.get("Resources", {}).get(REST_API, {}).get("Properties", {}).get("DefinitionBody", {})
    paths = body.get("paths", {})
    for path in LOCAL_ONLY_PATHS:
        paths.pop(path, None)
    # A greedy segment's parameter, declared as API Gateway's own examples do (Chalice leaves it out).
    for path, methods in paths.items():
        for greedy in re.findall(r"{(\w+)\+}", path):
            for operation in methods.values():
                declared = operation.setdefault("parameters", [])
                if not any(p.get("name") == greedy for p in declared):
                    declared.append({"name": greedy, "in": "path", "required": True, "type": "string"})
    return template


def variable_siblings(paths: list[str]) -> list[str]:
    """Resources with more than one variable child (``{a}`` and ``{b+}`` under one parent):
    API Gateway refuses to import them."""
    children: dict[str, set[str]] = {}
    for path in paths:
        parts = [p for p in path.split("/") if p]
        for depth, part in enumerate(parts):
            if part.startswith("{"):
                children.setdefault("/" + "/".join(parts[:depth]), set()).add(part)
    return [f"{parent}: {sorted(found)}" for parent, found in sorted(children.items()) if len(found) > 1]


def check_packaged(template: dict[str, Any], app: chalice_app.Chalice) -> list[str]:
    """What is wrong with a packaged (merged) template; empty when nothing is.

    Catches what a deep merge can get wrong without failing: a resource the merge
    template names but Chalice did not generate (left without a Type), two
    intrinsics merged into one value, and event sources left unwired.
    """
    problems: list[str] = _merged_intrinsics(template.get("Resources", {}), "Resources")
    resources = template.get("Resources", {})
    api_paths = resources.get(REST_API, {}).get("Properties", {}).get("DefinitionBody", {}).get("paths", {})
    for clash in variable_siblings(list(api_paths)):
        problems.append(f"{REST_API}: two variable path parts under one resource, {clash}")
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
