"""blacklists/* and whitelists/* over HTTP, and what the entries do to comment_rules.evaluate."""

from __future__ import annotations

from tests.functional.api.disqus.calls import ORIGIN, get, post
from tests.functional.api.disqus.test_threads import mint
from tests.helpers import register


def add(client, token, resource="blacklists", **form):
    return post(client, f"{resource}/add.json", {"forum": "acme", "access_token": token, **form})


def test_add_list_and_remove_a_blacklist(client, forum):
    owner = forum["owner"].access_token
    made = add(client, owner, type="word", value=["Spam", "buy  now"], notes="from the report", retroactive="1")
    assert made.code == 0, made.text
    words = made.response
    assert [(e["type"], e["value"], e["notes"], e["forum"]) for e in words] == [
        ("word", "spam", "from the report", "acme"),
        ("word", "buy now", "from the report", "acme"),
    ]
    assert set(words[0]) == {"id", "type", "value", "notes", "createdAt", "forum"}
    per_type = add(client, owner, email="Bob@Example.COM", ip=["10.0.0.0/8", "::ffff:1.2.3.4"], domain="@Spam.Example")
    assert per_type.code == 0, per_type.text
    assert [(e["type"], e["value"]) for e in per_type.response] == [
        ("ip", "10.0.0.0/8"),
        ("ip", "::ffff:102:304"),
        ("email", "bob@example.com"),
        ("domain", "spam.example"),
    ]
    again = add(client, owner, type="word", value="SPAM", notes="other")  # already listed: answered as it is
    assert (again.code, again.response) == (0, [words[0]])

    listed = get(client, "blacklists/list.json", {"forum": "acme", "access_token": owner})
    assert [e["value"] for e in listed.response] == [
        "spam.example",
        "bob@example.com",
        "::ffff:102:304",
        "10.0.0.0/8",
        "buy now",
        "spam",
    ]
    only_words = get(client, "blacklists/list.json", {"forum": "acme", "access_token": owner, "type": "word"})
    assert [e["value"] for e in only_words.response] == ["buy now", "spam"]

    by_id = post(client, "blacklists/remove.json", {"forum": "acme", "access_token": owner, "item": words[0]["id"]})
    assert (by_id.code, [e["id"] for e in by_id.response]) == (0, [words[0]["id"]])
    by_value = post(
        client, "blacklists/remove.json", {"forum": "acme", "access_token": owner, "email": "BOB@example.com"}
    )
    assert (by_value.code, [e["value"] for e in by_value.response]) == (0, ["bob@example.com"])
    unknown = post(
        client,
        "blacklists/remove.json",
        {"forum": "acme", "access_token": owner, "item": [words[1]["id"], "nope"]},
    )
    assert (unknown.status, unknown.code) == (400, 8)  # and nothing was removed:
    left = get(client, "blacklists/list.json", {"forum": "acme", "access_token": owner}).response
    assert [e["value"] for e in left] == ["spam.example", "::ffff:102:304", "10.0.0.0/8", "buy now"]


def test_whitelists_take_users_and_emails_only(client, forum):
    owner, member = forum["owner"].access_token, forum["member"]
    made = add(client, owner, "whitelists", user=member.user_id, email="Guest@Example.com")
    assert made.code == 0, made.text
    assert [(e["type"], e["value"]) for e in made.response] == [
        ("email", "guest@example.com"),
        ("user", member.user_id),
    ]
    word = add(client, owner, "whitelists", type="word", value="x")
    assert (word.code, "'type'" in word.response) == (2, True)
    listed = get(client, "whitelists/list.json", {"forum": "acme", "access_token": owner}).response
    assert {e["value"] for e in listed} == {"guest@example.com", member.user_id}
    assert get(client, "blacklists/list.json", {"forum": "acme", "access_token": owner}).response == []
    removed = post(
        client,
        "whitelists/remove.json",
        {"forum": "acme", "access_token": owner, "type": "user", "value": member.user_id},
    )
    assert (removed.code, [e["type"] for e in removed.response]) == (0, ["user"])


