"""Domain objects to GraphQL objects: each type's `from_domain` names what it converts
(nested types, ids, computed values) and takes every other field by name, as Strawberry's
Pydantic integration does; tests/test_terms_types.py checks the terms types' names against
the domain's models."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import TYPE_CHECKING

from schema.ids import Node, global_id, node_type_name

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def from_fields[T: DataclassInstance](cls: type[T], source: object, /, **converted: object) -> T:
    """The GraphQL object `cls` of `source`: each field `converted` gives, else `source`'s
    attribute of the same name; a `Node`'s `id` is the global id of `source.id`."""
    if issubclass(cls, Node) and "id" not in converted:
        raw = str(getattr(source, "id"))  # noqa: B009  (`source` is any domain object)
        converted["id"] = global_id(node_type_name(cls), raw)
        converted["raw_id"] = raw
    for name in _taken(cls):
        if name not in converted:
            converted[name] = getattr(source, name)
    return cls(**converted)


@cache
def _taken(cls: type[DataclassInstance]) -> tuple[str, ...]:
    # Fields with a resolver are computed when selected, never set.
    return tuple(field.name for field in dataclasses.fields(cls) if field.init)
