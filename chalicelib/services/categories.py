"""Disqus categories: labels moderators make for a forum's threads (docs/disqus.md).

- A forum gets its default category, "General" (order 0), at its first categories call
  (create, list, forums/listCategories): no forum is ever seen without one.
- A thread's ``category`` holds a category id of its forum; threads/create without one
  takes the forum's default (none before the forum's first categories call).
- Create: moderators (admins and owners; a token needs ``comments:moderate``). Read: whoever
  reads the forum (``comments:read``: a public key of it, its API tokens, its members).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth import scopes
from chalicelib.auth.principal import Principal
from chalicelib.errors import Conflict, CreationLimit, NotFound, ValidationError
from chalicelib.ids import new_id, now_iso
from chalicelib.services import comment_threads, forums
from chalicelib.store import categories as store
from chalicelib.store import comment_threads as thread_store
from chalicelib.store.errors import ConditionFailed
from chalicelib.store.models import Category, CategoryIndex, Entity, Workspace

DEFAULT_TITLE = "General"
MAX_TITLE = 50
MAX_CATEGORIES = 100


@dataclass(frozen=True)
class Page:
    workspace: Workspace
    categories: list[Category]
    more: bool


def _not_found(category_id: str) -> NotFound:
    return NotFound(f"Unable to find category '{category_id[:64]}'.", field="category")


def _index(found: dict[tuple[str, str], Entity], workspace_id: str) -> CategoryIndex | None:
    index = found.get(store.index_key(workspace_id))
    return index if isinstance(index, CategoryIndex) else None


def _make(workspace: Workspace, title: str, *, default: bool, index: CategoryIndex | None, by: str | None) -> Category:
    """Write one category (order = how many the forum had); ConditionFailed if another
    create changed the index since it was read."""
    count = int(index.count) if index is not None else 0
    if count >= MAX_CATEGORIES:
        raise CreationLimit(f"A forum holds at most {MAX_CATEGORIES} categories.")
    category = store.new_category(
        new_id(),
        workspace.id,
        title=title,
        order=count,
        is_default=default,
        created_by=by,
        created_at=now_iso(),
    )
    store.create(category, index, index.default_id if index is not None else None)
    return category


def _ensure_default(workspace: Workspace, index: CategoryIndex | None) -> tuple[CategoryIndex, Category | None]:
    """The forum's index, making "General" first if the forum has no categories yet (one
    transaction; a concurrent first call made it already: fine)."""
    if index is not None:
        return index, None
    try:
        general = _make(workspace, DEFAULT_TITLE, default=True, index=None, by=None)
    except ConditionFailed:
        return CategoryIndex(count=1), None  # another call made "General" meanwhile
    return CategoryIndex(count=1, default_id=general.id), general


def create(principal: Principal, forum: str, title: str, *, default: bool) -> tuple[Workspace, Category]:
    title = " ".join(title.split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise ValidationError(f"is 1 to {MAX_TITLE} characters.", field="title")
    workspace_id = forums.workspace_id_of(forum)
    workspace, _, found = forums.moderated_in(principal, workspace_id, [store.index_key(workspace_id)])
    index, _ = _ensure_default(workspace, _index(found, workspace_id))
    if index.default_id is None:  # made by a concurrent call: read what it wrote
        index = store.get_index(workspace.id) or index
    try:
        return workspace, _make(workspace, title, default=default, index=index, by=principal.user_id)
    except ConditionFailed:
        raise Conflict("Someone added a category at the same moment: retry.") from None


def details(principal: Principal, category_id: str) -> tuple[Workspace, Category]:
    """The category (GetItem) if the caller reads its forum (one BatchGetItem)."""
    category = store.get(category_id) if category_id else None
    if category is None:
        raise _not_found(category_id)
    try:
        workspace, _, _ = forums.access(principal, category.workspace_id, scopes.COMMENTS_READ)
    except NotFound:
        raise _not_found(category_id) from None
    return workspace, category


def list_categories(
    principal: Principal, forum: str, *, newest_first: bool, from_ms: int | None, skip: int, limit: int
) -> Page:
    """A page in creation order (= ``order``): slug (GetItem), access and the forum's index
    (one BatchGetItem), one GSI1 Query; a forum without categories gets "General" instead
    of the Query (one transaction)."""
    workspace_id = forums.workspace_id_of(forum)
    workspace, _, found = forums.access(principal, workspace_id, scopes.COMMENTS_READ, [store.index_key(workspace_id)])
    index = _index(found, workspace_id)
    if index is None:
        _, general = _ensure_default(workspace, None)
        if general is not None:
            return Page(workspace, [general] if from_ms is None else [], False)
    categories, more = store.list_page(workspace_id, newest_first=newest_first, from_ms=from_ms, skip=skip, limit=limit)
    return Page(workspace, categories, more)


def list_threads(
    principal: Principal, category_id: str, *, newest_first: bool, from_ms: int | None, skip: int, limit: int
) -> tuple[Workspace, list[str], list[comment_threads.Found], bool]:
    """The category's threads in creation order: the category (GetItem), access (one
    BatchGetItem), its references (one Query), the threads (one BatchGetItem). Returns the
    thread ids read (the cursor moves past them) and the threads shown: removed threads
    (archived channels) are left out, so a page may show fewer than ``limit``."""
    workspace, _ = details(principal, category_id)
    ids, more = store.thread_ids_page(category_id, newest_first=newest_first, from_ms=from_ms, skip=skip, limit=limit)
    threads = thread_store.get_many(ids) if ids else {}
    shown = [
        comment_threads.Found(threads[i], workspace, None)
        for i in ids
        if i in threads and threads[i].channel_type == comment_threads.COMMENTS and not threads[i].archived
    ]
    return workspace, ids, shown, more


def resolve(found: dict[tuple[str, str], Entity], workspace: Workspace, category_id: str | None) -> str | None:
    """The category a new thread goes in, from what ``more_keys`` read with the access
    check: the one named (it must be this forum's: else code 2 naming category), else the
    forum's default. A forum's first thread makes "General" if no categories call has (one
    transaction, once per forum): a Disqus thread always has a category."""
    workspace_id = workspace.id
    if category_id is None:
        index, _ = _ensure_default(workspace, _index(found, workspace_id))
        if index.default_id is None:  # made by a concurrent call: read what it wrote
            index = store.get_index(workspace_id) or index
        return index.default_id
    category = found.get(store.key(category_id))
    if not isinstance(category, Category) or category.workspace_id != workspace_id:
        raise ValidationError(f"Unable to find category '{category_id[:64]}' in this forum.", field="category")
    return category.id


def more_keys(workspace_id: str, category_id: str | None) -> list[tuple[str, str]]:
    """What ``resolve`` needs, read in the thread's access BatchGetItem (no extra call)."""
    return [store.key(category_id)] if category_id else [store.index_key(workspace_id)]


def check(workspace_id: str, category_id: str) -> str:
    """A category id of this forum (one GetItem), for threads/update; else code 2."""
    category = store.get(category_id) if category_id else None
    if category is None or category.workspace_id != workspace_id:
        raise ValidationError(f"Unable to find category '{category_id[:64]}' in this forum.", field="category")
    return category.id