def test_bad_arguments_name_the_argument(client, forum):
    owner = forum["owner"].access_token
    cases = [
        ({"type": "colour", "value": "x"}, "type"),
        ({"value": "x"}, "type"),
        ({}, "value"),
        ({"email": "not-an-address"}, "email"),
        ({"ip": "300.1.1.1"}, "ip"),
        ({"domain": "*.example.com"}, "domain"),
        ({"type": "word", "value": "x" * 101}, "value"),
        ({"word": "x", "notes": "n" * 251}, "notes"),
        ({"word": "x", "retroactive": "maybe"}, "retroactive"),
        ({"word": [f"w{i}" for i in range(51)]}, "value"),
    ]
    for form, name in cases:
        answer = add(client, owner, **form)
        assert (answer.status, answer.code) == (400, 2), (form, answer.text)
        assert f"'{name}'" in answer.response, (form, answer.response)
    remove = post(client, "blacklists/remove.json", {"forum": "acme", "access_token": owner})
    assert (remove.code, "'item'" in remove.response) == (2, True)


def test_moderators_only(api, client, forum):
    owner, member = forum["owner"], forum["member"]
    assert add(client, member.access_token, word="x").code == 22
    lister = get(client, "blacklists/list.json", {"forum": "acme", "access_token": member.access_token})
    assert (lister.status, lister.code) == (400, 22)
    by_key = get(client, "blacklists/list.json", {"forum": "acme", "api_key": forum["key"]}, headers=ORIGIN)
    assert by_key.code == 9
    read_only = post(client, "blacklists/add.json", {"forum": "acme", "api_secret": forum["secret"], "word": "x"})
    assert read_only.code == 12
    stranger = register(api, "sam")
    assert add(client, stranger.access_token, word="x").code == 8
    moderate = mint(api, forum["ws"], owner, "comments:moderate")
    by_secret = post(client, "blacklists/add.json", {"forum": "acme", "api_secret": moderate, "word": "x"})
    assert (by_secret.code, by_secret.response[0]["value"]) == (0, "x")
    assert get(client, "blacklists/list.json", {"forum": "nope", "access_token": owner.access_token}).code == 8


