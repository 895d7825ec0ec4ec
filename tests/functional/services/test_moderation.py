"""The moderation engine against the table (moto): records, who manages them, the cache and
its DynamoDB budget, and what a match does on v1 chat, v1 into a comments thread and Disqus."""

from __future__ import annotations

import pytest

from chalicelib.auth.principal import Principal
from chalicelib.errors import CreationLimit, Forbidden, InsufficientScope, NotFound, ValidationError
from chalicelib.services import comment_rules, moderation
from chalicelib.store import moderation_rules as rule_store
from tests.functional.api.disqus.calls import get, post
from tests.helpers import create_workspace, join_workspace, register


@pytest.fixture(autouse=True)
def fresh_cache():
    moderation._cache.clear()
    yield
    moderation._cache.clear()


@pytest.fixture
def team(api):
    owner = register(api, "olive")
    ws = create_workspace(api, owner, "Acme")
    member, admin = register(api, "mark"), register(api, "adam")
    join_workspace(ws, member)
    join_workspace(ws, admin, "admin")
    return {"ws": ws, "owner": owner, "member": member, "admin": admin}


def session(account) -> Principal:
    return Principal(user_id=account.user_id, kind="session")


def token(account, workspace_id: str, *scopes: str) -> Principal:
    return Principal(
        user_id=account.user_id, kind="api_token", scopes=frozenset(scopes), workspace_id=workspace_id, token_id="t"
    )


def recorded(action):
    from bench.recorder import Recorder

    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as calls:
            result = action()
    finally:
        recorder.uninstall()
    return result, [c.operation for c in calls]


# --- records --------------------------------------------------------------------------


def test_admins_create_list_update_and_delete_records(team):
    wid, admin = team["ws"]["id"], token(team["admin"], team["ws"]["id"], "admin")
    made = moderation.create_records(admin, wid, "blacklist", ["spam", " b[i1]tcoin ", "spam"], exact_word=True)
    assert [(r.pattern, r.exact_word, r.created_by) for r in made] == [
        ("spam", True, team["admin"].user_id),
        ("b[i1]tcoin", True, team["admin"].user_id),
    ]
    again = moderation.create_records(admin, wid, "blacklist", ["spam", "spam"], exact_word=False)
    assert again[0].id not in {r.id for r in made} and again[0].exact_word is False  # another record
    same = moderation.create_records(admin, wid, "blacklist", ["SPAM", "spam"], exact_word=True)
    assert same[1].id == made[0].id and same[0].id not in {r.id for r in made}  # patterns kept as written
    assert moderation.create_records(admin, wid, "blacklist", ["spam"], exact_word=True)[0].id == made[0].id
    sites = moderation.create_records(admin, wid, "whitelist", ["https://Example.com/x", "docs.example.org"])
    assert [r.pattern for r in sites] == ["example.com", "docs.example.org"]

    first, after = moderation.list_records(admin, wid, "blacklist", limit=2)
    assert [r.id for r in first] == [made[0].id, made[1].id] and after == made[1].id
    rest, _ = moderation.list_records(admin, wid, "blacklist", after=after, limit=100)
    assert [r.id for r in rest] == [again[0].id, same[0].id]
    only, _ = moderation.list_records(admin, wid, "blacklist", regexs=["spam"])
    assert {r.id for r in only} == {made[0].id, again[0].id}
    urls, _ = moderation.list_records(admin, wid, "whitelist", regexs=["http://example.com"])
    assert [r.id for r in urls] == [sites[0].id]

    updated = moderation.update_record(admin, wid, "blacklist", made[1].id, pattern="btc", exact_word=False)
    assert (updated.pattern, updated.exact_word) == ("btc", False) and updated.updated_at
    by_word = moderation.update_record(admin, wid, "blacklist", "btc", exact_word=True)  # ruleId: the word
    assert (by_word.id, by_word.exact_word) == (made[1].id, True)
    with pytest.raises(ValidationError) as bad:
        moderation.update_record(admin, wid, "blacklist", made[1].id, pattern="(")
    assert bad.value.field == "ruleId"

    with pytest.raises(NotFound) as unknown:
        moderation.delete_records(admin, wid, "blacklist", [made[0].id, "nope"])
    assert unknown.value.field == "ruleIds[1]"
    gone = moderation.delete_records(admin, wid, "blacklist", [made[0].id, "btc"])
    assert [r.id for r in gone] == [made[0].id, made[1].id]
    left = rule_store.rule_set(wid)
    assert sorted(r.id for r in left.records) == sorted([again[0].id, same[0].id, *(s.id for s in sites)])
    assert left.version == 7  # 4 creates that wrote (one had nothing new), 2 updates, 1 delete


