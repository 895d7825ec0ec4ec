"""Admin v2 blacklist and whitelist records (form-encoded and JSON: the ``console`` fixture runs
every test with both): each route and its errors, paging, and what a record does once made
here: a v1 chat send is refused (E_MODERATION_BLOCKED), a Disqus post is held, and an update
or a delete applies (at once in this process, within the engine's TTL in any other)."""

from __future__ import annotations

import copy
from urllib.parse import quote

import pytest

from chalicelib.services import moderation
from tests.functional.api.admin.test_channels import error_of

BLACK, WHITE = "/api/v2/blacklist/records", "/api/v2/whitelist/records"


@pytest.fixture(autouse=True)
def fresh_engine_cache():
    moderation._cache.clear()
    yield
    moderation._cache.clear()


def records(reply) -> list[dict]:
    assert reply.status == 200, reply.body
    return reply.body["records"]


def regexes(reply) -> list[str]:
    return [r["regex"] for r in records(reply)]


def send_v1(console, text: str, account=None):
    account = account or console.alice
    path = f"/v1/channels/{console.ws['generalChannelId']}/messages"
    return console.api.post(path, {"content": text}, token=account.access_token)


# --- blacklist ----------------------------------------------------------------------------------


def test_blacklist_create_query_update_delete(console):
    made = records(console.call("POST", BLACK, {"regexs": ["darn", r"fr[e3]{2}\s+money"], "isMatchExactWord": True}))
    assert [r["regex"] for r in made] == ["darn", r"fr[e3]{2}\s+money"]
    first = made[0]
    assert set(first) == {"ruleId", "list", "regex", "isMatchExactWord", "createdBy", "createdAt", "updatedAt"}
    assert (first["list"], first["isMatchExactWord"], first["updatedAt"]) == ("blacklist", True, None)
    assert first["createdBy"] == console.owner.user_id
    again = records(console.call("POST", BLACK, {"regexs": ["darn"], "isMatchExactWord": True}))
    assert again[0]["ruleId"] == first["ruleId"]  # the same value: answered as it is
    plain = records(console.call("POST", BLACK, {"regexs": ["heck"]}))[0]
    assert plain["isMatchExactWord"] is False  # the default

    listed = console.call("GET", BLACK)
    assert regexes(listed) == ["darn", r"fr[e3]{2}\s+money", "heck"]
    assert listed.body["paging"] == {"next": None, "previous": None}
    assert regexes(console.call("GET", BLACK, {"regexs": ["heck", "nothing"]})) == ["heck"]
    assert records(console.call("GET", WHITE)) == []  # the other list

    renamed = records(console.call("PUT", f"{BLACK}/{first['ruleId']}", {"ruleId": "dang"}))[0]
    assert (renamed["ruleId"], renamed["regex"], renamed["isMatchExactWord"]) == (first["ruleId"], "dang", True)
    assert renamed["updatedAt"] is not None
    by_value = records(console.call("PUT", f"{BLACK}/dang", {"isMatchExactWord": False}))[0]
    assert (by_value["ruleId"], by_value["regex"], by_value["isMatchExactWord"]) == (first["ruleId"], "dang", False)

    gone = records(console.call("DELETE", BLACK, {"ruleIds": [first["ruleId"], "heck"]}))
    assert sorted(r["regex"] for r in gone) == ["dang", "heck"]
    assert regexes(console.call("GET", BLACK)) == [r"fr[e3]{2}\s+money"]


def test_blacklist_errors(console):
    bad = error_of(console.call("POST", BLACK, {"regexs": ["fine", "(unclosed"]}), 400, "regexs[1]")
    assert bad["type"] == "E_VALIDATION" and "not a valid pattern" in bad["message"]
    error_of(console.call("POST", BLACK, {"regexs": ["a*"]}), 400, "regexs[0]")  # matches the empty text
    error_of(console.call("POST", BLACK, {"regexs": ["(.*a){200}"]}), 400, "regexs[0]")  # too large for RE2
    error_of(console.call("POST", BLACK, {"regexs": ["x" * 201]}), 400, "regexs[0]")
    error_of(console.call("POST", BLACK, {}), 400, "regexs")
    error_of(console.call("POST", BLACK, {"regexs": [f"w{i}" for i in range(51)]}), 400, "regexs")
    error_of(console.call("POST", BLACK, {"regexs": ["ok"], "isMatchExactWord": "maybe"}), 400, "isMatchExactWord")
    error_of(console.call("POST", BLACK, {"regexs": ["ok"], "color": "red"}), 400, "color")
    assert records(console.call("GET", BLACK)) == []  # nothing was written

    made = records(console.call("POST", BLACK, {"regexs": ["darn"]}))[0]
    error_of(console.call("PUT", f"{BLACK}/nothing", {"ruleId": "x"}), 404, ":ruleId")
    error_of(console.call("PUT", f"{BLACK}/{made['ruleId']}", {}), 400, "body")
    error_of(console.call("PUT", f"{BLACK}/{made['ruleId']}", {"ruleId": "(bad"}), 400, "ruleId")
    missing = error_of(console.call("DELETE", BLACK, {"ruleIds": [made["ruleId"], "ghost"]}), 404, "ruleIds[1]")
    assert missing["type"] == "E_NOT_FOUND"
    assert regexes(console.call("GET", BLACK)) == ["darn"]  # all or none
    error_of(console.call("DELETE", BLACK, {}), 400, "ruleIds")
    error_of(console.call("PATCH", BLACK, {}), 405)


