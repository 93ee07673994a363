"""`node(id:)` and `nodes(ids:)`: any object by its global id (Relay's object
identification), scoped like the object's own query."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain.access import Read
from resolvers import node as resolve
from resolvers.context import Context
from schema.access import allowed, viewer_of
from schema.csa import Csa
from schema.document import Document
from schema.event import ContractEvent
from schema.ids import Node
from schema.obligation import ObligationOccurrence
from schema.party import Agent, Client
from schema.sow import Sow

# Each node type's conversion from its domain object.
CONVERT: Mapping[str, Callable[[Any], Node]] = {
    "Client": Client.from_domain,
    "Agent": Agent.from_domain,
    "Sow": Sow.from_domain,
    "Csa": Csa.from_domain,
    "Document": Document.from_domain,
    "ObligationOccurrence": ObligationOccurrence.from_domain,
    "ContractEvent": ContractEvent.from_domain,
}


def _converted(found: tuple[str, object] | None) -> Node | None:
    return None if found is None else CONVERT[found[0]](found[1])


@strawberry.type
class NodeQueries:
    @strawberry.field(
        permission_classes=allowed(Read.NODE),
        description="The object of a global id, or null: none, or not one the viewer may see "
        "(exactly what its type's own query shows).",
    )
    async def node(
        self,
        info: Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> Node | None:
        return _converted(await resolve.node(info.context, viewer_of(info), id))

    @strawberry.field(
        permission_classes=allowed(Read.NODE),
        description="`node` of each id, in order, read together; at most as many ids as a page "
        "holds.",
    )
    async def nodes(
        self,
        info: Info[Context, Any],
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global ids.")],
    ) -> list[Node | None]:
        found = await resolve.nodes(info.context, viewer_of(info), list(ids))
        return [_converted(item) for item in found]
