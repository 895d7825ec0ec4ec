"""docs/permissions.md's route table is generated from the route declarations and up to date."""

from pathlib import Path

from tools import permissions

DOCUMENT = Path(__file__).parents[2] / "docs" / "permissions.md"


def test_document_is_up_to_date():
    assert DOCUMENT.read_text() == permissions.render(DOCUMENT.read_text()), "run `make permissions`"


def test_every_surface_route_has_a_row():
    from chalicelib.api.routing import ROUTES

    table = permissions.section()
    for route in ROUTES:
        path = route.path.rsplit(".", 1)[0] + ".json" if route.surface == "disqus" else route.path
        assert f"| `{route.method} {path}` | {permissions.callers_words(route.callers)} |" in table, route.path


def test_rendering_twice_changes_nothing():
    once = permissions.render(DOCUMENT.read_text())
    assert permissions.render(once) == once
