"""The `Node` interface: every object with an id names it by a global id (`domain.ids`),
which `node(id:)` fetches again; the raw id stays on the object for its resolvers."""

from __future__ import annotations

import strawberry

from domain import ids
from domain.events import EntityType


@strawberry.interface(
    description="An object with a global id, opaque and stable: `node(id:)` fetches it again."
)
class Node:
    id: strawberry.ID = strawberry.field(
        description="Global: names this object and its type. Arguments taking an id take it."
    )
    # The database's id (an event's seq): what resolvers and storage use.
    raw_id: strawberry.Private[str]


def node_type_name(cls: type[Node]) -> str:
    """The GraphQL name of a `Node` type: the type its global ids say."""
    name: str = cls.__strawberry_definition__.name  # type: ignore[attr-defined]
    return name


def global_id(type_name: str, raw: str) -> strawberry.ID:
    return strawberry.ID(ids.global_id(type_name, raw))


def optional_global_id(type_name: str, raw: str | None) -> strawberry.ID | None:
    return None if raw is None else global_id(type_name, raw)


# The node type of a SOW's or CSA's id in events, copies and matches.
ENTITY_TYPES = {EntityType.SOW: "Sow", EntityType.CSA: "Csa"}


def entity_id(entity_type: EntityType | None, raw: str | None) -> strawberry.ID | None:
    """The global id of the SOW or CSA an event or a document is of."""
    if entity_type is None or raw is None:
        return None
    return global_id(ENTITY_TYPES[entity_type], raw)
