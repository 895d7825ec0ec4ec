"""`make deploy` / `make destroy`: the app with `chalice deploy`, its resources with CloudFormation.

    python -m infra.deploy --stage dev --email-sender 'Disqua <no-reply@mail.example.com>'
    python -m infra.deploy --stage dev --destroy

The other way to deploy is the packaged stack (`make package`, docs/deploy.md). This one:

1. creates or updates the stack ``disqua-<stage>-resources`` from infra/resources.yaml (table,
   queues, bucket, secrets, alarms), plus one Output per resource reference the functions need
   (``stack_template``): resources.yaml has no Output for most queue ARNs or the table's stream;
2. resolves what infra/merge.py writes for `chalice package` (each function's environment, its
   role's policy, its event source's settings, its memory and timeout) against that stack's
   outputs (``resolve``): one wiring, two ways to deploy;
3. runs `chalice deploy --stage <stage>` (chalice's own CLI command, in this process) with those
   settings in the stage's ``lambda_functions`` (``autogen_policy`` off, one role and policy file
   per function, as merge.py's roles) and the app's event sources pointed at the stack's queues
   and stream (app.py's are a queue *name* and a placeholder stream ARN). Neither app.py nor
   .chalice/config.json is written: a factory hands chalice the settings and the app;
4. sets what chalice deploy cannot on the event source mappings (``mapping_settings``): partial
   batch responses on the queues, bisection, bounded retries and an on-failure destination on
   the stream. Without ``ReportBatchItemFailures`` a worker's partial-batch answer would be
   ignored and its failed messages deleted.

The workers' ``PUBLIC_BASE_URL`` is the API's URL unless ``--public-base-url`` is given; the
API's id is known once chalice created it, so the first deploy of a stage runs chalice twice.
Chalice records what it deployed in ``.chalice/deployed/<stage>.json`` (git-ignored) under
``--project-dir``; ``--destroy`` deletes that (`chalice delete`) and then the stack. The table and
the bucket are ``Retain``ed by CloudFormation: they outlive the stack (delete them by hand).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from infra import merge, stack

ROOT = merge.ROOT
OUTPUT_PREFIX = "Wired"  # Outputs this module adds (resources.yaml's own keep their names)
NO_UPDATES = "No updates are to be performed"


def stack_name(stage: str) -> str:
    return f"disqua-{stage}-resources"


# --- which stack values the functions need ----------------------------------------------


def references(node: Any) -> set[tuple[str, str | None]]:
    """(logical id, attribute or None for Ref) that ``node`` refers to, through Ref, Fn::GetAtt
    and Fn::Sub's ``${X}`` / ``${X.Attr}`` (pseudo parameters ``AWS::...`` excluded)."""
    found: set[tuple[str, str | None]] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str) and not value.startswith("AWS::"):
                found.add((value, None))
            elif key == "Fn::GetAtt":
                found.add((value[0], value[1]))
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                local = set(value[1]) if isinstance(value, list) else set()
                for name in re.findall(r"\$\{([^}!]+)\}", text):
                    logical, _, attribute = name.partition(".")
                    if logical not in local and not logical.startswith("AWS::"):
                        found.add((logical, attribute or None))
                if isinstance(value, list):
                    found |= references(value[1])
            else:
                found |= references(value)
    return found


def output_key(logical: str, attribute: str | None) -> str:
    return f"{OUTPUT_PREFIX}{logical}{attribute or 'Ref'}".replace(".", "")


