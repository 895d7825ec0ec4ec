"""infra/merge.py: the merge template wires every function of the app to the stack.

Offline and fast: Chalice's own template generator runs on the app (everything but
the deployment zip, which needs pip), Chalice's own deep merger applies the merge
template, and the tests look at the result, i.e. at what `make package` writes.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

import pytest
from chalice import Chalice
from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
from chalice.deploy.deployer import (
    BaseDeployStep,
    DeploymentPackager,
    ManagedLayerDeploymentPackager,
    create_build_stage,
)
from chalice.deploy.swagger import CFNSwaggerGenerator
from chalice.package import PackageOptions, SAMTemplateGenerator, TemplateDeepMerger
from chalice.utils import UI, OSUtils, to_cfn_resource_name

import app as app_module
from app import app
from chalicelib import config
from chalicelib.api.v1.surface import not_found_body
from infra import merge, stack

STAGES = ("dev", "prod")


class _FakeClient:
    region_name = "us-east-1"

    def endpoint_dns_suffix(self, service: str, region: str) -> str:
        return "amazonaws.com"

    def service_principal(self, service: str, region: str, dns_suffix: str) -> str:
        return f"{service}.{dns_suffix}"


class _NoZip(BaseDeployStep):
    """Stands in for the deployment packager (pip + zip): the template only needs a name."""

    def handle_deploymentpackage(self, _config: Any, resource: Any) -> None:
        resource.filename = "./deployment.zip"


def chalice_template(application: Chalice, stage: str) -> dict[str, Any]:
    """What `chalice package` generates before merging, minus the zip."""
    cfg = merge.chalice_config(application, stage)
    build = create_build_stage(OSUtils(), UI(), CFNSwaggerGenerator(), cfg)
    build._steps = [
        _NoZip() if isinstance(step, DeploymentPackager | ManagedLayerDeploymentPackager) else step
        for step in build._steps
    ]
    graph = ApplicationGraphBuilder().build(cfg, stage)
    deps = DependencyBuilder()
    build.execute(cfg, deps.build_dependencies(graph))
    return SAMTemplateGenerator(cfg, PackageOptions(_FakeClient())).generate(deps.build_dependencies(graph))


@cache
def _packaged(stage: str) -> str:
    merged = TemplateDeepMerger().merge(merge.build(app, stage), chalice_template(app, stage))
    return json.dumps(merge.for_api_gateway(merged))


@pytest.fixture(params=STAGES)
def packaged(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The template `make package STAGE=<stage>` writes to out/<stage>/sam.json."""
    return json.loads(_packaged(request.param))


def functions_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r.get("Type") == "AWS::Serverless::Function"}


def target(value: Any) -> tuple[str, str]:
    """The (logical id, attribute) an ARN value points at; fails on anything else."""
    assert isinstance(value, dict) and len(value) == 1, f"not one intrinsic function: {value!r}"
    if "Fn::GetAtt" in value:
        logical, attribute = value["Fn::GetAtt"]
        return logical, attribute
    match = re.fullmatch(r"\$\{(\w+)\.(\w+)\}", value.get("Fn::Sub", ""))
    assert match, f"not a reference to a resource attribute: {value!r}"
    return match.group(1), match.group(2)