def test_only_admins_and_owners_with_the_admin_scope_manage_records(team):
    wid = team["ws"]["id"]
    owner = session(team["owner"])
    assert moderation.create_records(owner, wid, "blacklist", ["x1"])
    with pytest.raises(Forbidden):
        moderation.create_records(session(team["member"]), wid, "blacklist", ["x2"])
    with pytest.raises(InsufficientScope):
        moderation.list_records(token(team["admin"], wid, "messages:write"), wid, "blacklist")
    with pytest.raises(Forbidden):
        moderation.delete_records(token(team["member"], wid, "admin"), wid, "blacklist", ["x1"])
    outsider = Principal(user_id="0192f0c0-0000-7000-8000-000000000000", kind="session")
    with pytest.raises(NotFound):  # not a member: the workspace is not found
        moderation.list_records(outsider, wid, "blacklist")


def test_invalid_patterns_are_refused_naming_them_and_nothing_is_written(team):
    wid, owner = team["ws"]["id"], session(team["owner"])
    with pytest.raises(ValidationError) as refused:
        moderation.create_records(owner, wid, "blacklist", ["fine", "also fine", "(.*a){1000}"])
    assert refused.value.field == "regexs[2]" and "too large" in refused.value.message
    assert rule_store.rule_set(wid).records == []
    with pytest.raises(ValidationError) as many:
        moderation.create_records(owner, wid, "blacklist", [f"w{i}" for i in range(51)])
    assert many.value.field == "regexs"


def test_the_cap_refuses_past_it(team, monkeypatch):
    wid, owner = team["ws"]["id"], session(team["owner"])
    monkeypatch.setattr(rule_store, "MAX_RECORDS", 3)
    moderation.create_records(owner, wid, "blacklist", ["a1", "a2"])
    with pytest.raises(CreationLimit):
        moderation.create_records(owner, wid, "whitelist", ["example.com", "example.org"])
    moderation.create_records(owner, wid, "whitelist", ["example.com"])
    assert len(rule_store.rule_set(wid).records) == 3


# --- the cache and its budget ---------------------------------------------------------


def test_a_warm_check_costs_no_call_and_the_ttl_brings_new_rules(team, monkeypatch):
    wid, owner = team["ws"]["id"], session(team["owner"])
    clock = [1000.0]
    monkeypatch.setattr(moderation, "_now", lambda: clock[0])
    compiles = []
    real_compile = moderation.compile_rules
    monkeypatch.setattr(moderation, "compile_rules", lambda rs: compiles.append(rs.version) or real_compile(rs))
    moderation.create_records(owner, wid, "blacklist", ["darn"], exact_word=True)

    verdict, calls = recorded(lambda: moderation.check(wid, "oh DARN"))
    assert verdict.blocked and calls == ["Query"]  # cold: the rule set and its version, one Query
    verdict, calls = recorded(lambda: moderation.check(wid, "oh darn"))
    assert verdict.blocked and calls == []  # warm: nothing read

    rule_store.delete(wid, rule_store.rule_set(wid).records)  # another process deletes it
    clock[0] += moderation.CACHE_TTL_SECONDS - 0.1
    assert moderation.check(wid, "darn").blocked  # still within the TTL
    clock[0] += 0.2
    verdict, calls = recorded(lambda: moderation.check(wid, "darn"))
    assert (verdict.blocked, calls) == (False, ["GetItem", "Query"])  # the version moved: read again
    clock[0] += moderation.CACHE_TTL_SECONDS + 1
    assert recorded(lambda: moderation.check(wid, "darn"))[1] == ["GetItem"]  # the same version: kept
    assert recorded(lambda: moderation.check(wid, "darn"))[1] == []  # for another TTL
    assert compiles == [1, 2]  # the same version is not compiled again
    moderation._cache.clear()  # a new process
    assert recorded(lambda: moderation.check(wid, "darn"))[1] == ["Query"]

    moderation.create_records(owner, wid, "blacklist", ["heck"])  # a write here drops the entry
    assert moderation.check(wid, "what the heck").blocked


