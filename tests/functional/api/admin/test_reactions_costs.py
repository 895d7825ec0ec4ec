"""What reactions and the most-reacted ranking cost (bench/recorder.py: the handler's DynamoDB
calls and write units, indexes included): the figures in docs/admin-v2.md."""

from __future__ import annotations

from tests.functional.api.admin.test_channels import create as create_channel
from tests.functional.api.admin.test_messages import say
from tests.functional.api.admin.test_reactions import THUMBS, most, react


def handler(calls):
    return [c for c in calls if c.phase == "handler"]


def transaction_of(calls):
    (write,) = [c for c in handler(calls) if c.operation == "TransactWriteItems"]
    return write.computed


def test_what_a_reaction_and_the_ranking_cost(console, recorder):
    create_channel(console, "lobby", userIds=[console.alice.user_id])
    message_id = say(console, "hello")["messageId"]
    with recorder.recording() as first:
        assert react(console, message_id).status == 200
    with recorder.recording() as second:
        answer = console.api.post(
            f"/v1/messages/{message_id}/reactions", {"emoji": THUMBS}, token=console.alice.access_token
        )
        assert answer.status in (200, 201), answer.body
    with recorder.recording() as withdrawn:
        assert react(console, message_id, method="DELETE").status == 200
    with recorder.recording() as last:
        console.api.delete(f"/v1/messages/{message_id}/reactions/{THUMBS}", token=console.alice.access_token)
    appear, move, down, gone = (transaction_of(c) for c in (first, second, withdrawn, last))
    print("WCU per reaction (total, of it indexes):", [(c.write, c.index_write) for c in (appear, move, down, gone)])
    # The transaction: the reaction item (2), the message (2 per KB, transactional), the rank item
    # (2: under 1 KB). GSI6: 1 write when the rank item appears or goes, 2 when its count moves.
    for cost in (appear, move, down, gone):
        assert cost.write - cost.index_write >= 6
    assert (appear.index_write, move.index_write, down.index_write, gone.index_write) == (1, 2, 2, 1)
    # v1's reaction alone was 4 (reaction 2, message 2): the ranking adds 3 or 4.
    assert (appear.write, move.write, down.write, gone.write) == (7, 8, 8, 7)

    with recorder.recording() as ranked:
        assert most(console).status == 200
    # the admin check, the channel by name (claim, channel and memberships), the GSI6 Query,
    # the page's messages, the creators' profiles
    operations = [c.operation for c in handler(ranked)]
    assert operations.count("Query") == 1 and "Scan" not in operations, operations
    (query,) = [c for c in handler(ranked) if c.operation == "Query"]
    assert query.computed.read <= 0.5  # a page of small rank items, eventually consistent


def test_a_messages_window_is_a_query_per_page(console, recorder):
    create_channel(console, "lobby")
    for index in range(5):
        say(console, f"m{index}")
    with recorder.recording() as listed:
        reply = console.call("POST", "/api/v2/messages", {"channelId": "lobby", "options": {"last": 3}})
        assert reply.status == 200
    operations = [c.operation for c in handler(listed)]
    assert operations.count("Query") == 1 and "Scan" not in operations, operations
    with recorder.recording() as created:
        say(console, "one more")
    # find the channel (claim, channel and memberships), send's channel and membership, v1's one
    # PutItem, the creator's profile
    assert [c.operation for c in handler(created)] == [
        "BatchGetItem",
        "GetItem",
        "BatchGetItem",
        "BatchGetItem",
        "PutItem",
        "BatchGetItem",
    ]
    print("calls: query", operations, "create", [c.operation for c in handler(created)])


def test_what_get_delete_and_the_ranking_read_cost(console, recorder):
    create_channel(console, "lobby")
    message_id = say(console, "hello")["messageId"]
    react(console, message_id)
    with recorder.recording() as got:
        console.call("GET", f"/api/v2/message/{message_id}")
    with recorder.recording() as ranked:
        most(console)
    with recorder.recording() as deleted:
        console.call("DELETE", f"/api/v2/message/{message_id}")
    # admin check; the message by id (GSI2, then the message with memberships); its channel's
    # name; the creator's profile
    assert [c.operation for c in handler(got)] == [
        "BatchGetItem",
        "Query",
        "BatchGetItem",
        "BatchGetItem",
        "BatchGetItem",
    ]
    # the channel by name (3); GSI6; the page's messages; the creators' profiles
    assert [c.operation for c in handler(ranked)] == [
        "BatchGetItem",
        "GetItem",
        "BatchGetItem",
        "Query",
        "BatchGetItem",
        "BatchGetItem",
    ]
    # admin check; the message as it was (2); v1's delete: the message again (2), its pin, the
    # transaction; the bundle's channel name and profile
    assert [c.operation for c in handler(deleted)] == [
        "BatchGetItem",
        "Query",
        "BatchGetItem",
        "Query",
        "BatchGetItem",
        "Query",
        "TransactWriteItems",
        "BatchGetItem",
        "BatchGetItem",
    ]
