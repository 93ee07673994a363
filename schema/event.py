"""Contract events: the audit log, as a paged query and per document."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from domain.access import Read
from domain.events import Event
from domain.ids import optional_raw_id
from resolvers import event as resolve
from resolvers.context import Context
from resolvers.paging import window
from schema.access import allowed, viewer_of
from schema.connection import Before, Connection, Last, PageSize
from schema.enums import EntityType, EventType
from schema.ids import ENTITY_TYPES, Node, entity_id
from schema.mapping import from_fields
from schema.terms import Actor

# What an event's `entityId` may name.
ENTITIES = tuple(ENTITY_TYPES.values())


@strawberry.type(description="One state change. `id` is also its cursor.")
class ContractEvent(Node):
    id: strawberry.ID
    type: EventType
    entity_type: EntityType
    entity_id: strawberry.ID
    from_status: str | None
    to_status: str | None
    version: int = strawberry.field(description="Terms version the event concerns.")
    actor: Actor
    at: datetime
    reason: str | None
    recipient: str | None = strawberry.field(
        description="FINAL_COPY_DELIVERED: the party the final copy went to."
    )

    @staticmethod
    def from_domain(event: Event) -> ContractEvent:
        return from_fields(
            ContractEvent,
            event,
            entity_id=entity_id(event.entity_type, event.entity_id),
            actor=Actor.from_domain(event.actor),
        )


async def event_connection(
    info: Info[Context, Any],
    entity_id: str | None,
    after: str | None,
    first: int | None,
    last: int | None,
    before: str | None,
) -> Connection[ContractEvent]:
    ctx, viewer = info.context, viewer_of(info)
    page = await resolve.events(ctx, viewer, entity_id, window(ctx, first, after, last, before))

    async def count() -> int:
        return await resolve.count_events(ctx, viewer, entity_id)

    return Connection.of(page, count, ContractEvent.from_domain)


@strawberry.type
class EventQueries:
    @strawberry.field(
        permission_classes=allowed(Read.EVENTS), description="Oldest first, after a cursor."
    )
    async def events(
        self,
        info: Info[Context, Any],
        entity_id: strawberry.ID | None = None,
        after: str | None = None,
        first: PageSize = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ContractEvent]:
        entity = optional_raw_id(entity_id, ENTITIES, "entityId")
        return await event_connection(info, entity, after, first, last, before)


@strawberry.type(name="Subscription")
class EventSubscription:
    @strawberry.subscription(
        permission_classes=allowed(Read.LIVE_EVENTS),
        description=(
            "The events the viewer may see, live. With `after` (an event cursor), first "
            "those since it, then live: none twice, none lost."
        ),
    )
    async def contract_events(
        self,
        info: Info[Context, Any],
        entity_id: strawberry.ID | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[ContractEvent]:
        entity = optional_raw_id(entity_id, ENTITIES, "entityId")
        stream = resolve.contract_events(info.context, viewer_of(info), entity, after)
        # Closing this stream (the client completed, or disconnected) closes the resolver's.
        async with aclosing(stream):
            async for event in stream:
                yield ContractEvent.from_domain(event)
