"""OAuth apps and their installations.

``APP#id`` / ``META`` is the app; ``APP#id`` / ``INSTALL#wid`` its installation in a workspace
(so every installation of an app is one Query); both are listed per workspace through GSI1
(``WS#wid`` / ``APP#id`` and ``WS#wid`` / ``INSTALL#app``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.store import keys
from chalicelib.store.db import fetch, set_or_remove, transaction, update_existing
from chalicelib.store.errors import ConditionFailed, TransactionCancelled
from chalicelib.store.models import App, Entity, Event, Installation
from chalicelib.store.pages import Page, query_page


def new_app(app_id: str, workspace_id: str, **attributes: Any) -> App:
    return App(
        keys.app(app_id),
        keys.META,
        GSI1PK=keys.workspace(workspace_id),
        GSI1SK=keys.app(app_id),
        id=app_id,
        workspace_id=workspace_id,
        **attributes,
    )


def new_installation(app_id: str, workspace_id: str, **attributes: Any) -> Installation:
    return Installation(
        keys.app(app_id),
        keys.installation(workspace_id),
        GSI1PK=keys.workspace(workspace_id),
        GSI1SK=keys.installation_ref(app_id),
        app_id=app_id,
        workspace_id=workspace_id,
        **attributes,
    )


def create(app: App, installation: Installation, event: Event) -> None:
    """The app, its installation in its own workspace and the event, together."""
    with transaction() as tx:
        tx.save(app, condition=App.PK.does_not_exist())
        tx.save(installation)
        tx.save(event)


def get(app_id: str) -> App | None:
    return fetch(App, keys.app(app_id), keys.META)


def list_for_workspace(workspace_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[App]:
    return query_page(
        App,
        keys.workspace(workspace_id),
        App.GSI1SK.startswith(keys.APP_PREFIX),
        index="GSI1",
        limit=limit,
        position=position,
    )


def update(app: App, changes: dict[str, Any], event: Event | None = None) -> None:
    """Set (None: remove) attributes, with the event if one is given; ConditionFailed if
    the app is gone."""
    if event is None:
        update_existing(app, set_or_remove(App, changes))
        return
    try:
        with transaction() as tx:
            tx.update(app, set_or_remove(App, changes), condition=App.PK.exists())
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def delete(app: App, event: Event) -> None:
    """The app record and its event; ConditionFailed if already gone. Installations and grants
    are removed by the caller (``installations_of``, ``store.oauth.grants_of``)."""
    try:
        with transaction() as tx:
            tx.delete(app, condition=App.PK.exists())
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def get_installation(app_id: str, workspace_id: str) -> Installation | None:
    return fetch(Installation, keys.app(app_id), keys.installation(workspace_id))


def get_many(app_ids: list[str]) -> dict[str, App]:
    """Apps by id in one BatchGetItem (a page of installations names its apps)."""
    wanted = [(keys.app(app_id), keys.META) for app_id in dict.fromkeys(app_ids)]
    return {app.id: app for app in App.batch_get(wanted)} if wanted else {}


def get_with_installation(app_id: str, workspace_id: str) -> tuple[App | None, Installation | None]:
    """The app and its installation in a workspace in one BatchGetItem."""
    found = {
        item.SK: item
        for item in Entity.batch_get(
            [(keys.app(app_id), keys.META), (keys.app(app_id), keys.installation(workspace_id))]
        )
    }
    app, installation = found.get(keys.META), found.get(keys.installation(workspace_id))
    return (
        app if isinstance(app, App) else None,
        installation if isinstance(installation, Installation) else None,
    )


def install(installation: Installation, event: Event) -> None:
    """Put (or replace: a re-install may approve other scopes) the installation, with its event."""
    with transaction() as tx:
        tx.save(installation)
        tx.save(event)


def uninstall(installation: Installation, event: Event) -> None:
    """ConditionFailed if it is already gone."""
    try:
        with transaction() as tx:
            tx.delete(installation, condition=Installation.PK.exists())
            tx.save(event)
    except TransactionCancelled:
        raise ConditionFailed() from None


def list_installations(workspace_id: str, *, limit: int, position: dict[str, Any] | None) -> Page[Installation]:
    return query_page(
        Installation,
        keys.workspace(workspace_id),
        Installation.GSI1SK.startswith(keys.INSTALLATION_PREFIX),
        index="GSI1",
        limit=limit,
        position=position,
    )


def installations_of(app_id: str) -> Iterator[Installation]:
    """Every installation of an app (one Query a page), for deleting the app."""
    for item in Installation.query(keys.app(app_id), Installation.SK.startswith(keys.INSTALLATION_PREFIX)):
        if isinstance(item, Installation):
            yield item


def installations_in(app_id: str, workspace_ids: list[str]) -> dict[str, Installation]:
    """The app's installations among these workspaces (workspace id -> installation), in one
    BatchGetItem: the consent page's workspace picker."""
    if not workspace_ids:
        return {}
    wanted = [(keys.app(app_id), keys.installation(wid)) for wid in dict.fromkeys(workspace_ids)]
    return {item.workspace_id: item for item in Entity.batch_get(wanted) if isinstance(item, Installation)}