def test_records_paging(console):
    values = [f"word{i}" for i in range(5)]
    records(console.call("POST", BLACK, {"regexs": values}))
    first = console.call("GET", BLACK, {"options": {"limit": 2}})
    assert regexes(first) == values[:2] and first.body["paging"]["previous"] is None
    second = console.call("GET", BLACK, {"options": {"token": first.body["paging"]["next"]}})
    assert regexes(second) == values[2:4]  # the token keeps the page size
    third = console.call("GET", BLACK, {"options": {"token": second.body["paging"]["next"]}})
    assert regexes(third) == values[4:]
    back = console.call("GET", BLACK, {"options": {"token": third.body["paging"]["previous"]}})
    assert regexes(back) == values[2:4]
    assert regexes(console.call("GET", BLACK, {"options": {"token": back.body["paging"]["previous"]}})) == values[:2]
    token = first.body["paging"]["next"]
    error_of(console.call("GET", BLACK, {"regexs": ["word1"], "options": {"token": token}}), 400, "options[token]")
    error_of(console.call("GET", WHITE, {"options": {"token": token}}), 400, "options[token]")  # another list
    error_of(console.call("GET", BLACK, {"options": {"token": token + "x"}}), 400, "options[token]")
    error_of(console.call("GET", BLACK, {"options": {"limit": 101}}), 400, "options[limit]")


def test_only_an_admin_access_token_manages_records(console):
    error_of(console.call("GET", BLACK, token=None), 401)
    plain = console.mint(console.owner, ["channels:read", "channels:write"])
    error_of(console.call("POST", BLACK, {"regexs": ["x1"]}, token=plain), 403)
    demoted = console.mint(console.admin, ["admin"])
    assert console.call("GET", BLACK, token=demoted).status == 200
    answer = console.api.patch(
        f"/v1/workspaces/{console.ws['id']}/members/{console.admin.user_id}",
        {"role": "member"},
        token=console.owner.access_token,
    )
    assert answer.status == 200, answer.body
    error_of(console.call("POST", BLACK, {"regexs": ["x1"]}, token=demoted), 403)
    assert records(console.call("GET", BLACK)) == []


# --- whitelist ----------------------------------------------------------------------------------


def test_whitelist_create_query_update_delete(console):
    made = records(console.call("POST", WHITE, {"regexs": ["https://Docs.Example.com/path", "acme.org"]}))
    assert [(r["list"], r["regex"], r["isMatchExactWord"]) for r in made] == [
        ("whitelist", "docs.example.com", False),
        ("whitelist", "acme.org", False),
    ]
    assert regexes(console.call("GET", WHITE, {"regexs": ["http://acme.org"]})) == ["acme.org"]
    updated = records(console.call("PUT", f"{WHITE}/docs.example.com", {"ruleId": "example.com"}))[0]
    assert (updated["ruleId"], updated["regex"]) == (made[0]["ruleId"], "example.com")
    records(console.call("DELETE", WHITE, {"ruleIds": ["acme.org"]}))
    assert regexes(console.call("GET", WHITE)) == ["example.com"]
    assert records(console.call("GET", BLACK)) == []

    error_of(console.call("POST", WHITE, {"regexs": ["ftp://x.example"]}), 400, "regexs[0]")
    error_of(console.call("POST", WHITE, {"regexs": ["a.org"], "isMatchExactWord": True}), 400, "isMatchExactWord")
    error_of(console.call("PUT", f"{WHITE}/example.com", {}), 400, "ruleId")
    error_of(console.call("PUT", f"{WHITE}/nowhere.org", {"ruleId": "x.org"}), 404, ":ruleId")
    error_of(console.call("DELETE", WHITE, {"ruleIds": ["nowhere.org"]}), 404, "ruleIds[0]")