def statements(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role, attribute = target(template["Resources"][function]["Properties"]["Role"])
    assert attribute == "Arn"
    resource = template["Resources"][role]
    assert resource["Type"] == "AWS::IAM::Role"
    return [s for policy in resource["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def allowed(template: dict[str, Any], function: str, action: str) -> list[Any]:
    """The resources ``function`` may do ``action`` on."""
    found: list[Any] = []
    for statement in statements(template, function):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if action in actions:
            resources = statement["Resource"]
            found += resources if isinstance(resources, list) else [resources]
    return found


# -- event sources -----------------------------------------------------------------


def test_the_app_has_the_event_sources_these_tests_are_about() -> None:
    kinds = {type(source).__name__ for source in app.event_sources}
    assert {"SQSEventConfig", "DynamoDBEventConfig"} <= kinds


def test_every_sqs_event_source_reads_its_queue_in_the_stack(packaged: dict[str, Any]) -> None:
    resources = packaged["Resources"]
    sources = [s for s in app.event_sources if type(s).__name__ == "SQSEventConfig"]
    for source in sources:
        events = resources[to_cfn_resource_name(source.name)]["Properties"]["Events"]
        ((_, event),) = events.items()
        assert event["Type"] == "SQS"
        logical, attribute = target(event["Properties"]["Queue"])
        assert (logical, attribute) == (stack.queue_logical_id(source.queue), "Arn")
        assert stack.template()["Resources"][logical]["Type"] == "AWS::SQS::Queue"
        assert resources[logical]["Type"] == "AWS::SQS::Queue"
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert event["Properties"]["BatchSize"] == source.batch_size


def test_the_stream_consumer_reads_the_table_stream_and_gives_up_into_a_queue(packaged: dict[str, Any]) -> None:
    resources = packaged["Resources"]
    sources = [s for s in app.event_sources if type(s).__name__ == "DynamoDBEventConfig"]
    assert [s.name for s in sources] == ["route_events"]
    for source in sources:
        events = resources[to_cfn_resource_name(source.name)]["Properties"]["Events"]
        ((_, event),) = events.items()
        assert event["Type"] == "DynamoDB"
        properties = event["Properties"]
        assert properties["Stream"] == {"Fn::GetAtt": ["AppTable", "StreamArn"]}
        assert "StreamSpecification" in resources["AppTable"]["Properties"]
        assert properties["BisectBatchOnFunctionError"] is True
        assert 0 < properties["MaximumRetryAttempts"] <= 100  # bounded: a poison record must not block the shard
        destination, attribute = target(properties["DestinationConfig"]["OnFailure"]["Destination"])
        assert attribute == "Arn"
        assert resources[destination]["Type"] == "AWS::SQS::Queue"
        assert destination in stack.template()["Resources"]
        # Lambda sends the failure record with the function's role.
        assert {"Fn::GetAtt": [destination, "Arn"]} in allowed(
            packaged, to_cfn_resource_name(source.name), "sqs:SendMessage"
        )
    assert app_module.TABLE_STREAM_PLACEHOLDER not in json.dumps(packaged)


def test_no_event_source_is_left_pointing_outside_the_stack(packaged: dict[str, Any]) -> None:
    for logical, function in functions_of(packaged).items():
        for name, event in function["Properties"].get("Events", {}).items():
            assert "Type" in event, f"{logical}.{name}: the merge template names an event Chalice did not generate"
            if event["Type"] in ("SQS", "DynamoDB", "Kinesis"):
                arn = event["Properties"].get("Queue") or event["Properties"].get("Stream")
                assert target(arn)[0] in packaged["Resources"], f"{logical}.{name} reads {arn!r}"


def test_consumed_queues_outlast_their_consumers_and_have_a_dead_letter_queue(packaged: dict[str, Any]) -> None:
    resources = packaged["Resources"]
    for function in functions_of(packaged).values():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            queue = resources[target(event["Properties"]["Queue"])[0]]["Properties"]
            assert queue["VisibilityTimeout"] >= 6 * function["Properties"]["Timeout"]
            dead_letter, _ = target(queue["RedrivePolicy"]["deadLetterTargetArn"])
            assert resources[dead_letter]["Type"] == "AWS::SQS::Queue"


# -- settings ----------------------------------------------------------------------


def test_every_function_gets_the_settings(packaged: dict[str, Any]) -> None:
    functions = functions_of(packaged)
    assert {"APIHandler", "RouteEvents", "SendEmails"} <= set(functions)
    for logical, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["TABLE_NAME"] == {"Ref": "AppTable"}, logical
        for name in config.QUEUE_NAMES:
            assert variables[f"{name.upper()}_QUEUE_URL"] == {"Ref": stack.queue_logical_id(name)}, logical
        assert variables["UPLOADS_BUCKET"] == {"Ref": "UploadsBucket"}, logical
        assert variables["SIGNING_KEYS_SECRET_ARN"] == {"Ref": "SigningKeysSecret"}, logical
        assert variables["EMAIL_SENDER"] == {"Ref": "EmailSender"}, logical
        assert "PUBLIC_BASE_URL" in variables, logical
        assert variables["DISQUA_STAGE"] in STAGES  # Chalice's own variables are kept
        assert variables["EMAIL_TRANSPORT"] == "ses"


def test_the_settings_are_the_ones_the_app_reads(packaged: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    variables = packaged["Resources"]["SendEmails"]["Properties"]["Environment"]["Variables"]
    for name in variables:
        monkeypatch.setenv(name, f"value-of-{name}")
    config.reset()
    try:
        settings = config.get_settings()
        assert settings.table_name == "value-of-TABLE_NAME"
        assert settings.queue_urls == {n: f"value-of-{n.upper()}_QUEUE_URL" for n in config.QUEUE_NAMES}
        assert settings.signing_keys_secret == "value-of-SIGNING_KEYS_SECRET_ARN"
        assert settings.public_base_url == "value-of-PUBLIC_BASE_URL"
        assert settings.email_sender == "value-of-EMAIL_SENDER"
    finally:
        monkeypatch.undo()
        config.reset()


def test_workers_link_to_the_api_unless_a_base_url_is_given(packaged: dict[str, Any]) -> None:
    url = packaged["Resources"]["SendEmails"]["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"]
    condition, given, fallback = url["Fn::If"]
    assert given == {"Ref": "PublicBaseUrl"}
    assert fallback == {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"}
    assert condition in packaged["Conditions"]
    # The API handler cannot name the API it is part of (a dependency cycle).
    api = packaged["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"]
    assert api == {"Ref": "PublicBaseUrl"}


# -- the stack as a whole ----------------------------------------------------------


def test_the_stack_holds_every_resource_of_infra(packaged: dict[str, Any]) -> None:
    for logical, resource in stack.template()["Resources"].items():
        assert packaged["Resources"][logical] == resource
    for name, output in stack.template().get("Outputs", {}).items():
        assert packaged["Outputs"][name] == output
    assert "EndpointURL" in packaged["Outputs"]  # and Chalice's


def _references(node: Any) -> list[tuple[str, str]]:
    """("ref"|"getatt"|"sub"|"if", name) for every intrinsic reference in ``node``."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        if "Ref" in node:
            found.append(("ref", node["Ref"]))
        if "Fn::GetAtt" in node:
            found.append(("getatt", node["Fn::GetAtt"][0]))
        if "Fn::If" in node:
            found.append(("if", node["Fn::If"][0]))
        if "Fn::Sub" in node:
            sub = node["Fn::Sub"]
            text, local = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
            names = [n.split(".")[0] for n in re.findall(r"\$\{([^!}][^}]*)\}", text)]
            found += [("sub", name) for name in names if name not in local]
        for value in node.values():
            found += _references(value)
    elif isinstance(node, list):
        for value in node:
            found += _references(value)
    return found


def test_every_resource_is_whole_and_every_reference_resolves(packaged: dict[str, Any]) -> None:
    resources = packaged["Resources"]
    for logical, resource in resources.items():
        assert "Type" in resource, f"{logical}: the merge template names a resource Chalice did not generate"
    names = set(resources) | set(packaged["Parameters"])
    for kind, name in _references(packaged):
        if kind == "if":
            assert name in packaged["Conditions"], name
        elif kind == "getatt":
            assert name in resources, name
        else:
            assert name in names or name.startswith("AWS::"), f"{kind} to unknown {name}"
    assert merge.check_packaged(packaged, app) == []


# -- permissions -------------------------------------------------------------------


def test_no_function_may_do_everything(packaged: dict[str, Any]) -> None:
    for logical in functions_of(packaged):
        for statement in statements(packaged, logical):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), (logical, actions)
            if statement["Resource"] == "*":
                assert set(actions) <= {"dynamodb:ListStreams", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_each_function_may_do_what_it_is_for_and_no_more(packaged: dict[str, Any]) -> None:
    table = {"Fn::GetAtt": ["AppTable", "Arn"]}
    email_queue = {"Fn::GetAtt": ["EmailQueue", "Arn"]}
    # The API handler: table, keys, uploads; the files queue (confirm) and the webhooks
    # queue (redelivery) only; no mail, no stream.
    assert table in allowed(packaged, "APIHandler", "dynamodb:PutItem")
    assert {"Fn::Sub": "${AppTable.Arn}/index/*"} in allowed(packaged, "APIHandler", "dynamodb:Query")
    assert {"Ref": "SigningKeysSecret"} in allowed(packaged, "APIHandler", "secretsmanager:GetSecretValue")
    assert allowed(packaged, "APIHandler", "sqs:SendMessage") == [
        {"Fn::GetAtt": ["FilesQueue", "Arn"]},
        {"Fn::GetAtt": ["WebhooksQueue", "Arn"]},
    ]
    # Workers that continue or retry through their own queue send to it and nowhere else.
    for logical, queue in (("Notify", "NotificationsQueue"), ("DeliverWebhooks", "WebhooksQueue")):
        assert allowed(packaged, logical, "sqs:SendMessage") == [{"Fn::GetAtt": [queue, "Arn"]}], logical
    assert allowed(packaged, "PushNotifications", "sqs:SendMessage") == []
    for action in ("sqs:ReceiveMessage", "ses:SendEmail", "dynamodb:GetRecords", "dynamodb:Scan"):
        assert allowed(packaged, "APIHandler", action) == [], action
    # The router: the stream in, the queues out.
    assert allowed(packaged, "RouteEvents", "dynamodb:GetRecords") == [{"Fn::GetAtt": ["AppTable", "StreamArn"]}]
    assert email_queue in allowed(packaged, "RouteEvents", "sqs:SendMessage")
    assert allowed(packaged, "RouteEvents", "dynamodb:PutItem") == []
    # The email worker: its queue, the table, SES.
    assert allowed(packaged, "SendEmails", "sqs:ReceiveMessage") == [email_queue]
    assert allowed(packaged, "SendEmails", "sqs:DeleteMessage") == [email_queue]
    assert allowed(packaged, "SendEmails", "ses:SendEmail")
    assert table in allowed(packaged, "SendEmails", "dynamodb:UpdateItem")
    # Only the email queue's consumer sends mail; workers without files touch no object.
    for logical in functions_of(packaged):
        if logical != "SendEmails":
            assert allowed(packaged, logical, "ses:SendEmail") == [], logical
    for logical in ("SendEmails", "TrackActivity", "RouteEvents"):
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"):
            assert allowed(packaged, logical, action) == [], (logical, action)
    # Every dead-letter queue has an alarm on its depth.
    resources = packaged["Resources"]
    for name in resources:
        if name.endswith("DeadLetterQueue"):
            alarm = resources[f"{name}Alarm"]["Properties"]
            assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [name, "QueueName"]}}]
            assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible" and alarm["Threshold"] == 0
    # Every function writes its own log group, and only that one.
    for logical in functions_of(packaged):
        group = packaged["Resources"][logical]["Properties"]["LoggingConfig"]["LogGroup"]
        assert allowed(packaged, logical, "logs:PutLogEvents") == [{"Fn::GetAtt": [group["Ref"], "Arn"]}]


def _objects(*prefixes: str) -> list[dict[str, str]]:
    return [{"Fn::Sub": f"${{UploadsBucket.Arn}}/{prefix}*"} for prefix in prefixes]


def test_the_uploads_bucket_is_granted_by_key_prefix(packaged: dict[str, Any]) -> None:
    bucket = [{"Fn::GetAtt": ["UploadsBucket", "Arn"]}]
    everything = ("quarantine/", "files/", "thumbnails/")
    # The API: presigned PUTs land in quarantine/ only; it reads (HeadObject, presigned
    # downloads) and deletes (a deleted file) everywhere the app writes.
    assert allowed(packaged, "APIHandler", "s3:PutObject") == _objects("quarantine/")
    assert allowed(packaged, "APIHandler", "s3:GetObject") == _objects(*everything)
    assert allowed(packaged, "APIHandler", "s3:DeleteObject") == _objects(*everything)
    # The processor: reads and removes the upload, writes the promoted copy and thumbnails.
    assert allowed(packaged, "ProcessUploads", "s3:GetObject") == _objects("quarantine/")
    assert allowed(packaged, "ProcessUploads", "s3:PutObject") == _objects("files/", "thumbnails/")
    assert allowed(packaged, "ProcessUploads", "s3:DeleteObject") == _objects("quarantine/")
    # Both see a missing key as 404 (chalicelib/store/objects.py size_of), not 403.
    for logical in ("APIHandler", "ProcessUploads"):
        assert allowed(packaged, logical, "s3:ListBucket") == bucket, logical
        for statement in statements(packaged, logical):
            assert statement["Resource"] != {"Fn::Sub": "${UploadsBucket.Arn}/*"}, "the whole bucket"
    files_queue = {"Fn::GetAtt": ["FilesQueue", "Arn"]}
    assert allowed(packaged, "ProcessUploads", "sqs:ReceiveMessage") == [files_queue]
    assert allowed(packaged, "ProcessUploads", "sqs:SendMessage") == []


def test_the_file_processor_has_its_own_memory_and_timeout(packaged: dict[str, Any]) -> None:
    sized = merge.SIZING["process_uploads"]
    function = packaged["Resources"]["ProcessUploads"]["Properties"]
    assert (function["MemorySize"], function["Timeout"]) == (sized.memory_mb, sized.timeout_s) == (1024, 120)
    visibility = packaged["Resources"]["FilesQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= merge.VISIBILITY_TIMEOUT_FACTOR * sized.timeout_s
    # Everyone else keeps .chalice/config.json's figures.
    assert packaged["Resources"]["APIHandler"]["Properties"]["MemorySize"] == 512
    assert packaged["Resources"]["SendEmails"]["Properties"]["Timeout"] == 30


def test_traced_stages_may_send_traces() -> None:
    prod = json.loads(_packaged("prod"))
    dev = json.loads(_packaged("dev"))
    for logical in functions_of(prod):
        assert prod["Resources"][logical]["Properties"]["Tracing"] == "Active"
        assert allowed(prod, logical, "xray:PutTraceSegments") == ["*"]
        assert allowed(dev, logical, "xray:PutTraceSegments") == []


# -- API Gateway's own answers -----------------------------------------------------


def _body(response: dict[str, Any]) -> dict[str, Any]:
    template = response["ResponseTemplates"]["application/json"]
    template = template.replace("$context.requestId", "req_test").replace(
        "$context.error.messageString", '"Unsupported Media Type"'
    )
    return json.loads(template)


def test_unknown_routes_answer_404_in_the_v1_envelope(packaged: dict[str, Any]) -> None:
    responses = packaged["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["StatusCode"] == "404"
    assert missing["ResponseParameters"]["Headers"]["Content-Type"] == "'application/json'"
    assert _body(missing) == not_found_body("req_test")  # what the app answers itself


def test_other_gateway_errors_answer_in_the_v1_envelope(packaged: dict[str, Any]) -> None:
    responses = packaged["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    assert _body(responses["DEFAULT_5XX"])["error"]["code"] == "E_INTERNAL"
    assert _body(responses["DEFAULT_4XX"])["error"]["message"] == "Unsupported Media Type"
    for response in responses.values():
        body = _body(response)
        assert body["ok"] is False
        assert set(body["error"]) == {"code", "message", "requestId"}
        assert body["error"]["requestId"] == "req_test"
        assert response["ResponseParameters"]["Headers"]["Content-Type"] == "'application/json'"


def test_each_stage_is_throttled_and_its_auth_routes_lower(packaged: dict[str, Any]) -> None:
    """API Gateway's throttling (README.md, "Rate limits"): the stage-wide figure on every
    method, then each auth-class route's own, lower one; the refusal is 429 E_RATE_LIMIT."""
    properties = packaged["Resources"]["RestAPI"]["Properties"]
    stage_wide, *per_route = properties["MethodSettings"]
    assert (stage_wide["ResourcePath"], stage_wide["HttpMethod"]) == ("/*", "*")
    assert 0 < stage_wide["ThrottlingRateLimit"] <= 10_000 and 0 < stage_wide["ThrottlingBurstLimit"] <= 5_000
    paths = {(s["ResourcePath"], s["HttpMethod"]) for s in per_route}
    assert ("/~1v1~1auth~1login", "POST") in paths and ("/~1v1~1auth~1register", "POST") in paths
    assert ("/~1oauth~1token", "POST") in paths
    paths_in_api = properties["DefinitionBody"]["paths"]
    for setting in per_route:
        path = setting["ResourcePath"][1:].replace("~1", "/")
        assert setting["HttpMethod"].lower() in paths_in_api[path]
        assert setting["ThrottlingRateLimit"] < stage_wide["ThrottlingRateLimit"]
    throttled = properties["GatewayResponses"]["THROTTLED"]
    assert throttled["StatusCode"] == "429" and _body(throttled)["error"]["code"] == "E_RATE_LIMIT"
    assert throttled["ResponseParameters"]["Headers"]["Retry-After"] == "'1'"


# -- what breaks the wiring fails loudly -------------------------------------------


def test_check_packaged_sees_two_intrinsics_merged_into_one() -> None:
    broken = json.loads(_packaged("dev"))
    queue = broken["Resources"]["SendEmails"]["Properties"]["Events"]["SendEmailsSqsEventSource"]["Properties"]
    queue["Queue"] = {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:email", **merge._arn("X")}
    problems = merge.check_packaged(broken, app)
    assert any("mixed intrinsic" in p for p in problems)
    assert any("SendEmailsSqsEventSource is not wired" in p for p in problems)


def test_check_packaged_sees_a_missing_setting_and_a_resource_chalice_did_not_make() -> None:
    broken = json.loads(_packaged("dev"))
    del broken["Resources"]["RouteEvents"]["Properties"]["Environment"]["Variables"]["TABLE_NAME"]
    broken["Resources"]["RouteEvent"] = {"Properties": {}}
    problems = merge.check_packaged(broken, app)
    assert "RouteEvents: no TABLE_NAME" in problems
    assert any(p.startswith("RouteEvent: no Type") for p in problems)


def _app_with(register: Any) -> Chalice:
    other = Chalice(app_name="disqua")
    register(other)
    return other


def test_a_queue_that_infra_does_not_define_is_refused() -> None:
    def register(a: Chalice) -> None:
        a.on_sqs_message(queue="nowhere")(lambda event: None)

    with pytest.raises(ValueError, match="NowhereQueue"):
        merge.build(_app_with(register), "dev")


def test_an_event_source_without_wiring_is_refused() -> None:
    def register(a: Chalice) -> None:
        a.on_s3_event(bucket="uploads")(lambda event: None)

    with pytest.raises(merge.UnsupportedEventSource):
        merge.build(_app_with(register), "dev")


def test_a_new_sqs_handler_is_wired_like_the_others() -> None:
    def register(a: Chalice) -> None:
        a.on_sqs_message(queue="email", name="audit_emails")(lambda event: None)

    template = merge.build(_app_with(register), "dev")
    function = template["Resources"]["AuditEmails"]["Properties"]
    event = function["Events"]["AuditEmailsSqsEventSource"]["Properties"]
    assert target(event["Queue"]) == ("EmailQueue", "Arn")
    assert set(merge.environment_variable_names()) <= set(function["Environment"]["Variables"])
    assert template["Resources"]["AuditEmailsRole"]["Type"] == "AWS::IAM::Role"


def test_a_queue_that_a_message_could_outlive_its_worker_in_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(merge.SIZING, "process_uploads", merge.Sizing(memory_mb=1024, timeout_s=121))
    with pytest.raises(ValueError, match=r"FilesQueue: VisibilityTimeout 720s is below 6 x .* make it at least 726"):
        merge.build(app, "dev")


def test_a_function_sized_in_both_places_is_refused(tmp_path) -> None:
    (tmp_path / ".chalice").mkdir()
    on_disk = json.loads((merge.ROOT / ".chalice" / "config.json").read_text())
    on_disk["stages"]["dev"]["lambda_functions"] = {"process_uploads": {"lambda_timeout": 60}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(on_disk))
    with pytest.raises(ValueError, match=r"process_uploads is sized .*stages\.dev\.lambda_functions\.process_uploads"):
        merge.build(app, "dev", project_dir=tmp_path)


def test_merge_limits_are_what_the_local_runtime_uses() -> None:
    cfg = merge.chalice_config(app, "dev")
    assert merge.limits("process_uploads", cfg) == merge.SIZING["process_uploads"]
    assert merge.limits("send_emails", cfg) == merge.Sizing(512, 30)


def _with_resources(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    changed = copy.deepcopy(stack.template())
    change(changed["Resources"])
    monkeypatch.setattr(stack, "template", lambda: changed)


def test_notifications_on_what_the_processor_writes_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def everything(resources: dict[str, Any]) -> None:
        queue = resources["UploadsBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"][0]
        queue["Filter"]["S3Key"]["Rules"] = [{"Name": "prefix", "Value": "f"}]

    _with_resources(monkeypatch, everything)
    with pytest.raises(ValueError, match=r"notifications for 'f'\* would fire on \['files/'\]"):
        merge.build(app, "dev")


def test_a_bucket_that_does_not_notify_the_files_queue_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_resources(monkeypatch, lambda r: r["UploadsBucket"]["Properties"].pop("NotificationConfiguration"))
    with pytest.raises(ValueError, match="QueueConfigurations entry for FilesQueue"):
        merge.build(app, "dev")


def test_building_does_not_touch_the_shared_infra_template() -> None:
    before = copy.deepcopy(stack.template())
    merge.build(app, "prod")
    assert stack.template() == before


def test_api_gateway_gets_one_variable_path_part_per_resource(packaged: dict[str, Any]) -> None:
    """API Gateway refuses a resource with two variable children ({resource} beside {proxy+});
    the local-only Disqus catch-all is dropped and {proxy+} answers every unknown Disqus path."""
    paths = list(packaged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"])
    assert merge.variable_siblings(paths) == []
    assert "/api/3.0/{proxy+}" in paths and "/api/3.0/{resource}/{verb}" not in paths
    greedy = packaged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]["/api/3.0/{proxy+}"]
    assert all(
        {"name": "proxy", "in": "path", "required": True, "type": "string"} in op["parameters"]
        for op in greedy.values()
    )
    assert merge.check_packaged(packaged, app) == []


def test_variable_siblings_are_found() -> None:
    assert merge.variable_siblings(["/a/{x}/b", "/a/{y+}", "/a/c/{z}"]) == ["/a: ['{x}', '{y+}']"]
    assert merge.variable_siblings(["/a/{x}/b", "/a/{x}/c", "/a/lit"]) == []
