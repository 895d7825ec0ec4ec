"""OWASP API4:2023 Unrestricted Resource Consumption, unbounded inputs (generated from the
route table): every string, list and page size a route accepts has a bound, and the wire
enforces the body cap and the page limit."""

from __future__ import annotations

from chalicelib.api.routing import ROUTES
from chalicelib.config import get_settings
from chalicelib.http import schema
from tests.helpers import create_workspace, register

MAX_STRING = 64 * 1024  # message text is the longest (40,000 characters)
MAX_ITEMS = 1000
MAX_PAGE = 200


def _fields(field, path):
    yield path, field
    if isinstance(field, schema.Obj):
        for name, inner in field.fields.items():
            yield from _fields(inner, f"{path}.{name}")
    if isinstance(field, schema.List):
        yield from _fields(field.item, f"{path}[]")


def test_every_declared_input_is_bounded():
    """API4, unbounded strings, lists and pages: each has a maximum, none above the budget."""
    wrong = []
    for route in ROUTES:
        for part in (route.body, route.query, *route.params.values()):
            if part is None:
                continue
            for path, field in _fields(part, f"{route.method} {route.path}"):
                if isinstance(field, schema.Str) and not 0 < field.max_len <= MAX_STRING:
                    wrong.append((path, "string", field.max_len))
                if isinstance(field, schema.List) and not 0 < field.max_items <= MAX_ITEMS:
                    wrong.append((path, "list", field.max_items))
                unbounded_page = (
                    field.maximum is None or field.maximum > MAX_PAGE if isinstance(field, schema.Int) else False
                )
                if path.endswith(".limit") and unbounded_page:
                    wrong.append((path, "page", field.maximum))
    assert wrong == []


def test_the_wire_enforces_the_body_cap_and_the_page_limit(api):
    """API4, a huge body or page: 413 past the body cap, 400 for a limit past the maximum."""
    jane = register(api, "jane")
    ws = create_workspace(api, jane)
    huge = b'{"content": "' + b"a" * (get_settings().max_body_bytes + 1) + b'"}'
    answer = api.post(f"/v1/channels/{ws['generalChannelId']}/messages", raw=huge, token=jane.access_token)
    assert answer.status == 413, answer.body
    page = api.get(f"/v1/channels/{ws['generalChannelId']}/messages?limit=100000", token=jane.access_token)
    assert (page.status, page.error["field"]) == (400, "limit")