def test_comment_rules_reads_both_rule_sets_in_one_query(team):
    from chalicelib.services import moderation_lists

    wid, owner = team["ws"]["id"], session(team["owner"])
    moderation_lists.add(owner, "acme", "blacklist", [("word", "darn", "value")], None)
    moderation.create_records(owner, wid, "blacklist", [r"fr[e3]{2}\s+money"])
    moderation.create_records(owner, wid, "whitelist", ["example.com"])
    ask = {"author_id": team["member"].user_id, "author_email": None, "ip_address": None}

    verdict, calls = recorded(lambda: comment_rules.evaluate(wid, text="FREE  money", **ask))
    assert calls == ["Query"]
    assert (verdict.facts, verdict.state) == (frozenset({4, 8}), "unapproved")
    assert comment_rules.evaluate(wid, text="see https://evil.example", **ask) == comment_rules.Verdict(
        facts=frozenset({8}), state="unapproved"
    )
    assert comment_rules.evaluate(wid, text="darn", **ask).facts == frozenset({4, 8})  # the forum's list
    assert comment_rules.evaluate(wid, text="see https://www.example.com", **ask) == comment_rules.Verdict()
    moderation_lists.add(owner, "acme", "whitelist", [("user", team["member"].user_id, "user")], None)
    trusted = comment_rules.evaluate(wid, text="free money", **ask)  # the records hold a trusted author too
    assert (trusted.state, trusted.whitelisted) == ("unapproved", True)
    assert comment_rules.evaluate(wid, text="darn", **ask) == comment_rules.Verdict(whitelisted=True)


# --- what a match does on each surface ------------------------------------------------


def test_a_v1_send_or_edit_with_a_match_is_refused_in_chat(api, team):
    wid, owner, member = team["ws"]["id"], team["owner"], team["member"]
    general = team["ws"]["generalChannelId"]
    moderation.create_records(session(owner), wid, "blacklist", ["darn"], exact_word=True)
    moderation.create_records(session(owner), wid, "whitelist", ["example.com"])

    path = f"/v1/channels/{general}/messages"
    refused = api.post(path, {"content": "well DARN it"}, token=member.access_token)
    assert (refused.status, refused.error["code"], refused.error.get("field")) == (
        400,
        "E_MODERATION_BLOCKED",
        "content",
    )
    link = api.post(path, {"content": "see https://evil.example/x"}, token=member.access_token)
    assert (link.status, link.error["code"]) == (400, "E_MODERATION_BLOCKED")
    sent = api.post(path, {"content": "darning socks at https://docs.example.com"}, token=member.access_token)
    assert sent.status == 201, sent.body

    edited = api.patch(f"/v1/messages/{sent.data['id']}", {"content": "darn socks"}, token=member.access_token)
    assert (edited.status, edited.error["code"], edited.error.get("field")) == (400, "E_MODERATION_BLOCKED", "content")
    kept = api.get(f"/v1/messages/{sent.data['id']}", token=member.access_token)
    assert kept.data["content"] == "darning socks at https://docs.example.com"
    history = api.get(path, token=member.access_token).data
    assert [m["content"] for m in history if m["authorId"] == member.user_id] == [sent.data["content"]]


def test_a_post_with_a_match_is_held_from_disqus_and_from_v1(api, client, team):
    from chalicelib.store import channels as channel_store

    wid, owner, member = team["ws"]["id"], team["owner"], team["member"]
    moderation.create_records(session(owner), wid, "blacklist", ["darn"], exact_word=True)
    forum = "acme"  # the workspace's slug is its forum
    made = post(client, "threads/create.json", {"forum": forum, "access_token": owner.access_token, "title": "T"})
    thread = made.response["id"]

    held = post(client, "posts/create.json", {"thread": thread, "access_token": member.access_token, "message": "darn"})
    assert held.code == 0, held.text
    assert (held.response["isApproved"], held.response["isSpam"]) == (False, False)
    fine = post(client, "posts/create.json", {"thread": thread, "access_token": member.access_token, "message": "ok"})
    assert fine.response["isApproved"] is True

    via_v1 = api.post(f"/v1/channels/{thread}/messages", {"content": "DARN"}, token=member.access_token)
    assert via_v1.status == 201, via_v1.body  # not refused: held, as the Disqus post
    by_filter = {}
    for number in ("4", "8"):
        listed = get(
            client,
            "threads/listPosts.json",
            {"thread": thread, "access_token": owner.access_token, "filters": number, "include": "unapproved"},
        )
        assert listed.code == 0, listed.text
        by_filter[number] = {p["id"] for p in listed.response}
        assert all(p["isApproved"] is False for p in listed.response)
    assert by_filter["4"] == by_filter["8"] and held.response["id"] in by_filter["4"] and len(by_filter["4"]) == 2

    # An approved post edited (v1) into a match goes back to review.
    fine_v1 = next(
        m for m in api.get(f"/v1/channels/{thread}/messages", token=member.access_token).data if m["content"] == "ok"
    )
    assert fine_v1["post"]["number"] == int(fine.response["id"])
    before = channel_store.get(thread).post_count
    edited = api.patch(f"/v1/messages/{fine_v1['id']}", {"content": "darn it"}, token=member.access_token)
    assert edited.status == 200, edited.body
    assert edited.data["post"]["state"] == "unapproved"
    details = get(client, "posts/details.json", {"post": fine.response["id"], "access_token": owner.access_token})
    assert details.response["isApproved"] is False
    assert channel_store.get(thread).post_count == before - 1