def needed(wiring: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The references into infra/resources.yaml that the resources merge.py adds (functions,
    roles, policies) make in ``wiring``, the merge template."""
    own = stack.template()["Resources"]
    added = {k: v for k, v in wiring["Resources"].items() if k not in own}
    # a parameter, or a resource chalice deploy makes (a role, a log group), is not the stack's
    return sorted(((ref, att) for ref, att in references(added) if ref in own), key=str)


def stack_template(wanted: list[tuple[str, str | None]]) -> dict[str, Any]:
    """infra/resources.yaml with an Output for each of the ``wanted`` references: the values
    step 2 resolves."""
    template = copy.deepcopy(stack.template())
    own = template["Resources"]
    outputs = template.setdefault("Outputs", {})
    for logical, attribute in wanted:
        value = {"Ref": logical} if attribute is None else {"Fn::GetAtt": [logical, attribute]}
        output: dict[str, Any] = {"Value": value}
        if "Condition" in own[logical]:
            output["Condition"] = own[logical]["Condition"]
        outputs[output_key(logical, attribute)] = output
    return template


# --- resolving the merge template's intrinsic functions ---------------------------------


class Unresolved(Exception):
    """A reference the stack (or chalice) does not provide."""


@dataclass
class Context:
    """What CloudFormation would substitute: the stack's outputs, parameters, conditions."""

    values: dict[tuple[str, str | None], Any]  # (logical, attribute or None) -> value
    parameters: dict[str, Any]
    conditions: dict[str, Any]  # name -> its (unevaluated) definition
    pseudo: dict[str, str]  # AWS::Region, AWS::AccountId, ...
    evaluated: dict[str, bool] = field(default_factory=dict)

    def value(self, logical: str, attribute: str | None) -> Any:
        if logical.startswith("AWS::"):
            return self.pseudo[logical]
        if attribute is None and logical in self.parameters:
            return self.parameters[logical]
        try:
            return self.values[(logical, attribute)]
        except KeyError:
            shown = logical if attribute is None else f"{logical}.{attribute}"
            raise Unresolved(f"{shown} is not in stack {self.pseudo.get('AWS::StackName')}'s outputs") from None

    def condition(self, name: str) -> bool:
        if name not in self.evaluated:
            self.evaluated[name] = bool(resolve(self.conditions[name], self))
        return self.evaluated[name]


NO_VALUE = object()


def resolve(node: Any, ctx: Context) -> Any:
    """``node`` with Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or,
    Fn::Join, Fn::Select, Fn::Split and Condition replaced by their values."""
    if isinstance(node, list):
        return [v for v in (resolve(item, ctx) for item in node) if v is not NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((key, arg),) = node.items()
        if key == "Ref":
            return NO_VALUE if arg == "AWS::NoValue" else ctx.value(arg, None)
        if key == "Fn::GetAtt":
            return ctx.value(arg[0], arg[1])
        if key == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], resolve(arg[1], ctx))

            def substitute(match: re.Match[str]) -> str:
                name = match[1]
                if name in local:
                    return str(local[name])
                logical, _, attribute = name.partition(".")
                return str(ctx.value(logical, attribute or None))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if key == "Fn::If":
            chosen = arg[1] if ctx.condition(arg[0]) else arg[2]
            return resolve(chosen, ctx)
        if key == "Condition":
            return ctx.condition(arg)
        if key == "Fn::Equals":
            left, right = resolve(arg, ctx)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not resolve(arg[0], ctx)
        if key == "Fn::And":
            return all(resolve(arg, ctx))
        if key == "Fn::Or":
            return any(resolve(arg, ctx))
        if key == "Fn::Join":
            return str(arg[0]).join(str(v) for v in resolve(arg[1], ctx))
        if key == "Fn::Select":
            index, items = resolve(arg, ctx)
            return items[int(index)]
        if key == "Fn::Split":
            separator, text = resolve(arg, ctx)
            return str(text).split(separator)
        if key.startswith("Fn::"):
            raise Unresolved(f"{key} is not supported here")
    return {k: v for k, v in ((k, resolve(v, ctx)) for k, v in node.items()) if v is not NO_VALUE}


# --- the stage's settings for chalice deploy --------------------------------------------


@dataclass(frozen=True)
class Wired:
    """One function's settings, resolved."""

    function: merge.Function
    environment: dict[str, str]
    policy: dict[str, Any]
    sizing: merge.Sizing | None  # set when merge.SIZING sizes it (else .chalice/config.json's)
    source_arn: str | None  # the queue or stream its event source reads
    mapping: dict[str, Any]  # event source mapping settings chalice deploy does not set


# What chalice deploy's event source mappings lack, in the API's names (merge.py writes SAM's).
MAPPING_KEYS = ("FunctionResponseTypes", "BisectBatchOnFunctionError", "MaximumRetryAttempts", "DestinationConfig")


