"""Who gets a notification: the rules of chalicelib/services/notifications.py, no I/O."""

import pytest

from chalicelib.services.notifications import LEVEL_KINDS, reached_by, wants
from chalicelib.store.models import ChannelMember, User


def _user(user_id="u1", status="online", **notifications):
    return User(id=user_id, status=status, preferences={"notifications": notifications} if notifications else None)


def _member(level=None):
    return ChannelMember(user_id="u1", notifications=level)


@pytest.mark.parametrize("kind", ["mention", "channel_mention", "thread_reply"])
def test_channel_kinds_need_a_channel_membership(kind):
    assert wants(kind, _user(), _member(), actor_id="actor") is True
    assert wants(kind, _user(), None, actor_id="actor") is False


def test_never_the_actor_nor_a_missing_account():
    assert wants("mention", _user("actor"), _member(), actor_id="actor") is False
    assert wants("mention", None, _member(), actor_id="actor") is False
    assert wants("invite", _user("actor"), None, actor_id="actor") is False


def test_mute_all_mutes_every_kind():
    for kind in ("mention", "channel_mention", "thread_reply", "reaction", "invite"):
        assert wants(kind, _user(muteAll=True, reactions=True), _member(), actor_id="a") is False


def test_reactions_are_off_by_default():
    assert wants("reaction", _user(), _member(), actor_id="a") is False
    assert wants("reaction", _user(reactions=True), _member(), actor_id="a") is True


def test_invites_need_no_channel():
    assert wants("invite", _user(), None, actor_id="a") is True


@pytest.mark.parametrize(
    ("level", "allowed"),
    [
        (None, {"mention", "channel_mention", "thread_reply", "reaction"}),
        ("all", {"mention", "channel_mention", "thread_reply", "reaction"}),
        ("mentions", {"mention", "channel_mention"}),
        ("none", set()),
    ],
)
def test_the_channel_setting(level, allowed):
    user = _user(reactions=True)
    got = {
        k
        for k in ("mention", "channel_mention", "thread_reply", "reaction")
        if wants(k, user, _member(level), actor_id="a")
    }
    assert got == allowed
    assert set(LEVEL_KINDS) == {"all", "mentions", "none"}


@pytest.mark.parametrize(
    ("special", "status", "reached"),
    [
        (["channel"], "away", True),
        (["channel"], "dnd", True),
        (["here"], "online", True),
        (["here"], "invisible", True),
        (["here"], "away", False),
        (["here"], "dnd", False),
        (["here", "channel"], "dnd", True),
        ([], "online", False),
    ],
)
def test_at_channel_reaches_everyone_at_here_only_the_present(special, status, reached):
    assert reached_by(special, _user(status=status)) is reached
