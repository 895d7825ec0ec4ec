"""Real Disqus clients, unmodified, against the local runtime's /api/3.0 (issue 12, "Tests
and budgets"): npm ``disqus-node`` run by Node with its ``config.url`` pointed here, and the
npm ``disqusjs`` comments widget rendered in headless Chromium from a page on another origin
(so its requests are real cross-origin ones: the public key's domain check and CORS).

The Node packages install from tests/e2e/disqus_clients/package-lock.json with ``npm ci``
(the ``node_clients`` fixture: once, when node_modules is missing or older than the lock).
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Request, Response, Route
from playwright.sync_api import Page as PlaywrightPage

from tests.e2e.accounts import sign_up
from tests.e2e.harness import ROOT, Devserver

pytestmark = pytest.mark.e2e
CLIENTS = Path(__file__).parent / "disqus_clients"
SCREENSHOTS = ROOT / "out" / "screenshots"
NPM_CI = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]


def _installed() -> bool:
    """node_modules matches the lock: npm writes node_modules/.package-lock.json last."""
    marker = CLIENTS / "node_modules" / ".package-lock.json"
    return marker.exists() and marker.stat().st_mtime >= (CLIENTS / "package-lock.json").stat().st_mtime


@pytest.fixture(scope="session")
def node_clients() -> Path:
    """disqus-node and disqusjs at the lock's exact versions (``npm ci``, no install scripts).
    A file lock: under pytest-xdist both workers may ask at once."""
    with (CLIENTS / ".npm-ci.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed():
            done = subprocess.run(NPM_CI, cwd=CLIENTS, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    assert _installed()
    return CLIENTS / "node_modules"


@dataclass(frozen=True)
class Site:
    """A forum as a site owner sets it up: the workspace, a public key for the pages'
    host and a server-side API token that may post."""

    api: str  # the local runtime's /api/3.0/ base
    forum: str
    public_key: str
    secret: str
    owner_name: str


@pytest.fixture(scope="module")
def site(server: Devserver) -> Site:
    handle = f"blogger{uuid.uuid4().hex[:8]}"
    owner = sign_up(server, handle, "Blog Owner")
    api = server.base_url
    ws = requests.post(f"{api}/v1/workspaces", json={"name": f"Blog {handle}"}, headers=owner.headers, timeout=10)
    assert ws.status_code == 201, ws.text
    workspace = ws.json()["data"]
    key = requests.post(
        f"{api}/v1/workspaces/{workspace['id']}/public-keys",
        json={"domains": ["127.0.0.1"]},  # the widget page's host, any port
        headers=owner.headers,
        timeout=10,
    )
    token = requests.post(
        f"{api}/v1/workspaces/{workspace['id']}/tokens",
        json={"name": "blog server", "scopes": ["comments:read", "comments:write"]},
        headers=owner.headers,
        timeout=10,
    )
    assert key.status_code == token.status_code == 201, (key.text, token.text)
    return Site(f"{api}/api/3.0/", workspace["slug"], key.json()["data"]["key"], token.json()["data"]["token"], handle)


def _disqus(site: Site, verb: str, **args: str) -> Any:
    """A server-side Disqus call with the site's secret (form-encoded, as Disqus takes writes)."""
    answer = requests.post(f"{site.api}{verb}.json", data={"api_secret": site.secret, **args}, timeout=10)
    assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
    return answer.json()["response"]


def test_the_local_runtime_answers_cors_preflights(server: Devserver) -> None:
    """What a page's preflight gets over real HTTP, on an endpoint and at any depth under
    /api/3.0 (API Gateway's {proxy+} answers those; the local gateway mirrors it)."""
    origin = "http://127.0.0.1:9"
    for path in ("threads/listPostsThreaded", "posts/create.json", "a/b/c/d"):
        answer = requests.options(f"{server.base_url}/api/3.0/{path}", headers={"Origin": origin}, timeout=10)
        assert (answer.status_code, answer.content) == (204, b""), path
        assert answer.headers["Access-Control-Allow-Origin"] == origin, path
        assert answer.headers["Access-Control-Allow-Methods"] == "GET, POST", path
        assert answer.headers["Access-Control-Max-Age"] == "600", path
    elsewhere = requests.options(f"{server.base_url}/v1/nothing/here", headers={"Origin": origin}, timeout=10)
    assert elsewhere.headers.get("Access-Control-Allow-Origin") != origin  # v1 has no CORS


# -- disqus-node -----------------------------------------------------------------------------