def test_managing_records_costs_the_documented_calls(team):
    wid, owner = team["ws"]["id"], session(team["owner"])
    made, create = recorded(lambda: moderation.create_records(owner, wid, "blacklist", ["a1", "a2", "a3"]))
    assert create == ["BatchGetItem", "Query", "TransactWriteItems"]
    _, listing = recorded(lambda: moderation.list_records(owner, wid, "blacklist", regexs=["a2"], limit=10))
    assert listing == ["BatchGetItem", "Query"]
    _, update = recorded(lambda: moderation.update_record(owner, wid, "blacklist", made[0].id, exact_word=True))
    assert update == ["BatchGetItem", "Query", "TransactWriteItems"]
    _, delete = recorded(lambda: moderation.delete_records(owner, wid, "blacklist", [made[1].id, "a3"]))
    assert delete == ["BatchGetItem", "Query", "TransactWriteItems"]
    assert [r.pattern for r in rule_store.rule_set(wid).records] == ["a1"]


def test_a_link_outside_the_whitelist_holds_a_post_with_fact_8_only(client, team):
    wid, owner, member = team["ws"]["id"], team["owner"], team["member"]
    moderation.create_records(session(owner), wid, "whitelist", ["example.com"])
    made = post(client, "threads/create.json", {"forum": "acme", "access_token": owner.access_token, "title": "T"})
    thread = made.response["id"]
    args = {"thread": thread, "access_token": member.access_token}
    out = post(client, "posts/create.json", {**args, "message": "look https://evil.example/x"}).response
    ok = post(client, "posts/create.json", {**args, "message": "look https://blog.example.com/x"}).response
    assert (out["isApproved"], ok["isApproved"]) == (False, True)

    def ids(number: str) -> set[str]:
        query = {"thread": thread, "access_token": owner.access_token, "filters": number}
        listed = get(client, "threads/listPosts.json", {**query, "include": ["unapproved", "approved"]})
        assert listed.code == 0, listed.text
        return {p["id"] for p in listed.response}

    assert (ids("8"), ids("4"), ids("2")) == ({out["id"]}, set(), {out["id"], ok["id"]})


def test_both_rule_sets_at_their_caps_are_read_by_one_query_of_two_pages(team, monkeypatch):
    """The comments' Query of MODLIST#: 1,000 longest Disqus entries and 1,000 records of 200
    characters pass DynamoDB's 1 MB a call: the one Query pages (2 calls, docs/moderation.md)."""
    from chalicelib.ids import new_id, now_iso
    from chalicelib.store import moderation_lists as list_store

    wid, owner = team["ws"]["id"], session(team["owner"])
    for batch in range(list_store.MAX_ENTRIES // 50):
        entries = [
            list_store.new_entry(
                new_id(),
                wid,
                "blacklist",
                "word",
                f"{batch:02d}{i:02d}" + "w" * 96,
                notes="n" * 250,
                created_by=owner.user_id,
                created_at=now_iso(),
            )
            for i in range(50)
        ]
        list_store.add(wid, entries)
    monkeypatch.setattr(moderation, "normalize", lambda list_name, value, field: value)  # fast: no compile
    for batch in range(rule_store.MAX_RECORDS // 50):
        patterns = [f"{batch:02d}{i:02d}" + "p" * 196 for i in range(50)]
        moderation.create_records(owner, wid, "blacklist", patterns)
    ask = {"author_id": None, "author_email": None, "ip_address": None}
    verdict, calls = recorded(lambda: comment_rules.evaluate(wid, text="0001" + "p" * 196, **ask))
    assert calls == ["Query", "Query"]
    assert verdict.state == "unapproved" and verdict.facts == frozenset({4, 8})
    alone, calls = recorded(lambda: rule_store.rule_set(wid))
    assert len(alone.records) == 1000 and calls == ["Query"]  # the records alone: one page
