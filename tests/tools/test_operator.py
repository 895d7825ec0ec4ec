from tests.helpers import create_workspace, register
from tools import operator


def test_set_plan(api, capsys):
    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    assert operator.main(["set-plan", ws["id"], "pro"]) == 0
    assert api.get(f"/v1/workspaces/{ws['id']}", token=owner.access_token).data["plan"] == "pro"
    assert "pro plan" in capsys.readouterr().out


def test_set_plan_of_unknown_workspace(api, capsys):
    assert operator.main(["set-plan", "01a2088c-37fa-72c1-8671-8ba9a11937e0", "pro"]) == 1
    assert operator.main(["set-plan", "nope", "pro"]) == 2
    assert "no workspace" in capsys.readouterr().err


def test_repair_reaction_ranks_of_a_channel_and_of_a_workspace(api, capsys):
    """Rank items lost (messages reacted to before the ranking existed): the command sets each
    from its message's counts, per channel or over the workspace's channels."""
    from chalicelib.store import reaction_ranks
    from chalicelib.store.models import ReactionRank

    owner = register(api, "jane")
    ws = create_workspace(api, owner)
    token, channel_id = owner.access_token, ws["generalChannelId"]
    other = api.post(f"/v1/workspaces/{ws['id']}/channels", {"name": "other"}, token=token).data["id"]
    for channel in (channel_id, other):
        sent = api.post(f"/v1/channels/{channel}/messages", {"content": "hi"}, token=token).data
        assert api.post(f"/v1/messages/{sent['id']}/reactions", {"emoji": "🚀"}, token=token).status in (200, 201)

    def ranked(channel: str) -> list[int]:
        return [count for _, count in reaction_ranks.most_reacted(channel, "🚀", limit=5, position=None)[0]]

    def lose_ranks() -> None:
        for rank in ReactionRank.scan():
            rank.delete()

    lose_ranks()
    assert ranked(channel_id) == []
    assert operator.main(["repair-reaction-ranks", "--channel", channel_id]) == 0
    assert ranked(channel_id) == [1] and ranked(other) == []
    lose_ranks()
    assert operator.main(["repair-reaction-ranks", "--workspace", ws["id"]]) == 0
    assert ranked(channel_id) == [1] and ranked(other) == [1]
    assert "2 channels, 2 rank items written" in capsys.readouterr().out


def test_repair_reaction_ranks_refuses_unknown_targets(api, capsys):
    assert operator.main(["repair-reaction-ranks", "--channel", "nope"]) == 2
    assert operator.main(["repair-reaction-ranks", "--workspace", "01a2088c-37fa-72c1-8671-8ba9a11937e0"]) == 1
    assert operator.main(["repair-reaction-ranks", "--channel", "01a2088c-37fa-72c1-8671-8ba9a11937e0"]) == 1
    err = capsys.readouterr().err
    assert "not an id" in err and "no workspace" in err and "no channel" in err