def test_disqus_node_reads_forums_and_writes_threads_and_posts(node_clients: Path, site: Site) -> None:
    identifier = f"node-{uuid.uuid4().hex[:8]}"
    arguments = {"base": site.api, "secret": site.secret, "forum": site.forum, "identifier": identifier}
    ran = subprocess.run(
        ["node", str(CLIENTS / "node_client.js"), json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout)
    failed = {name: call["error"] for name, call in out.items() if not call["ok"] and name != "unknownForum"}
    assert failed == {}

    assert out["forum"]["answer"]["response"]["id"] == site.forum
    # An error envelope reaches the library as Disqus's would: it rejects with it.
    assert out["unknownForum"] == {
        "ok": False,
        "error": {"code": 8, "response": out["unknownForum"]["error"]["response"]},
    }

    thread = out["created"]["answer"]["response"]
    assert (thread["title"], thread["identifiers"], thread["forum"]) == (
        "Hello from disqus-node",
        [identifier],
        site.forum,
    )
    assert thread["message"] == "A post about clients"
    assert out["details"]["answer"]["response"]["id"] == thread["id"]  # by ident:
    assert thread["id"] in [t["id"] for t in out["list"]["answer"]["response"]]
    assert thread["id"] in [t["id"] for t in out["forumThreads"]["answer"]["response"]]

    post, reply = out["post"]["answer"]["response"], out["reply"]["answer"]["response"]
    assert (post["thread"], post["parent"], post["raw_message"]) == (thread["id"], None, "First comment, *from Node*")
    assert "<em>from Node</em>" in post["message"]
    assert post["author"]["username"] == site.owner_name  # the API token's creator
    assert (reply["thread"], reply["parent"]) == (thread["id"], int(post["id"]))  # a number, as Disqus's
    assert (out["vote"]["answer"]["response"]["vote"], out["vote"]["answer"]["response"]["likesDelta"]) == (1, 1)
    assert out["postDetails"]["answer"]["response"]["likes"] == 1
    listed = out["posts"]["answer"]
    assert [p["id"] for p in listed["response"]] == [post["id"], reply["id"]]
    assert listed["cursor"]["hasNext"] is False
    assert out["threadAfter"]["answer"]["response"]["posts"] == 2


# -- disqusjs in a browser -------------------------------------------------------------------


class Page(ThreadingHTTPServer):
    """The blog: widget.html and node_modules from tests/e2e/disqus_clients on its own port
    (another origin than the API's: the widget's calls are cross-origin, as on a real site)."""

    def __init__(self) -> None:
        handler = partial(_QuietHandler, directory=str(CLIENTS))
        super().__init__(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.server_address[1]}"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def blog(node_clients: Path) -> Iterator[Page]:
    page_server = Page()
    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    yield page_server
    page_server.shutdown()
    page_server.server_close()


@dataclass
class Visit:
    """One page load of the widget for a thread, and the traffic it made."""

    page: PlaywrightPage
    api_calls: list[tuple[str, str | None, str]] = field(default_factory=list)  # (path, Origin sent, URL)
    allowed_origins: list[str | None] = field(default_factory=list)  # answers' Access-Control-Allow-Origin
    elsewhere: list[str] = field(default_factory=list)  # requests off 127.0.0.1 (refused)


@contextmanager
def visit(browser: Browser, blog: Page, site: Site, identifier: str) -> Iterator[Visit]:
    """Open the blog page showing the thread ``identifier`` with disqusjs."""
    query = {"api": site.api.removesuffix("3.0/"), "apikey": site.public_key, "shortname": site.forum}
    context = browser.new_context(viewport={"width": 900, "height": 700})
    seen = Visit(context.new_page())

    def local_only(route: Route) -> None:
        """The machine's network is closed: anything not on 127.0.0.1 is refused, and noted."""
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            seen.elsewhere.append(route.request.url)
            route.abort()

    def asked(request: Request) -> None:
        if "/api/3.0/" in request.url:
            seen.api_calls.append((urlsplit(request.url).path, request.headers.get("origin"), request.url))

    def answered(response: Response) -> None:
        if "/api/3.0/" in response.url:
            seen.allowed_origins.append(response.headers.get("access-control-allow-origin"))

    context.route("**/*", local_only)
    seen.page.set_default_timeout(15_000)
    seen.page.on("request", asked)
    seen.page.on("response", answered)
    try:
        seen.page.goto(f"{blog.origin}/widget.html?{urlencode({**query, 'identifier': identifier})}")
        yield seen
    finally:
        context.close()


def _thread(site: Site, title: str) -> tuple[str, str]:
    identifier = f"widget-{uuid.uuid4().hex[:8]}"
    thread = _disqus(site, "threads/create", forum=site.forum, title=title, identifier=identifier)
    return identifier, thread["id"]


@dataclass(frozen=True)
class Rendered:
    """What the widget showed and asked for the module's first thread, read once."""

    posts: dict[str, dict[str, Any]]  # first, second, reply: as posts/create answered
    header: str
    texts: str
    top_level: list[str]  # the top-level comments' element ids, in page order
    nested: list[str]  # the element ids of the comments under the first one
    bold: str
    authors: list[str]
    avatars: list[int]  # each avatar image's natural width: 0 for a broken image
    traffic: Visit


@pytest.fixture(scope="module")
def widget(browser: Browser, site: Site, blog: Page) -> Rendered:
    """A thread with two comments and an answer to the first, shown by disqusjs in Chromium."""
    identifier, thread = _thread(site, "A blog post")
    first = _disqus(site, "posts/create", thread=thread, message="The first comment, **bold**")
    second = _disqus(site, "posts/create", thread=thread, message="A second, later comment")
    reply = _disqus(site, "posts/create", parent=first["id"], message="An answer to the first comment")

    with visit(browser, blog, site, identifier) as seen:
        page = seen.page
        # Both top-level comments: the whole list renders from one listPostsThreaded answer.
        page.get_by_text("A second, later comment", exact=True).wait_for()
        page.get_by_text("The first comment, bold", exact=True).wait_for()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "disqusjs-widget.png"), full_page=True)
        posts = page.locator("#dsqjs-post-container")
        first_item = f'[id="comment-{first["id"]}"]'
        return Rendered(
            posts={"first": first, "second": second, "reply": reply},
            header=page.locator("#dsqjs-header").inner_text(),
            texts=posts.inner_text(),
            top_level=_top_level(page),
            nested=posts.locator(f"{first_item} ul.dsqjs-post-list > li").evaluate_all("els => els.map(e => e.id)"),
            bold=posts.locator(f"{first_item} .dsqjs-post-content strong").first.inner_text(),
            authors=posts.locator(".dsqjs-post-author").all_inner_texts(),
            avatars=posts.locator("img").evaluate_all("els => els.map(e => e.complete ? e.naturalWidth : 0)"),
            traffic=seen,
        )


