"""`make deploy` (infra/deploy.py) against moto's server: no AWS account, no network but PyPI.

One test, in order (pytest-xdist spreads tests of a module over workers; one deploy is enough):
moto's known gaps are asserted by name and stood in for (tests/infra/moto_gaps.py); the stage
is deployed; the stack's resources, every function, role, event source mapping and the REST
API's routes are checked against what infra/merge.py wires for the packaged stack; a second
deploy changes nothing; `make destroy` removes what chalice made and the stack.

What moto cannot do, and so is not proven here: invoking the functions (moto runs Lambda
code in Docker), API Gateway's gateway responses (moto ignores
``x-amazon-apigateway-gateway-responses``: tests/infra/test_deploy.py checks the document
chalice sends), and the stack's QueuePolicy and CloudWatch alarms (below: asserted absent).

Time: chalice builds deployment.zip once (wheels cached in .chalice/deployments, shared with
`make package`, which `make test` runs next), then uploads it per function: three chalice runs,
about 1.5 minutes, 2 more when the wheels must be downloaded first (a clean clone, new
requirements).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import QUEUE_NAMES
from infra import deploy, merge, stack
from tests.infra import moto_gaps

pytestmark = pytest.mark.e2e

ROOT = deploy.ROOT
STAGE = "dev"
BASE_URL = "https://chat.example.com"  # given: one chalice pass (without it the first deploy runs two)
SENDER = "Disqua <no-reply@mail.example.com>"
# moto's CloudFormation creates none of these (it logs "No Moto CloudFormation support").
MOTO_CFN_SKIPS = ("AWS::SQS::QueuePolicy", "AWS::CloudWatch::Alarm")


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Any:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    yield server
    server.stop()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The repo's sources and config, with chalice's deployment record of its own (a real
    `make deploy` keeps it in the repo's .chalice/deployed) and the repo's wheel cache."""
    (tmp_path / ".chalice").mkdir()
    for name in ("app.py", "chalicelib", "requirements.txt", ".chalice/config.json"):
        (tmp_path / name).symlink_to(ROOT / name)
    cache = ROOT / ".chalice" / "deployments"
    cache.mkdir(exist_ok=True)
    (tmp_path / ".chalice" / "deployments").symlink_to(cache)
    return tmp_path


def _session() -> Any:
    import boto3

    return boto3.session.Session()


