"""The posts/list reference page's example responses, reproduced from the same data: every
key the example has, with the same JSON type, except the deviations listed (each a rule of
this API, tested where it is made)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.services import posts
from chalicelib.services.comment_threads import Lookup
from chalicelib.services.posts import Guest
from tests.functional.api.disqus.calls import get, post
from tests.helpers import register

SPEC = Path(__file__).resolve().parents[5] / "shared" / "spec" / "disqus-3.0-posts-list.txt"
# (path pattern, why): what differs on purpose.
DEVIATIONS = {
    r"response\[\d+\]\.author\.email": "Data Availability: e-mail only from users/details, with the email scope",
    r"response\[\d+\]\.thread\.ipAddress": "a thread's creator address is not recorded",
}


def examples() -> list[tuple[str, Any]]:
    """(request, JSON answer) for each json example of the page."""
    text = SPEC.read_text()
    found = []
    for match in re.finditer(r"Expand json\s+GET (\S+)\s+(\{.*?\n\})", text, re.DOTALL):
        body = re.sub(r",(\s*[}\]])", r"\1", match[2])  # the page has a trailing comma or two
        found.append((match[1], json.loads(body)))
    return found


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else type(value).__name__


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Keys of ``expected`` missing from ``actual`` and JSON types that differ (a null in the
    example stands for any type); extra keys of ours are fine."""
    if any(re.fullmatch(pattern, path) for pattern in DEVIATIONS):
        return []
    if expected is None:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: object expected, got {type(actual).__name__}"]
        problems = []
        for key, value in expected.items():
            where = f"{path}.{key}" if path else key
            if key not in actual and not any(re.fullmatch(p, where) for p in DEVIATIONS):
                problems.append(f"{where}: missing")
            elif key in actual:
                problems += differences(value, actual[key], where)
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: array expected"]
        if expected and actual and isinstance(expected[0], dict):
            return [
                p
                for i, a in enumerate(actual)
                for p in differences(expected[min(i, len(expected) - 1)], a, f"{path}[{i}]")
            ]
        return []
    if json_type(expected) != json_type(actual):
        return [f"{path}: {json_type(expected)} expected, got {json_type(actual)}"]
    return []


@pytest.fixture
def bobross(api, client):
    """The page's data: forum bobross, thread "Happy Accidents", three posts (one answering
    the first, one by a guest), the first liked once."""
    owner = register(api, "disqus_api")
    ws = api.post("/v1/workspaces", {"name": "Bob Ross", "slug": "bobross"}, token=owner.access_token).data
    api.patch(f"/v1/workspaces/{ws['id']}", {"comments": {"allowGuests": True}}, token=owner.access_token)
    secret = api.post(
        f"/v1/workspaces/{ws['id']}/tokens", {"name": "site", "scopes": ["comments:read"]}, token=owner.access_token
    ).data["token"]
    form = {
        "forum": "bobross",
        "title": "Happy Accidents",
        "identifier": "my-identifier",
        "slug": "happy_accidents",
        "message": "\"If you've painted before you know that we don't make mistakes\"",
        "access_token": owner.access_token,
    }
    thread = post(client, "threads/create.json", form).response["id"]
    first = post(
        client,
        "posts/create.json",
        {"thread": thread, "message": '"We want happy paintings."', "access_token": owner.access_token},
    ).response["id"]
    key = Principal(
        user_id="",
        kind="public_key",
        scopes=frozenset({"comments:read", "comments:write"}),
        workspace_id=ws["id"],
        token_id="k",
    )
    posts.create(
        key,
        Lookup(thread_id=thread),
        '"Happy little tree limb."',
        guest=Guest("Richard Nixon", "richard.nixon@example.com"),
    )
    post(
        client,
        "posts/create.json",
        {"parent": first, "message": '"Happy little bush."', "access_token": owner.access_token},
    )
    post(client, "posts/vote.json", {"post": first, "vote": "1", "access_token": owner.access_token})
    return {"secret": secret}


def test_the_pages_json_examples_reproduce_key_for_key(client, bobross):
    cases = examples()
    assert [request for request, _ in cases] == ["forum=bobross", "related=thread&forum=bobross"]
    for request, expected in cases:
        args = dict(pair.split("=") for pair in request.split("&"))
        answer = get(client, "posts/list.json", {**args, "api_secret": bobross["secret"]})
        assert answer.code == 0, answer.text
        actual = answer.json
        assert len(actual["response"]) == len(expected["response"]) == 3
        assert differences(expected, actual) == [], request
        assert [p["points"] for p in actual["response"]] == [0, 0, 1]  # newest first, as the page shows
        assert [p["author"]["isAnonymous"] for p in actual["response"]] == [False, True, False]
        assert actual["response"][0]["parent"] == int(actual["response"][2]["id"])  # a number, as Disqus


def test_the_pages_rss_example_has_the_same_item_elements(client, bobross):
    text = SPEC.read_text()
    sample = text[text.index("<?xml") :]
    sample = sample[: sample.index("</rss>") + len("</rss>")]
    expected = ElementTree.fromstring(sample).find("./channel/item")
    answer = get(client, "posts/list.rss", {"forum": "bobross", "api_secret": bobross["secret"]})
    items = ElementTree.fromstring(answer.text).findall("./channel/item")
    assert len(items) == 3
    assert sorted(child.tag for child in items[0]) == sorted(child.tag for child in expected)
    assert items[0].findtext("title") == "Re: Happy Accidents"
    creators = [i.findtext("{http://purl.org/dc/elements/1.1/}creator") for i in items]
    assert creators[1] == "Richard Nixon" and creators[0] == creators[2] == "Disqus_Api"  # the display name
