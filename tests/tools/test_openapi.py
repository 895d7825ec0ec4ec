"""docs/openapi.json documents every route, is valid OpenAPI, and is up to date."""

import json
from pathlib import Path

from openapi_spec_validator import validate

from app import app
from tools import openapi

DOCUMENT = Path(__file__).parents[2] / "docs" / "openapi.json"


def test_document_is_up_to_date():
    assert DOCUMENT.read_text() == openapi.render(), "run `make openapi`"


def test_document_is_valid_openapi():
    validate(json.loads(DOCUMENT.read_text()))


def test_every_route_is_documented():
    paths = json.loads(DOCUMENT.read_text())["paths"]
    served = {
        (path, method.lower())
        for path, entries in app.routes.items()
        for method, entry in entries.items()
        if not entry.view_name.startswith("method_not_allowed")
    }
    documented = {(path, method) for path, operations in paths.items() for method in operations}
    assert served == documented


def test_every_authenticated_operation_declares_its_scope():
    for path, operations in json.loads(DOCUMENT.read_text())["paths"].items():
        for method, operation in operations.items():
            if operation["security"]:
                assert "x-disqua-scope" in operation, (method, path)


def _operations():
    for path, operations in json.loads(DOCUMENT.read_text())["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_links_name_real_operations_and_their_parameters():
    by_id = {operation["operationId"]: (path, operation) for path, _, operation in _operations()}
    linked = 0
    for _, _, operation in _operations():
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                target_path, _ = by_id[link["operationId"]]
                for name in link["parameters"]:
                    assert "{" + name + "}" in target_path, (link, target_path)
                linked += 1
    assert linked > 50  # every v1 create links to the operations that take its id


def test_statuses_the_handlers_answer_are_documented():
    paths = json.loads(DOCUMENT.read_text())["paths"]
    assert "401" in paths["/v1/auth/login"]["post"]["responses"]
    assert "401" in paths["/v1/auth/refresh"]["post"]["responses"]
    assert "404" in paths["/v1/auth/logout"]["post"]["responses"]
    assert "404" in paths["/v1/files/presign"]["post"]["responses"]  # workspaceId names a workspace
    assert "409" in paths["/v1/workspaces/{workspaceId}/members/{userId}"]["delete"]["responses"]


def test_idempotency_key_is_stated_as_the_pipeline_checks_it():
    from chalicelib.api.routing import IDEMPOTENCY_KEY

    for _, _, operation in _operations():
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "Idempotency-Key":
                assert parameter["schema"]["pattern"] == IDEMPOTENCY_KEY.json_schema()["pattern"], operation


def test_form_bodies_carry_no_nested_objects():
    """A generic form encoder cannot write key[sub]=v: object fields are stated for JSON only."""
    for path, method, operation in _operations():
        form = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
        if form:
            for name, prop in form["schema"].get("properties", {}).items():
                assert prop.get("type") not in ("object", ["object", "null"]), (method, path, name)
