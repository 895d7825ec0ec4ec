"""The Disqus 3.0 protocol over real HTTP in the local runtime: the local gateway's
unknown paths at any depth (code 1), formats (415), wrong methods (code 7), JSONP and RSS
as a browser or feed reader gets them."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

import pytest
import requests

from tests.e2e.harness import Devserver, wait_for_verification_link

pytestmark = pytest.mark.e2e


def _site(server: Devserver) -> tuple[str, str]:
    """A verified owner's workspace slug and a public key for example.com."""
    api, suffix = server.base_url, uuid.uuid4().hex[:8]
    email, password = f"site.{suffix}@example.com", "correct horse battery staple"
    body = {"email": email, "password": password, "username": f"site{suffix}", "displayName": "Site"}
    assert requests.post(f"{api}/v1/auth/register", json=body, timeout=10).status_code == 201
    assert requests.get(wait_for_verification_link(server.outbox, email), timeout=10).status_code == 200
    login = requests.post(f"{api}/v1/auth/login", json={"email": email, "password": password}, timeout=10)
    session = {"Authorization": f"Bearer {login.json()['data']['accessToken']}"}
    ws = requests.post(f"{api}/v1/workspaces", json={"name": f"Site {suffix}"}, headers=session, timeout=10).json()
    key = requests.post(
        f"{api}/v1/workspaces/{ws['data']['id']}/public-keys",
        json={"domains": ["example.com"]},
        headers=session,
        timeout=10,
    )
    assert key.status_code == 201, key.text
    return ws["data"]["slug"], key.json()["data"]["key"]


def test_the_local_runtime_speaks_the_disqus_protocol(server: Devserver) -> None:
    base = f"{server.base_url}/api/3.0"
    for path in ("nope", "forums/nope.json", "a/b/c.json", "a/b/c/d"):
        answer = requests.get(f"{base}/{path}", timeout=10)
        assert (answer.status_code, answer.json()["code"]) == (400, 1), path
    assert requests.get(f"{base}/forums/details.xml", timeout=10).status_code == 415

    slug, key = _site(server)
    origin = {"Origin": "https://example.com"}
    wrong = requests.post(f"{base}/forums/details.json", params={"forum": slug, "api_key": key}, timeout=10)
    assert (wrong.status_code, wrong.json()["code"], wrong.headers["Allow"]) == (400, 7, "GET")

    jsonp = requests.get(
        f"{base}/forums/details.jsonp",
        params={"forum": slug, "api_key": key, "callback": "show"},
        headers=origin,
        timeout=10,
    )
    assert jsonp.status_code == 200 and jsonp.text.startswith("/**/show({") and jsonp.text.endswith("});")
    assert jsonp.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert jsonp.headers["X-Content-Type-Options"] == "nosniff"

    rss = requests.get(
        f"{base}/forums/listModerators.rss", params={"forum": slug, "api_key": key}, headers=origin, timeout=10
    )
    assert rss.status_code == 200, rss.text
    assert [i.findtext("title") for i in ElementTree.fromstring(rss.content).iter("item")] == ["Site"]