def wire(app: Any, stage: str, ctx: Context, wiring: dict[str, Any], project_dir: Path = ROOT) -> list[Wired]:
    """Every function's settings from the merge template ``wiring``, resolved with ``ctx``."""
    config = merge.chalice_config(app, stage, project_dir)
    resources = wiring["Resources"]
    search = resources.get(merge.SEARCH_ACCESS_POLICY)
    searching = search is not None and ctx.condition(search["Condition"])
    wired = []
    for function in merge.functions(app):
        properties = resources[function.logical_id]["Properties"]
        role = resources[merge.role_of(function, config)]["Properties"]["Policies"][0]["PolicyDocument"]
        policy = resolve(role, ctx)
        if searching and function.name in merge.SEARCHES:
            policy["Statement"] += resolve(search["Properties"]["PolicyDocument"]["Statement"], ctx)
        event = properties.get("Events", {}).get(function.event_id or "", {}).get("Properties", {})
        source = event.get("Queue") or event.get("Stream")
        wired.append(
            Wired(
                function=function,
                environment={k: str(v) for k, v in resolve(properties["Environment"]["Variables"], ctx).items()},
                policy=policy,
                sizing=merge.SIZING.get(function.name),
                source_arn=None if source is None else str(resolve(source, ctx)),
                mapping={k: resolve(event[k], ctx) for k in MAPPING_KEYS if k in event},
            )
        )
    return wired


def chalice_function_name(stage: str, name: str, app_name: str = "disqua") -> str:
    """What chalice deploy names a function (chalice.deploy.appgraph): the API handler is
    ``<app>-<stage>``, every other ``<app>-<stage>-<handler>``."""
    return f"{app_name}-{stage}" if name == "api_handler" else f"{app_name}-{stage}-{name}"


def log_group_values(app: Any, stage: str, pseudo: dict[str, str]) -> dict[tuple[str, str | None], str]:
    """The log groups merge.py adds to the packaged stack are Lambda's default ones here:
    ``/aws/lambda/<function name>``, which chalice creates with ``log_retention_in_days`` (but for
    the API handler under ``<app>-<stage>-api_handler``, not its function's name: a chalice bug,
    so the API handler's group is created by Lambda on first use, without a retention)."""
    found: dict[tuple[str, str | None], str] = {}
    for function in merge.functions(app):
        name = f"/aws/lambda/{chalice_function_name(stage, function.name, app.app_name)}"
        arn = (
            f"arn:{pseudo['AWS::Partition']}:logs:{pseudo['AWS::Region']}:{pseudo['AWS::AccountId']}:log-group:{name}:*"
        )
        found[(function.log_group, "Arn")] = arn
        found[(function.log_group, None)] = name
    return found


def stage_config(
    config_from_disk: dict[str, Any], stage: str, wired: list[Wired], policy_dir: Path, log_retention_days: int
) -> dict[str, Any]:
    """.chalice/config.json as chalice deploy gets it: the stage with one role per function (its
    policy file in ``policy_dir``), each function's environment, sizing and log retention."""
    config = copy.deepcopy(config_from_disk)
    staged = config["stages"][stage]
    staged["autogen_policy"] = False
    functions = staged.setdefault("lambda_functions", {})
    policy_dir.mkdir(parents=True, exist_ok=True)
    for item in wired:
        name = item.function.name
        policy_file = policy_dir / f"{name}.json"
        text = json.dumps(item.policy, indent=2, sort_keys=True) + "\n"
        if not policy_file.exists() or policy_file.read_text() != text:
            policy_file.write_text(text)
        settings = functions.setdefault(name, {})
        # chalice joins the name to <project>/.chalice/: an absolute path stays as it is.
        settings["iam_policy_file"] = str(policy_file.resolve())
        settings["environment_variables"] = {**settings.get("environment_variables", {}), **item.environment}
        settings["log_retention_in_days"] = log_retention_days
        if item.sizing is not None:
            settings["lambda_memory_size"] = item.sizing.memory_mb
            settings["lambda_timeout"] = item.sizing.timeout_s
    return config