def _queue(session: Any, logical: str, values: dict[Any, str]) -> dict[str, Any]:
    url = values[(logical, None)]
    return session.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def state(session: Any, stage: str) -> dict[str, Any]:
    """Everything a deploy may change, minus timestamps (moto stamps LastModified on every
    update, as AWS does: chalice always calls UpdateFunctionCode/Configuration)."""
    lam, iam, apigw = session.client("lambda"), session.client("iam"), session.client("apigateway")
    cfn = session.client("cloudformation")
    found: dict[str, Any] = {"functions": {}, "roles": {}, "mappings": {}}
    for config in lam.list_functions()["Functions"]:
        name = config["FunctionName"]
        found["functions"][name] = {k: v for k, v in config.items() if k not in ("LastModified", "RevisionId")}
        found["mappings"][name] = [
            {k: v for k, v in m.items() if k not in ("LastModified",)}
            for m in lam.list_event_source_mappings(FunctionName=config["FunctionArn"])["EventSourceMappings"]
        ]
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        found["roles"][name] = {
            "trust": role["AssumeRolePolicyDocument"],
            "policies": {
                p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
            },
        }
    found["apis"] = {}
    for api in apigw.get_rest_apis()["items"]:
        resources = apigw.get_resources(restApiId=api["id"], limit=500)["items"]
        found["apis"][api["id"]] = {
            "name": api["name"],
            "routes": sorted((r["path"], m) for r in resources for m in r.get("resourceMethods", {})),
            "stages": sorted(s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"]),
        }
    described = cfn.describe_stacks(StackName=deploy.stack_name(stage))["Stacks"][0]
    found["stack"] = {"outputs": described.get("Outputs"), "parameters": described.get("Parameters")}
    return found


def _expected_routes(app: Any) -> set[tuple[str, str]]:
    from chalicelib.api.disqus.surface import LOCAL_ONLY_PATHS

    return {
        (path, method) for path, methods in app.routes.items() if path not in LOCAL_ONLY_PATHS for method in methods
    }


def _no_intrinsics(node: Any) -> bool:
    text = json.dumps(node)
    return "Fn::" not in text and '"Ref"' not in text


def test_make_deploy_against_moto(moto_server: Any, project: Path) -> None:
    from app import app

    # --- moto's gaps, by name: each must still exist, or its stand-in goes -------------------
    assert not moto_gaps.secrets_supported(), "moto now creates AWS::SecretsManager::Secret: drop the stand-in"
    assert not moto_gaps.swagger_imported(), "moto now imports Swagger 2.0 (chalice's API): drop the stand-in"
    assert not moto_gaps.websocket_deployments_supported(), "moto now deploys WebSocket APIs: drop the stand-in"
    moto_gaps.install_secrets()
    moto_gaps.install_swagger()
    moto_gaps.install_websocket_deployments()

    options = deploy.Options(stage=STAGE, project_dir=project, email_sender=SENDER, public_base_url=BASE_URL)
    first = deploy.deploy(options)
    assert first["stack"] == "created"
    # two: the functions learn the WebSocket API's endpoint (REALTIME_ENDPOINT) once chalice made it
    assert first["chalice_passes"] == 2

    session = _session()
    wiring = merge.build(app, STAGE, project)
    wanted = deploy.needed(wiring)
    values = deploy.stack_values(session, deploy.stack_name(STAGE), wanted)

    # --- the stack: table (with its stream), queues, bucket, secrets ------------------------
    table = session.client("dynamodb").describe_table(TableName=values[(merge.TABLE, None)])["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    declared = stack.template()["Resources"][merge.TABLE]["Properties"]["GlobalSecondaryIndexes"]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == sorted(i["IndexName"] for i in declared)
    for name in QUEUE_NAMES:
        attributes = _queue(session, stack.queue_logical_id(name), values)
        assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 5, name
    session.client("s3").head_bucket(Bucket=values[(merge.UPLOADS_BUCKET, None)])
    secrets = session.client("secretsmanager")
    keys = json.loads(secrets.get_secret_value(SecretId=values[(merge.SIGNING_KEYS_SECRET, None)])["SecretString"])
    assert keys["active"] == "k1" and len(keys["k1"]) == 64
    secrets.describe_secret(SecretId=values[(merge.VAPID_KEYS_SECRET, None)])
    # moto's CloudFormation gap: these resources of the template are not created at all.
    assert session.client("cloudwatch").describe_alarms()["MetricAlarms"] == [], "moto now creates alarms: check them"
    assert "Policy" not in _queue(session, "FilesQueue", values), "moto now creates QueuePolicy: check it"

    # --- every function, its role, its event source ----------------------------------------
    lam, iam = session.client("lambda"), session.client("iam")
    chalice_env = json.loads((ROOT / ".chalice" / "config.json").read_text())
    common_env = {**chalice_env["environment_variables"], **chalice_env["stages"][STAGE]["environment_variables"]}
    queue_urls = {name: values[(stack.queue_logical_id(name), None)] for name in QUEUE_NAMES}
    for function in merge.functions(app):
        name = deploy.chalice_function_name(STAGE, function.name)
        config = lam.get_function_configuration(FunctionName=name)
        env = config["Environment"]["Variables"]
        assert {k: env[k] for k in common_env} == common_env, name
        assert env["TABLE_NAME"] == table["TableName"], name
        assert {n: env[f"{n.upper()}_QUEUE_URL"] for n in QUEUE_NAMES} == queue_urls, name
        assert env["UPLOADS_BUCKET"] == values[(merge.UPLOADS_BUCKET, None)], name
        assert env["SIGNING_KEYS_SECRET_ARN"] == values[(merge.SIGNING_KEYS_SECRET, None)], name
        assert env["EMAIL_SENDER"] == SENDER and env["PUBLIC_BASE_URL"] == BASE_URL, name
        assert ("VAPID_KEYS_SECRET_ARN" in env) == (function.name in merge.VAPID_KEYS_READ_BY), name
        sized = merge.SIZING.get(function.name, merge.Sizing(chalice_env["lambda_memory_size"], 30))
        assert (config["MemorySize"], config["Timeout"]) == (sized.memory_mb, sized.timeout_s), name

        role_name = config["Role"].rsplit("/", 1)[1]
        assert role_name == f"disqua-{STAGE}-{function.name}", name  # one role per function
        policies = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        assert len(policies) == 1, (name, policies)
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policies[0])["PolicyDocument"]
        statements = document["Statement"]
        assert _no_intrinsics(statements), name
        logs = statements[0]
        assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
        assert logs["Resource"].endswith(f":log-group:/aws/lambda/{name}:*"), name
        granted = json.dumps(statements)
        if function.kind == "stream":
            assert table["LatestStreamArn"] in granted and "dynamodb:PutItem" not in granted, name
        else:
            assert table["TableArn"] in granted and "dynamodb:Scan" not in granted, name

        # By ARN: moto matches FunctionName against what the mapping was created with (chalice: the ARN).
        mappings = lam.list_event_source_mappings(FunctionName=config["FunctionArn"])["EventSourceMappings"]
        if function.kind in ("api", "websocket"):
            assert mappings == [], name
            continue
        (mapping,) = mappings
        assert mapping["BatchSize"] == function.event.batch_size, name
        if function.kind == "stream":
            assert mapping["EventSourceArn"] == table["LatestStreamArn"]
            assert mapping["StartingPosition"] == "TRIM_HORIZON"
            assert mapping["BisectBatchOnFunctionError"] is True
            assert mapping["MaximumRetryAttempts"] == merge.STREAM_MAXIMUM_RETRY_ATTEMPTS
            dead_letters = values[(merge.STREAM_DEAD_LETTER_QUEUE, "Arn")]
            assert f"-{merge.STREAM_DEAD_LETTER_QUEUE}-" in dead_letters
            assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": dead_letters}}
        else:
            queue = _queue(session, stack.queue_logical_id(function.event.queue), values)
            assert mapping["EventSourceArn"] == queue["QueueArn"], name
            assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name

    # --- the REST API: its routes, its stage, API Gateway may invoke the handler -------------
    snapshot = state(session, STAGE)
    (api,) = snapshot["apis"].values()
    assert api["name"] == "disqua" and api["stages"] == ["api"]
    assert set(api["routes"]) == _expected_routes(app)
    permission = json.loads(lam.get_policy(FunctionName=f"disqua-{STAGE}")["Policy"])["Statement"]
    assert any(s["Principal"] == {"Service": "apigateway.amazonaws.com"} for s in permission)

    # --- a second deploy changes nothing ----------------------------------------------------
    second = deploy.deploy(options)
    assert second == {"stack": "unchanged", "chalice_passes": 1, "mappings_changed": []}
    assert state(session, STAGE) == snapshot

    # --- make destroy -------------------------------------------------------------------------
    deploy.destroy(options)
    assert lam.list_functions()["Functions"] == []
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("disqua-")] == []
    assert session.client("apigateway").get_rest_apis()["items"] == []
    assert (
        not (project / ".chalice" / "deployed" / f"{STAGE}.json").exists()
        or deploy.deployed_record(project, STAGE) == {}
    )
    stacks = session.client("cloudformation").list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks if s["StackName"] == deploy.stack_name(STAGE)} <= {"DELETE_COMPLETE"}
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")  # never AWS