def _top_level(page: PlaywrightPage) -> list[str]:
    return page.locator("#dsqjs-post-container > li").evaluate_all("els => els.map(e => e.id)")


def test_disqusjs_shows_the_threads_comments(widget: Rendered) -> None:
    assert (SCREENSHOTS / "disqusjs-widget.png").exists()
    assert widget.avatars and all(width > 0 for width in widget.avatars)  # the default avatar, never a broken image
    assert "3 Comments" in widget.header  # the thread's post count (threads/list.json's "posts")
    assert "The first comment, bold" in widget.texts and "A second, later comment" in widget.texts
    assert widget.bold == "bold"  # the post's message is its rendered HTML
    assert set(widget.authors) == {"Blog Owner"}  # the API token's creator, by display name
    # Newest conversation first (the widget asks order=desc).
    assert widget.top_level == [f"comment-{widget.posts['second']['id']}", f"comment-{widget.posts['first']['id']}"]


def test_disqusjs_asks_cross_origin_with_the_public_key(widget: Rendered, blog: Page, site: Site) -> None:
    """threads/list.json by ident:, then threads/listPostsThreaded without an extension; both
    from the page's origin with the public key, both answered with that origin allowed."""
    traffic = widget.traffic
    assert [path for path, _, _ in traffic.api_calls] == [
        "/api/3.0/threads/list.json",
        "/api/3.0/threads/listPostsThreaded",
    ]
    assert all(origin == blog.origin and f"api_key={site.public_key}" in url for _, origin, url in traffic.api_calls)
    assert traffic.allowed_origins == [blog.origin, blog.origin]
    assert traffic.elsewhere == []


def test_disqusjs_pages_with_the_cursor_and_reorders(browser: Browser, site: Site, blog: Page) -> None:
    """26 comments: the first page shows 25 (the default limit) and the widget's "load more"
    follows the answer's cursor.next; the oldest-first tab asks again with order=asc."""
    identifier, thread = _thread(site, "A busy post")
    ids = [_disqus(site, "posts/create", thread=thread, message=f"Comment number {n}")["id"] for n in range(1, 27)]
    newest_first = [f"comment-{i}" for i in reversed(ids)]
    with visit(browser, blog, site, identifier) as seen:
        page = seen.page
        page.locator("#dsqjs-load-more").wait_for()
        assert _top_level(page) == newest_first[:25]
        page.locator("#dsqjs-load-more").click()
        page.get_by_text("Comment number 1", exact=True).wait_for()
        assert _top_level(page) == newest_first
        assert page.locator("#dsqjs-load-more").count() == 0  # hasNext false on the last page

        page.locator("label[for=dsqjs-order-asc]").click()
        page.locator(f'#dsqjs-post-container > li:first-child[id="comment-{ids[0]}"]').wait_for()
        assert _top_level(page) == [f"comment-{i}" for i in ids[:25]]

    threaded = [url for path, _, url in seen.api_calls if path.endswith("listPostsThreaded")]
    assert len(threaded) == 3
    assert "cursor=" not in threaded[0] and "cursor=" in threaded[1] and "order=desc" in threaded[1]
    assert "order=asc" in threaded[2] and "cursor=" not in threaded[2]
    assert seen.elsewhere == []


def test_disqusjs_nests_a_reply_under_its_parent(widget: Rendered) -> None:
    """The widget nests a post under the one whose Number(id) === post.parent: Disqus's numeric
    ids, which ours are (a UUID string id would drop every reply from the page)."""
    reply = widget.posts["reply"]
    assert reply["parent"] == int(widget.posts["first"]["id"]) and isinstance(reply["parent"], int)
    assert "An answer to the first comment" in widget.texts
    assert widget.nested == [f"comment-{widget.posts['reply']['id']}"]