@contextlib.contextmanager
def pointed_at_stack(app: Any, wired: list[Wired]) -> Iterator[Any]:
    """The app with each event source reading the stack's queue or stream (restored after)."""
    from chalice import app as chalice_app

    by_name = {w.function.name: w for w in wired}
    saved = []
    for source in app.event_sources:
        item = by_name.get(source.name)
        if item is None or item.source_arn is None:
            continue
        if isinstance(source, chalice_app.SQSEventConfig):
            saved.append((source, "queue_arn", source.queue_arn))
            saved.append((source, "queue", source.queue))
            source.queue_arn, source.queue = item.source_arn, None
        elif isinstance(source, chalice_app.DynamoDBEventConfig):
            saved.append((source, "stream_arn", source.stream_arn))
            source.stream_arn = item.source_arn
    try:
        yield app
    finally:
        for source, attribute, value in saved:
            setattr(source, attribute, value)


def api_definition(swagger: dict[str, Any]) -> dict[str, Any]:
    """The API chalice deploys, as the packaged stack has it (infra/merge.py): without the
    routes only the local runtime serves, and with API Gateway's own errors in the v1 envelope
    (``x-amazon-apigateway-gateway-responses``: put_rest_api keeps them across deploys)."""
    merge.for_api_gateway({"Resources": {merge.REST_API: {"Properties": {"DefinitionBody": swagger}}}})
    responses = {}
    for kind, sam in merge.gateway_responses().items():
        response: dict[str, Any] = {
            "responseParameters": {
                f"gatewayresponse.header.{name}": value for name, value in sam["ResponseParameters"]["Headers"].items()
            },
            "responseTemplates": sam["ResponseTemplates"],
        }
        if "StatusCode" in sam:
            response["statusCode"] = sam["StatusCode"]
        responses[kind] = response
    swagger["x-amazon-apigateway-gateway-responses"] = responses
    return swagger


def run_chalice(command: list[str], project_dir: Path, config: dict[str, Any], app: Any) -> None:
    """``chalice --project-dir <dir> <command>``: chalice's CLI, in this process, with a factory
    that hands it ``config`` (instead of reading .chalice/config.json) and ``app`` (instead of
    importing app.py)."""
    import chalice.cli
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.swagger import SwaggerGenerator

    generate = SwaggerGenerator.generate_swagger

    def generate_swagger(self: Any, app: Any, rest_api: Any = None) -> dict[str, Any]:
        return api_definition(generate(self, app, rest_api))

    class StageFactory(CLIFactory):
        def load_project_config(self) -> dict[str, Any]:
            return config

        def load_chalice_app(self, environment_variables: Any = None, validate_feature_flags: Any = True) -> Any:
            return app  # not os.environ.update(<the functions' settings>), as CLIFactory does

    cwd, cli_mode = os.getcwd(), os.environ.get("AWS_CHALICE_CLI_MODE")
    try:
        with (
            mock.patch.object(chalice.cli, "CLIFactory", StageFactory),
            mock.patch.object(SwaggerGenerator, "generate_swagger", generate_swagger),
        ):
            chalice.cli.cli.main(["--project-dir", str(project_dir), *command], obj={}, standalone_mode=False)
    finally:
        os.chdir(cwd)
        if cli_mode is None:
            os.environ.pop("AWS_CHALICE_CLI_MODE", None)


def deployed_record(project_dir: Path, stage: str) -> dict[str, Any]:
    """What chalice recorded for the stage, by resource name ({} before the first deploy)."""
    path = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    if not path.exists():
        return {}
    return {r["name"]: r for r in json.loads(path.read_text()).get("resources", [])}


# --- AWS ---------------------------------------------------------------------------------


def pseudo_parameters(session: Any, name: str) -> dict[str, str]:
    region = session.region_name
    partition = session.get_partition_for_region(region)
    account = session.client("sts").get_caller_identity()["Account"]
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return {
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": partition,
        "AWS::URLSuffix": suffix,
        "AWS::StackName": name,
    }


