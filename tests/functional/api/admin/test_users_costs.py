"""What each Admin v2 user route costs in DynamoDB calls (bench/recorder.py, the handler's
calls; authentication is cached per warm Lambda): the figures in docs/admin-v2.md."""

from __future__ import annotations

from tests.functional.api.admin.test_costs import ops
from tests.functional.api.admin.test_users import flag


def test_calls_per_user_route(console, recorder):
    flag(console, console.bob, console.alice)
    with recorder.recording() as listed:
        console.call("GET", "/api/v2/users", {"limit": 10})
    # The admin check; the memberships' Query; the page's profiles and flag summaries.
    assert ops(listed) == ["BatchGetItem", "Query", "BatchGetItem"], ops(listed)
    with recorder.recording() as flagged:
        console.call("GET", "/api/v2/users", {"filter": "flagged"})
    assert ops(flagged) == ["BatchGetItem", "Query", "BatchGetItem"], ops(flagged)
    with recorder.recording() as searched:
        console.call("GET", "/api/v2/users", {"search": "ali"})
    # Four members: one Query of 100 reads them all (a larger workspace: one Query and one
    # BatchGetItem per 100 members read, at most 1,000 a page).
    assert ops(searched) == ["BatchGetItem", "Query", "BatchGetItem"], ops(searched)
    with recorder.recording() as updated:
        console.call("PUT", "/api/v2/users", {"userId": console.alice.user_id, "displayName": "A"})
    # The admin check; the Membership's UpdateItem; the answer's user, membership and summary.
    assert ops(updated) == ["BatchGetItem", "UpdateItem", "BatchGetItem"], ops(updated)
    with recorder.recording() as banned:
        console.call("POST", "/api/v2/users/ban", {"userId": console.alice.user_id})
    # The admin check; the users' memberships; the Membership and member.banned (one
    # transaction); her channel memberships (GSI1 Query: #general) and one UpdateItem each (the
    # first 100: the activity worker does the rest); her realtime subscriptions here (GSI1 Query,
    # none: nothing to delete); the answer.
    assert ops(banned) == [
        "BatchGetItem",
        "BatchGetItem",
        "TransactWriteItems",
        "Query",
        "UpdateItem",
        "Query",
        "BatchGetItem",
    ], ops(banned)
    with recorder.recording() as cleared:
        console.call("DELETE", f"/api/v2/users/{console.alice.user_id}/flags")
    # The admin check; the user; the USERFLAG Query; BatchWriteItem; the summary's DeleteItem.
    assert ops(cleared) == ["BatchGetItem", "BatchGetItem", "Query", "BatchWriteItem", "DeleteItem"], ops(cleared)
