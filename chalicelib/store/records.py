"""Turning a stream image (DynamoDB JSON) back into the entity it was."""

from __future__ import annotations

from typing import Any

from chalicelib.store.models import Entity


def entity(image: dict[str, Any]) -> Entity:
    """The model instance of a stream image (the discriminator picks the class)."""
    return Entity.from_raw_data(image)
