"""Contract events: the audit log, as a paged query and per document."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain.access import Read
from domain.events import Event
from domain.ids import optional_typed_id
from resolvers import event as resolve
from resolvers.context import Context
from resolvers.paging import window
from schema.access import allowed, viewer_of
from schema.connection import After, Before, Connection, Last, PageSize
from schema.enums import ContractStatus, EntityType, EventType
from schema.ids import ENTITY_TYPES, Node, entity_id
from schema.mapping import from_fields
from schema.terms import Actor

# What an event's `entityId` may name.
ENTITIES = tuple(ENTITY_TYPES.values())


@strawberry.type(
    description="One state change of a SOW, a CSA or a SOW's obligation occurrence: the "
    "audit log, and what `contractEvents` delivers live."
)
class ContractEvent(Node):
    id: strawberry.ID = strawberry.field(
        description="The event's global id, also a cursor: pass it as `after` to `events` or "
        "`contractEvents` to resume after it."
    )
    type: EventType = strawberry.field(description="What happened.")
    entity_type: EntityType = strawberry.field(
        description="The kind of document it happened to (an occurrence's events are its SOW's)."
    )
    entity_id: strawberry.ID = strawberry.field(description="The SOW's or CSA's global id.")
    from_status: ContractStatus | None = strawberry.field(
        description="The status before: the document's, or the occurrence's for the "
        "OBLIGATION_* events; null when it was created or opened."
    )
    to_status: ContractStatus | None = strawberry.field(
        description="The status after; equal to fromStatus when the event changed no status "
        "(TERMS_UPDATED, SLA_BREACHED, ...)."
    )
    version: int = strawberry.field(
        description="The number of the terms version the event concerns."
    )
    actor: Actor = strawberry.field(description="Who did it: a user, or the scheduler.")
    at: datetime = strawberry.field(description="When it happened.")
    reason: str | None = strawberry.field(
        description="Why, as the actor gave it (a rejection, termination, breach, renewal "
        "recommendation); null when none applies."
    )
    recipient: str | None = strawberry.field(
        description="FINAL_COPY_DELIVERED only: the party the final copy went to; else null."
    )

    @staticmethod
    def from_domain(event: Event) -> ContractEvent:
        return from_fields(
            ContractEvent,
            event,
            entity_id=entity_id(event.entity_type, event.entity_id),
            actor=Actor.from_domain(event.actor),
            from_status=_status(event.from_status),
            to_status=_status(event.to_status),
        )


def _status(value: str | None) -> ContractStatus | None:
    return None if value is None else ContractStatus(value)


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


EntityId = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Only the events of this SOW or CSA; null: all."),
]


@strawberry.type
class EventQueries:
    @strawberry.field(
        permission_classes=allowed(Read.EVENTS),
        description="The events the viewer may see, oldest first: compliance every one, a "
        "client its SOWs', an agent their CSAs'.",
    )
    async def events(
        self,
        info: Info[Context, Any],
        entity_id: EntityId = None,
        after: After = None,
        first: PageSize = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ContractEvent]:
        entity = optional_typed_id(entity_id, ENTITIES, "entityId")
        raw = None if entity is None else entity.raw
        return await event_connection(info, raw, after, first, last, before)


@strawberry.type(
    name="Subscription",
    description="Live feeds over WebSocket (`graphql-transport-ws`).",
)
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
        entity_id: EntityId = None,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The `id` of the last event received: those since it come first. "
                "Null: live events only."
            ),
        ] = None,
    ) -> AsyncGenerator[ContractEvent]:
        entity = optional_typed_id(entity_id, ENTITIES, "entityId")
        stream = resolve.contract_events(info.context, viewer_of(info), entity, after)
        # Closing this stream (the client completed, or disconnected) closes the resolver's.
        async with aclosing(stream):
            async for event in stream:
                yield ContractEvent.from_domain(event)
