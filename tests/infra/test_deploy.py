"""infra/deploy.py offline: what it asks the stack for, how it resolves merge.py's wiring, the
settings and API definition chalice deploy gets. The deploy itself: test_deploy_e2e.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chalice import app as chalice_app
from chalice.deploy.swagger import SwaggerGenerator

from app import app
from chalicelib.api.disqus.surface import LOCAL_ONLY_PATHS
from chalicelib.config import QUEUE_NAMES
from infra import deploy, merge, stack

PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "disqua-dev-resources",
}


def fake_context(wiring: dict[str, Any], api: str | None = "abc123") -> deploy.Context:
    """Every reference the stack must answer, with a recognisable fake value."""
    values: dict[Any, Any] = {ref: f"<{ref[0]}.{ref[1] or 'Ref'}>" for ref in deploy.needed(wiring)}
    values |= deploy.log_group_values(app, "dev", PSEUDO)
    if api:
        values[(merge.REST_API, None)] = api
        values[(merge.WEBSOCKET_API, None)] = f"ws{api}"
    parameters = {"EmailSender": "a@example.com", "PublicBaseUrl": "", "SearchEngine": "none", "LogRetentionInDays": 30}
    return deploy.Context(values, parameters, wiring["Conditions"], PSEUDO)


def test_references_reads_ref_getatt_and_sub() -> None:
    node = {
        "a": {"Ref": "AppTable"},
        "b": [{"Fn::GetAtt": ["EmailQueue", "Arn"]}, {"Ref": "AWS::Region"}],
        "c": {"Fn::Sub": "${UploadsBucket.Arn}/files/* in ${AWS::Partition} ${Local}"},
        "d": {"Fn::Sub": ["${Local}-${SigningKeysSecret}", {"Local": {"Ref": "EmailSender"}}]},
    }
    assert deploy.references(node) == {
        ("AppTable", None),
        ("EmailQueue", "Arn"),
        ("UploadsBucket", "Arn"),
        ("Local", None),  # a plain ${Name}: a parameter or resource, filtered by needed()
        ("SigningKeysSecret", None),
        ("EmailSender", None),
    }


def test_the_stack_outputs_what_the_functions_need() -> None:
    wiring = merge.build(app, "dev")
    wanted = deploy.needed(wiring)
    template = deploy.stack_template(wanted)
    outputs = template["Outputs"]
    own = stack.template()["Resources"]
    assert all(logical in own for logical, _ in wanted)  # no role, log group or parameter
    for name in QUEUE_NAMES:
        logical = stack.queue_logical_id(name)
        assert outputs[deploy.output_key(logical, None)] == {"Value": {"Ref": logical}}
        assert outputs[deploy.output_key(logical, "Arn")] == {"Value": {"Fn::GetAtt": [logical, "Arn"]}}
    assert outputs[deploy.output_key(merge.TABLE, "StreamArn")] == {"Value": {"Fn::GetAtt": [merge.TABLE, "StreamArn"]}}
    assert (merge.STREAM_DEAD_LETTER_QUEUE, "Arn") in wanted
    assert (merge.SIGNING_KEYS_SECRET, None) in wanted and (merge.VAPID_KEYS_SECRET, None) in wanted
    # resources.yaml's own outputs stay, and the conditional domain's output keeps its condition
    assert set(stack.template()["Outputs"]) <= set(outputs)
    searched = [k for k in outputs if k.startswith(deploy.output_key(merge.SEARCH_DOMAIN, None)[:-3])]
    assert searched and all(outputs[k]["Condition"] == merge.SEARCH_CONDITION for k in searched)
    assert len(json.dumps(template, separators=(",", ":"))) < 51_200  # CreateStack's TemplateBody limit


def test_resolve_substitutes_and_chooses() -> None:
    ctx = deploy.Context(
        {("T", "Arn"): "arn:t", ("Q", None): "https://q"},
        {"P": "", "E": "x"},
        {"HasP": {"Fn::Not": [{"Fn::Equals": [{"Ref": "P"}, ""]}]}},
        PSEUDO,
    )
    assert deploy.resolve({"Fn::Sub": "${T.Arn}/index/*"}, ctx) == "arn:t/index/*"
    assert deploy.resolve({"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:x"}, ctx) == "arn:aws:ses:us-east-1:x"
    assert deploy.resolve({"Fn::If": ["HasP", {"Ref": "P"}, {"Ref": "Q"}]}, ctx) == "https://q"
    assert deploy.resolve([{"Ref": "E"}, {"Ref": "AWS::NoValue"}], ctx) == ["x"]
    with pytest.raises(deploy.Unresolved, match=r"Missing\.Arn"):
        deploy.resolve({"Fn::GetAtt": ["Missing", "Arn"]}, ctx)


def test_every_function_is_wired_without_intrinsics() -> None:
    wiring = merge.build(app, "dev")
    wired = deploy.wire(app, "dev", fake_context(wiring), wiring)
    assert {w.function.name for w in wired} == {f.name for f in merge.functions(app)}
    for item in wired:
        text = json.dumps([item.environment, item.policy, item.mapping])
        assert "Fn::" not in text and '"Ref"' not in text, item.function.name
        assert item.environment["TABLE_NAME"] == "<AppTable.Ref>"
        assert ("SEARCH_URL" in item.environment) == (item.function.name in merge.KNOWS_SEARCH_URL)
        name = deploy.chalice_function_name("dev", item.function.name)
        assert item.policy["Statement"][0]["Resource"].endswith(f":log-group:/aws/lambda/{name}:*")
        if item.function.kind == "sqs":
            queue = stack.queue_logical_id(item.function.event.queue)
            assert item.source_arn == f"<{queue}.Arn>"
            assert item.mapping == {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
        elif item.function.kind == "stream":
            assert item.source_arn == "<AppTable.StreamArn>"
            assert item.mapping["DestinationConfig"] == {
                "OnFailure": {"Destination": "<EventRouterDeadLetterQueue.Arn>"}
            }
    assert {w.environment["REALTIME_ENDPOINT"] for w in wired} == {
        "https://wsabc123.execute-api.us-east-1.amazonaws.com/api"
    }
    workers = [w for w in wired if w.function.kind != "api"]
    assert {w.environment["PUBLIC_BASE_URL"] for w in workers} == {
        "https://abc123.execute-api.us-east-1.amazonaws.com/api"
    }


def test_before_the_api_exists_workers_get_the_parameter() -> None:
    wiring = merge.build(app, "dev")
    trimmed = deploy._without_websocket_api(deploy._without_api_url(wiring, None), None)
    wired = deploy.wire(app, "dev", fake_context(trimmed, api=None), trimmed)
    assert {w.environment["PUBLIC_BASE_URL"] for w in wired} == {""}
    assert {w.environment["REALTIME_ENDPOINT"] for w in wired} == {""}
    assert "execute-api:ManageConnections" not in json.dumps([w.policy for w in wired])


def test_stage_config_gives_each_function_its_role_and_settings(tmp_path: Path) -> None:
    wiring = merge.build(app, "dev")
    wired = deploy.wire(app, "dev", fake_context(wiring), wiring)
    on_disk = json.loads((deploy.ROOT / ".chalice" / "config.json").read_text())
    config = deploy.stage_config(on_disk, "dev", wired, tmp_path, 14)
    staged = config["stages"]["dev"]
    assert staged["autogen_policy"] is False
    assert on_disk["stages"]["dev"].get("autogen_policy") is None  # the file's dict is untouched
    for item in wired:
        settings = staged["lambda_functions"][item.function.name]
        assert json.loads(Path(settings["iam_policy_file"]).read_text()) == item.policy
        assert Path(settings["iam_policy_file"]).is_absolute()
        assert settings["log_retention_in_days"] == 14
        assert settings["environment_variables"] == item.environment
    sized = staged["lambda_functions"]["process_uploads"]
    assert (sized["lambda_memory_size"], sized["lambda_timeout"]) == (1024, 120)


def test_event_sources_point_at_the_stack_and_are_restored() -> None:
    wiring = merge.build(app, "dev")
    wired = deploy.wire(app, "dev", fake_context(wiring), wiring)
    before = [(s.name, getattr(s, "queue", None), getattr(s, "stream_arn", None)) for s in app.event_sources]
    with deploy.pointed_at_stack(app, wired) as pointed:
        for source in pointed.event_sources:
            if isinstance(source, chalice_app.SQSEventConfig):
                assert source.queue is None and source.queue_arn.endswith(".Arn>")
            elif isinstance(source, chalice_app.DynamoDBEventConfig):
                assert source.stream_arn == "<AppTable.StreamArn>"
    assert [(s.name, getattr(s, "queue", None), getattr(s, "stream_arn", None)) for s in app.event_sources] == before


def test_the_api_definition_is_the_packaged_stacks() -> None:
    swagger = deploy.api_definition(SwaggerGenerator("us-east-1", {"api_handler_arn": "arn:fn"}).generate_swagger(app))
    assert not set(LOCAL_ONLY_PATHS) & set(swagger["paths"])
    responses = swagger["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == set(merge.GATEWAY_RESPONSES)
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == "404"
    assert missing["responseParameters"]["gatewayresponse.header.Content-Type"] == "'application/json'"
    assert '"E_NOT_FOUND"' in missing["responseTemplates"]["application/json"]
    assert "statusCode" not in responses["DEFAULT_4XX"]  # keeps API Gateway's status


def test_the_api_handler_is_named_as_chalice_names_it() -> None:
    assert deploy.chalice_function_name("dev", "api_handler") == "disqua-dev"
    assert deploy.chalice_function_name("prod", "send_emails") == "disqua-prod-send_emails"