# --- what a record does ------------------------------------------------------------------------


def test_a_record_made_here_refuses_a_v1_send_and_holds_a_disqus_post(console):
    from tests.functional.api.disqus.calls import post as disqus_post

    records(console.call("POST", BLACK, {"regexs": ["darn"], "isMatchExactWord": True}))
    refused = send_v1(console, "well DARN it")
    assert (refused.status, refused.error["code"], refused.error.get("field")) == (
        400,
        "E_MODERATION_BLOCKED",
        "content",
    )
    assert send_v1(console, "darning socks").status == 201  # exact word: not a substring

    client = console.api.client
    thread = disqus_post(
        client,
        "threads/create.json",
        {"forum": console.ws["slug"], "title": "T", "access_token": console.owner.access_token},
    ).response["id"]
    held = disqus_post(
        client, "posts/create.json", {"thread": thread, "message": "Darn.", "access_token": console.alice.access_token}
    )
    assert held.code == 0, held.text
    assert held.response["isApproved"] is False
    fine = disqus_post(
        client, "posts/create.json", {"thread": thread, "message": "fine", "access_token": console.alice.access_token}
    )
    assert fine.response["isApproved"] is True


def test_a_whitelist_record_refuses_links_elsewhere(console):
    records(console.call("POST", WHITE, {"regexs": ["example.com"]}))
    link = send_v1(console, "see https://evil.example/x")
    assert (link.status, link.error["code"]) == (400, "E_MODERATION_BLOCKED")
    assert send_v1(console, "see https://docs.example.com/x").status == 201
    records(console.call("DELETE", WHITE, {"ruleIds": ["example.com"]}))
    assert send_v1(console, "see https://evil.example/x").status == 201  # an empty whitelist admits any link


def snapshot() -> dict:
    """This process's engine cache, entries copied (a revalidation moves an entry's expiry)."""
    return {wid: copy.copy(entry) for wid, entry in moderation._cache.items()}


def become(cache: dict) -> None:
    """Act as a process whose engine cache holds ``cache``."""
    moderation._cache.clear()
    moderation._cache.update(cache)


def test_an_update_or_a_delete_applies_here_at_once_and_elsewhere_within_the_ttl(console, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(moderation, "_now", lambda: clock[0])
    wid = console.ws["id"]
    rule = records(console.call("POST", BLACK, {"regexs": ["darn"]}))[0]
    assert send_v1(console, "darn").status == 400  # the cache now holds the rule set

    # Another warm process keeps its copy until the TTL, then revalidates by the version.
    other = snapshot()
    records(console.call("PUT", f"{BLACK}/{rule['ruleId']}", {"ruleId": "heck"}))
    assert send_v1(console, "darn").status == 201 and send_v1(console, "heck").status == 400  # here: at once
    become(other)
    assert moderation.check(wid, "darn").blocked  # the other process, within the TTL
    clock[0] += moderation.CACHE_TTL_SECONDS + 0.1
    assert not moderation.check(wid, "darn").blocked and moderation.check(wid, "heck").blocked

    other = snapshot()  # warm, with "heck"
    records(console.call("DELETE", BLACK, {"ruleIds": ["heck"]}))
    assert send_v1(console, "heck").status == 201  # here: at once
    become(other)
    assert moderation.check(wid, "heck").blocked  # elsewhere, within the TTL
    clock[0] += moderation.CACHE_TTL_SECONDS + 0.1
    assert not moderation.check(wid, "heck").blocked


def test_a_query_takes_its_fields_in_the_query_string(console):
    """GET through a CDN may not carry a body: the query string holds the same fields."""
    records(console.call("POST", BLACK, {"regexs": ["one", "two", "three"]}))
    first = console.call("GET", f"{BLACK}?regexs=one&regexs[]=three&options[limit]=1", None)
    assert regexes(first) == ["one"] and first.body["paging"]["next"]
    found, token = regexes(first), first.body["paging"]["next"]
    while token:  # a filtered page reads `limit` records and keeps the matches: it may be empty
        page = console.call("GET", f"{BLACK}?regexs=one&regexs=three&options[token]={quote(token)}", None)
        assert len(records(page)) <= 1
        found, token = found + regexes(page), page.body["paging"]["next"]
    assert found == ["one", "three"]
    error_of(console.call("GET", f"{BLACK}?regexs=one", {"regexs": ["two"]}), 400, "regexs")  # not both