def deploy_stack(session: Any, name: str, template: dict[str, Any], parameters: dict[str, str]) -> str:
    """Create or update the resources stack; returns "created", "updated" or "unchanged"."""
    cfn = session.client("cloudformation")
    body = json.dumps(template, separators=(",", ":"))
    args = {
        "StackName": name,
        "TemplateBody": body,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())],
    }
    try:
        cfn.describe_stacks(StackName=name)
    except cfn.exceptions.ClientError as error:
        if "does not exist" not in str(error):
            raise
        cfn.create_stack(**args)
        cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 5, "MaxAttempts": 360})
        return "created"
    deployed = cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    deployed = json.loads(deployed) if isinstance(deployed, str) else deployed
    given = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in cfn.describe_stacks(StackName=name)["Stacks"][0].get("Parameters", [])
    }
    if deployed == template and all(given.get(k) == v for k, v in parameters.items()):
        return "unchanged"  # CloudFormation would answer NO_UPDATES; moto would update all the same
    try:
        cfn.update_stack(**args)
    except cfn.exceptions.ClientError as error:
        if NO_UPDATES in str(error):
            return "unchanged"
        raise
    cfn.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig={"Delay": 5, "MaxAttempts": 360})
    return "updated"


def stack_values(session: Any, name: str, wanted: list[tuple[str, str | None]]) -> dict[tuple[str, str | None], str]:
    """The stack's outputs for the ``wanted`` references (a conditional resource's may be absent)."""
    described = session.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    by_key = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    return {ref: by_key[output_key(*ref)] for ref in wanted if output_key(*ref) in by_key}


def mapping_settings(session: Any, stage: str, project_dir: Path, wired: list[Wired]) -> list[str]:
    """Give each event source mapping what merge.py gives it in the packaged stack; returns
    the mappings it changed (none when they already had it)."""
    record = deployed_record(project_dir, stage)
    client = session.client("lambda")
    changed = []
    for item in wired:
        if not item.mapping:
            continue
        kind = "sqs" if item.function.kind == "sqs" else "dynamodb"
        deployed = record.get(f"{item.function.name}-{kind}-event-source")
        if deployed is None:
            raise SystemExit(f"chalice recorded no event source mapping for {item.function.name}")
        uuid = deployed["event_uuid"]
        current = client.get_event_source_mapping(UUID=uuid)
        if all(current.get(k) == v for k, v in item.mapping.items()):
            continue
        client.update_event_source_mapping(UUID=uuid, **item.mapping)
        changed.append(f"{item.function.name} ({', '.join(sorted(item.mapping))})")
    return changed


@dataclass
class Options:
    stage: str = "dev"
    project_dir: Path = ROOT
    email_sender: str = ""
    public_base_url: str = ""
    log_retention_days: int = 30
    stack_parameters: dict[str, str] = field(default_factory=dict)  # resources.yaml's (AllowedOrigins, ...)


def deploy(options: Options, session: Any = None) -> dict[str, Any]:
    """Steps 1-4 of the module's docstring; returns what changed."""
    import boto3

    from app import app

    session = session or boto3.session.Session()
    name = stack_name(options.stage)
    wiring = merge.build(app, options.stage, options.project_dir)
    wanted = needed(wiring)
    stack_change = deploy_stack(session, name, stack_template(wanted), options.stack_parameters)
    pseudo = pseudo_parameters(session, name)
    declared = {**stack.template().get("Parameters", {}), **wiring["Parameters"]}
    parameters = {k: str(p["Default"]) for k, p in declared.items() if "Default" in p}
    parameters |= options.stack_parameters
    parameters[merge.EMAIL_SENDER_PARAM] = options.email_sender
    parameters[merge.PUBLIC_BASE_URL_PARAM] = options.public_base_url
    parameters[merge.LOG_RETENTION_PARAM] = str(options.log_retention_days)
    values = stack_values(session, name, wanted) | log_group_values(app, options.stage, pseudo)
    config_from_disk = json.loads((options.project_dir / ".chalice" / "config.json").read_text())
    policy_dir = options.project_dir / "out" / "deploy" / options.stage / "policies"
    passes, deployed_with = 0, None
    while True:
        record = deployed_record(options.project_dir, options.stage)
        api = record.get("rest_api", {}).get("rest_api_id")
        if api:
            values[(merge.REST_API, None)] = api
        websocket_api = record.get("websocket_api", {}).get("websocket_api_id")
        if websocket_api:
            values[(merge.WEBSOCKET_API, None)] = websocket_api
        ctx = Context(values, parameters, wiring["Conditions"], pseudo)
        trimmed = _without_websocket_api(_without_api_url(wiring, api), websocket_api)
        wired = wire(app, options.stage, ctx, trimmed, options.project_dir)
        config = stage_config(config_from_disk, options.stage, wired, policy_dir, options.log_retention_days)
        if config == deployed_with:
            break  # the API's id changed nothing (PUBLIC_BASE_URL given), or it is in already
        if passes:
            print(f"chalice deploy: the API is {api}; deploying again so the workers get its URL", flush=True)
        with pointed_at_stack(app, wired) as pointed:
            run_chalice(["deploy", "--stage", options.stage], options.project_dir, config, pointed)
        passes, deployed_with = passes + 1, config
    changed = mapping_settings(session, options.stage, options.project_dir, wired)
    print(f"stack {name}: {stack_change}; chalice deploy: {passes} pass(es); mappings set: {changed or 'none'}")
    return {"stack": stack_change, "chalice_passes": passes, "mappings_changed": changed}


