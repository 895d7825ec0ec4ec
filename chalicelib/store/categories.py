"""Disqus categories of a forum, and the threads in each.

- ``CATEGORY#<id>`` / ``META``: a category (found by id alone, as categories/details asks),
  listed per forum through GSI1 ``WS#wid#CATEGORIES`` / ``<id>`` (UUIDv7: creation order).
- ``WS#wid`` / ``CATEGORIES``: the forum's index: how many categories (the next ``order``)
  and which is the default. Every create changes it in its transaction, on the condition
  that it is as read: two creates at once cannot give one ``order`` twice, nor two defaults.
- ``CATTHREADS#<categoryId>`` / ``<threadId>``: a thread in a category, written in the
  thread's own create and update transactions (store/comment_threads.py), so a category's
  threads are one Query of a key that holds only them, newest first.
"""

from __future__ import annotations

from chalicelib.store import keys
from chalicelib.store.db import fetch, transaction
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import Category, CategoryIndex, CategoryThread
from chalicelib.store.time_pages import uuid7_page


def key(category_id: str) -> tuple[str, str]:
    return keys.category(category_id), keys.META


def index_key(workspace_id: str) -> tuple[str, str]:
    return keys.workspace(workspace_id), keys.CATEGORY_INDEX


def new_category(category_id: str, workspace_id: str, **attributes: object) -> Category:
    return Category(
        *key(category_id),
        GSI1PK=keys.forum_categories(workspace_id),
        GSI1SK=category_id,
        id=category_id,
        workspace_id=workspace_id,
        **attributes,
    )


def get(category_id: str) -> Category | None:
    return fetch(Category, *key(category_id))


def get_index(workspace_id: str) -> CategoryIndex | None:
    return fetch(CategoryIndex, *index_key(workspace_id))


def create(category: Category, index: CategoryIndex | None, previous_default: str | None) -> None:
    """The category and the index's new count (and default) in one transaction, on the
    condition that the index is still ``index`` (None: absent); a new default clears the
    previous one's flag. ConditionFailed when another create came first."""
    count = int(index.count) if index is not None else 0
    changes = [CategoryIndex.count.set(count + 1), CategoryIndex.type.set(CategoryIndex)]
    if category.is_default:
        changes.append(CategoryIndex.default_id.set(category.id))
    unchanged = CategoryIndex.PK.does_not_exist() if index is None else CategoryIndex.count == count
    try:
        with transaction() as tx:
            tx.save(category, condition=Category.PK.does_not_exist())
            tx.update(CategoryIndex(*index_key(category.workspace_id)), actions=changes, condition=unchanged)
            if category.is_default and previous_default:
                previous = Category(*key(previous_default))
                tx.update(previous, actions=[Category.is_default.set(False)], condition=Category.PK.exists())
    except TransactionCancelled:
        raise ConditionFailed() from None


def list_page(
    workspace_id: str, *, newest_first: bool, from_ms: int | None, skip: int, limit: int
) -> tuple[list[Category], bool]:
    """One GSI1 Query of the forum's categories in creation order (store/time_pages.py)."""
    return uuid7_page(
        Category,
        keys.forum_categories(workspace_id),
        index="GSI1",
        newest_first=newest_first,
        from_ms=from_ms,
        skip=skip,
        limit=limit,
    )


def thread_ref(category_id: str, thread_id: str, workspace_id: str) -> CategoryThread:
    return CategoryThread(keys.category_threads(category_id), thread_id, thread_id=thread_id, workspace_id=workspace_id)


def thread_ids_page(
    category_id: str, *, newest_first: bool, from_ms: int | None, skip: int, limit: int
) -> tuple[list[str], bool]:
    """One Query of the category's thread references, by thread id (creation order)."""
    refs, more = uuid7_page(
        CategoryThread,
        keys.category_threads(category_id),
        index=None,
        newest_first=newest_first,
        from_ms=from_ms,
        skip=skip,
        limit=limit,
    )
    return [r.thread_id for r in refs], more
