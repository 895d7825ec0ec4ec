"""What moto's server cannot do for `make deploy`, and the smallest stand-ins, in this process
(ThreadedMotoServer serves from the test's own process, so patching moto here patches the server).

The deploy test (test_deploy_e2e.py) first proves each gap still exists, by name, then installs
its stand-in; when moto closes a gap that assertion fails first: delete the stand-in then.

1. ``secrets``: moto's CloudFormation has no AWS::SecretsManager::Secret (moto 5.2 logs "No Moto
   CloudFormation support", the stack still reports CREATE_COMPLETE, without the secret and
   its output). Stand-in: a CloudFormation model that creates the secret with moto's Secrets
   Manager (``GenerateSecretString`` as CloudFormation does it: the template's JSON plus one
   generated key).
2. ``swagger``: moto's API Gateway imports OpenAPI 3 only: ``import_rest_api`` reads
   ``info.description`` unguarded (a KeyError: HTTP 500 for a document without one, as
   chalice's) and ``put_rest_api`` refuses ``"swagger": "2.0"``, which is what chalice
   deploys. Stand-in: the document handed to moto as OpenAPI 3 (moto reads only the paths,
   their methods, responses and ``x-amazon-apigateway-integration``, the same in both).
3. ``websocket deployments``: moto's API Gateway v2 has no deployments (CreateDeployment is a
   404 from its server), which chalice calls to deploy the WebSocket API. Stand-in: chalice's
   ``deploy_websocket_api`` answers a made-up deployment id (moto's CreateStage takes any).
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

TYPE = "AWS::SecretsManager::Secret"
_INSTALLED: list[type[CloudFormationModel]] = []


def _define() -> type[CloudFormationModel]:
    """Defining the class registers it (CloudFormationModel.__subclasses__): only on install()."""

    class CfnSecret(CloudFormationModel):
        def __init__(self, arn: str, name: str) -> None:
            self.arn = arn
            self.name = name

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @staticmethod
        def cloudformation_type() -> str:
            return TYPE

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr in ("Id",)

        @property
        def physical_resource_id(self) -> str:
            return self.arn  # !Ref of a secret is its ARN

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[override]
            cls,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> CfnSecret:
            from moto.secretsmanager.models import secretsmanager_backends

            backend = secretsmanager_backends[account_id][region_name]
            properties = cloudformation_json.get("Properties", {})
            secret = properties.get("SecretString")
            generate = properties.get("GenerateSecretString")
            if generate is not None:
                document = json.loads(generate.get("SecretStringTemplate", "{}"))
                document[generate["GenerateStringKey"]] = json.loads(
                    backend.get_random_password(
                        password_length=int(generate.get("PasswordLength", 32)),
                        exclude_characters=generate.get("ExcludeCharacters", ""),
                        exclude_numbers=False,
                        exclude_punctuation=bool(generate.get("ExcludePunctuation", False)),
                        exclude_uppercase=False,
                        exclude_lowercase=False,
                        include_space=False,
                        require_each_included_type=True,
                    )
                )["RandomPassword"]
                secret = json.dumps(document)
            name = properties.get("Name") or resource_name
            created = backend.create_secret(
                name=name,
                secret_string=secret,
                secret_binary=None,
                description=properties.get("Description"),
                tags=properties.get("Tags"),
                kms_key_id=None,
                client_request_token=None,
                replica_regions=[],
                force_overwrite=False,
            )
            return cls(json.loads(created)["ARN"], name)

        @classmethod
        def update_from_cloudformation_json(  # type: ignore[override]
            cls,
            original_resource: CfnSecret,
            new_resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> CfnSecret:
            return original_resource  # the stack never changes a secret's properties in the test

        @classmethod
        def delete_from_cloudformation_json(  # type: ignore[override]
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
        ) -> None:
            from moto.secretsmanager.models import secretsmanager_backends

            secretsmanager_backends[account_id][region_name].delete_secret(
                secret_id=resource_name, recovery_window_in_days=None, force_delete_without_recovery=True
            )

    return CfnSecret


def secrets_supported() -> bool:
    """Whether moto's CloudFormation knows the secret type (with or without this module)."""
    from moto.cloudformation import parsing

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    return TYPE in parsing.get_model_map()


def install_secrets() -> None:
    """Make moto's CloudFormation create secrets (CfnSecret is a subclass of CloudFormationModel
    from its definition on; the parser caches its model map, so clear it)."""
    from moto.cloudformation import parsing

    if secrets_supported():
        return
    _INSTALLED.append(_define())
    parsing.get_name_type_map.cache_clear()
    if not secrets_supported():
        raise RuntimeError("moto did not pick up CfnSecret")


def swagger_imported() -> bool:
    """Whether moto's API Gateway imports a Swagger 2.0 document like chalice's (no description)."""
    from moto.apigateway.models import apigateway_backends

    backend = apigateway_backends["123456789012"]["us-east-1"]
    document = {"swagger": "2.0", "info": {"title": "probe", "version": "1"}, "paths": {"/": {"get": {}}}}
    try:
        api = backend.import_rest_api(document, fail_on_warnings=False)
    except Exception:  # any failure is the gap
        return False
    backend.delete_rest_api(api.id)
    return True


def _as_openapi3(document: dict[str, Any]) -> dict[str, Any]:
    if "swagger" not in document:
        return document
    converted = {k: v for k, v in document.items() if k != "swagger"}
    converted["openapi"] = "3.0.1"
    converted["info"] = {"description": "", **document.get("info", {})}
    return converted


def install_swagger() -> None:
    from moto.apigateway.models import APIGatewayBackend

    if getattr(APIGatewayBackend.import_rest_api, "stand_in", False):
        return
    original_import, original_put = APIGatewayBackend.import_rest_api, APIGatewayBackend.put_rest_api

    def import_rest_api(self: Any, api_doc: dict[str, Any], fail_on_warnings: bool) -> Any:
        return original_import(self, _as_openapi3(api_doc), fail_on_warnings)

    def put_rest_api(self: Any, function_id: str, api_doc: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return original_put(self, function_id, _as_openapi3(api_doc), *args, **kwargs)

    import_rest_api.stand_in = True  # type: ignore[attr-defined]
    APIGatewayBackend.import_rest_api = import_rest_api  # type: ignore[method-assign]
    APIGatewayBackend.put_rest_api = put_rest_api  # type: ignore[method-assign]


def websocket_deployments_supported() -> bool:
    """Whether moto's API Gateway v2 knows deployments (chalice deploys a WebSocket API with one)."""
    from moto.apigatewayv2.models import ApiGatewayV2Backend

    return hasattr(ApiGatewayV2Backend, "create_deployment")


def install_websocket_deployments() -> None:
    from chalice.awsclient import TypedAWSClient

    if getattr(TypedAWSClient.deploy_websocket_api, "stand_in", False):
        return

    def deploy_websocket_api(self: Any, api_id: str) -> str:
        return f"deployment-of-{api_id}"

    deploy_websocket_api.stand_in = True  # type: ignore[attr-defined]
    TypedAWSClient.deploy_websocket_api = deploy_websocket_api  # type: ignore[method-assign]
