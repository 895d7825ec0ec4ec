"""Disqus posts in the notifications pipeline: an answer notifies the author of the post it
answers, and an @mention in a comments thread reaches a member of the forum (nobody joins a
comments thread: its readers are the workspace's members)."""

from __future__ import annotations

from chalicelib.auth.principal import Principal
from chalicelib.services import comment_threads, posts
from chalicelib.services.comment_threads import Lookup
from chalicelib.store.models import Notification


def notified(user_id: str) -> list[tuple[str, str]]:
    return sorted(
        (n.kind, n.message_id) for n in Notification.scan() if isinstance(n, Notification) and n.user_id == user_id
    )


def test_an_answer_and_a_mention_in_a_comments_thread_notify(room):
    ws, jane, bob, carol, pipeline = room
    as_jane, as_bob = (Principal(user_id=u.user_id, kind="session") for u in (jane, bob))
    thread = comment_threads.create(as_jane, ws["slug"], title="Comments").thread
    question = posts.create(as_bob, Lookup(thread_id=thread.id), "A question").post
    answer = posts.create(as_jane, None, "An answer, @carol have a look", parent_id=question.id).post
    held = posts.create(as_jane, Lookup(thread_id=thread.id), "held for @carol", state="unapproved").post
    pipeline.run()
    assert notified(bob.user_id) == [("thread_reply", answer.id)]  # the author of the post answered
    assert notified(carol.user_id) == [("mention", answer.id)]  # a forum member, never joined; not the held post
    assert notified(jane.user_id) == []  # the actor
    assert all(n.message_id != held.id for n in Notification.scan() if isinstance(n, Notification))