def test_list_pages_forward_with_a_cursor(client, forum):
    owner = forum["owner"].access_token
    add(client, owner, word=[f"w{i}" for i in range(5)])
    add(client, owner, word="late")
    seen, cursor = [], None
    while True:
        query = {"forum": "acme", "access_token": owner, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = get(client, "blacklists/list.json", query)
        assert page.code == 0, page.text
        seen += [e["value"] for e in page.response]
        if not page.json["cursor"]["hasNext"]:
            break
        cursor = page.json["cursor"]["next"]
    assert seen[0] == "late" and sorted(seen) == sorted(["late", *[f"w{i}" for i in range(5)]])
    asc = get(client, "blacklists/list.json", {"forum": "acme", "access_token": owner, "order": "asc", "limit": 10})
    assert [e["value"] for e in asc.response][-1] == "late"


def test_entries_judge_the_next_post_in_one_query(client, forum):
    from bench.recorder import Recorder
    from chalicelib.services import comment_rules

    owner, member = forum["owner"].access_token, forum["member"]
    wid = forum["ws"]["id"]
    add(client, owner, word=["darn", "buy now"], ip="10.0.0.0/8", domain="spam.example", user="u-blocked")
    add(client, owner, "whitelists", email="friend@example.com")

    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as calls:
            verdict = comment_rules.evaluate(
                wid, text="Well, DARN it", author_id=member.user_id, author_email=None, ip_address="192.0.2.1"
            )
    finally:
        recorder.uninstall()
    assert [c.operation for c in calls] == ["Query"]
    assert calls[0].computed.read == 0.5  # 7 small entries: one eventually consistent read unit
    assert (verdict.facts, verdict.state, verdict.whitelisted) == (frozenset({4, 8}), "unapproved", False)

    def judge(**kw):
        ask = {"text": "hello", "author_id": None, "author_email": None, "ip_address": None, **kw}
        return comment_rules.evaluate(wid, **ask)

    assert judge() == comment_rules.Verdict()
    assert judge(text="darning socks") == comment_rules.Verdict()
    assert judge(ip_address="10.1.2.3").state == "spam"
    assert judge(author_email="a@mail.SPAM.example").facts == frozenset({8})
    assert judge(author_id="u-blocked", text="darn").state == "spam"
    assert judge(author_email="Friend@example.com", text="darn", ip_address="10.0.0.1") == comment_rules.Verdict(
        whitelisted=True
    )
    post(client, "blacklists/remove.json", {"forum": "acme", "access_token": owner, "word": "darn"})
    assert judge(text="darn") == comment_rules.Verdict()  # nothing cached across calls


def test_costs_of_add_list_and_remove(client, forum):
    """add and remove: slug (GetItem), workspace + membership (BatchGetItem), the list (Query),
    one transaction; list: slug, access, one GSI1 Query."""
    from bench.recorder import Recorder

    owner = forum["owner"].access_token
    query = {"forum": "acme", "access_token": owner}
    recorder = Recorder()
    recorder.install()
    try:
        recorded = []
        for method, path, args in (
            (post, "blacklists/add.json", {"word": ["a", "b", "c"]}),
            (get, "blacklists/list.json", {}),
            (post, "blacklists/remove.json", {"word": "a"}),
        ):
            with recorder.recording() as calls:
                assert method(client, path, {**query, **args}).code == 0
            recorded.append([c for c in calls if c.phase == "handler"])
    finally:
        recorder.uninstall()
    assert [[c.operation for c in calls] for calls in recorded] == [
        ["GetItem", "BatchGetItem", "Query", "TransactWriteItems"],
        ["GetItem", "BatchGetItem", "Query"],
        ["GetItem", "BatchGetItem", "Query", "TransactWriteItems"],
    ]
    writes = [sum(c.computed.write for c in calls) for calls in recorded]
    # Transactional writes cost 2 units an item (3 entries and the counter), GSI1 1 an entry.
    assert (writes[0], writes[2]) == (11.0, 5.0)


def test_the_cap_keeps_evaluate_one_query_of_one_page(client, forum):
    """1,000 entries (both lists) at most: the 1,001st is refused (code 24, "maximum number
    of creations exceeded") and the rules'
    Query still reads every entry in one call, long values and notes included."""
    from bench.recorder import Recorder
    from chalicelib.services import comment_rules
    from chalicelib.store.moderation_lists import MAX_ENTRIES

    owner = forum["owner"].access_token
    notes = "n" * 250
    for batch in range(MAX_ENTRIES // 50):
        words = [f"{batch:02d}{i:02d}" + "w" * 96 for i in range(50)]
        assert add(client, owner, word=words, notes=notes).code == 0
    refused = add(client, owner, "whitelists", email="late@example.com")
    assert (refused.status, refused.code) == (400, 24)
    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording() as calls:
            verdict = comment_rules.evaluate(
                forum["ws"]["id"], text="0001" + "w" * 96, author_id=None, author_email=None, ip_address=None
            )
    finally:
        recorder.uninstall()
    assert verdict.state == "unapproved"
    assert [c.operation for c in calls] == ["Query"]
    print("RCU of evaluate at the cap:", calls[0].computed.read)
    assert calls[0].computed.read < 128  # under 1 MB (eventually consistent: 8 KB a unit)


def test_posts_create_applies_the_lists(client, forum):
    """Through posts/create: a bad word holds the post (not approved), a blacklisted author's
    post is spam, a whitelisted author's bad word passes."""
    from tests.functional.api.disqus.test_posts import new_thread, said

    owner, member = forum["owner"], forum["member"]
    thread = new_thread(client, owner.access_token)["id"]
    add(client, owner.access_token, word="darn")
    held = said(client, member.access_token, thread, "oh darn")
    assert (held["isApproved"], held["isSpam"]) == (False, False)
    fine = said(client, member.access_token, thread, "darning")
    assert (fine["isApproved"], fine["isSpam"]) == (True, False)
    add(client, owner.access_token, user=member.user_id)
    spam = said(client, member.access_token, thread, "hello")
    assert spam["isSpam"] is True
    add(client, owner.access_token, "whitelists", user=member.user_id)
    trusted = said(client, member.access_token, thread, "darn")
    assert (trusted["isApproved"], trusted["isSpam"]) == (True, False)
