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