def _without_api_url(wiring: dict[str, Any], api: str | None) -> dict[str, Any]:
    """Before the API exists the workers' PUBLIC_BASE_URL is the parameter alone (maybe empty)."""
    if api:
        return wiring
    trimmed = copy.deepcopy(wiring)
    for resource in trimmed["Resources"].values():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if "PUBLIC_BASE_URL" in variables:
            variables["PUBLIC_BASE_URL"] = {"Ref": merge.PUBLIC_BASE_URL_PARAM}
    return trimmed


def _without_websocket_api(wiring: dict[str, Any], websocket_api: str | None) -> dict[str, Any]:
    """Before the WebSocket API exists (chalice makes it in the first pass) no function knows
    REALTIME_ENDPOINT and none may manage its connections yet: the second pass adds both."""
    if websocket_api:
        return wiring
    trimmed = copy.deepcopy(wiring)
    for resource in trimmed["Resources"].values():
        properties = resource.get("Properties", {})
        variables = properties.get("Environment", {}).get("Variables", {})
        if "REALTIME_ENDPOINT" in variables:
            variables["REALTIME_ENDPOINT"] = ""
        for policy in properties.get("Policies", []):
            document = policy.get("PolicyDocument", {})
            document["Statement"] = [
                s for s in document.get("Statement", []) if s.get("Action") != "execute-api:ManageConnections"
            ]
    return trimmed


def destroy(options: Options, session: Any = None) -> None:
    """`chalice delete` for the stage, then the resources stack (the table and the bucket are
    retained by their DeletionPolicy)."""
    import boto3

    from app import app

    session = session or boto3.session.Session()
    if deployed_record(options.project_dir, options.stage):
        config = json.loads((options.project_dir / ".chalice" / "config.json").read_text())
        run_chalice(["delete", "--stage", options.stage], options.project_dir, config, app)
    cfn = session.client("cloudformation")
    name = stack_name(options.stage)
    cfn.delete_stack(StackName=name)
    cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 5, "MaxAttempts": 360})
    print(f"deleted the functions, roles and API of {options.stage}, and stack {name} (table and bucket retained)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="chalice deploy with infra/resources.yaml as a stack")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="where chalice keeps .chalice/deployed")
    parser.add_argument("--email-sender", default=os.environ.get("EMAIL_SENDER", ""), help="a verified SES identity")
    parser.add_argument("--public-base-url", default="", help="links in mail (default: the API's URL)")
    parser.add_argument("--log-retention-days", type=int, default=30, choices=merge.LOG_RETENTION_DAYS)
    parser.add_argument(
        "--parameter", action="append", default=[], metavar="KEY=VALUE", help="a parameter of resources.yaml"
    )
    parser.add_argument("--destroy", action="store_true", help="delete the stage (make destroy)")
    args = parser.parse_args(argv)
    options = Options(
        stage=args.stage,
        project_dir=args.project_dir.resolve(),
        email_sender=args.email_sender,
        public_base_url=args.public_base_url,
        log_retention_days=args.log_retention_days,
        stack_parameters=dict(p.split("=", 1) for p in args.parameter),
    )
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.destroy:
        destroy(options)
        return 0
    if not re.fullmatch(".+@.+", options.email_sender):
        parser.error("--email-sender (or EMAIL_SENDER) is required: the From address of outgoing mail")
    deploy(options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
