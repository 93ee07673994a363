"""The event log as each viewer may read it."""

from __future__ import annotations

from domain.errors import BadUserInput
from domain.events import EntityType, Event
from domain.party import Role, Viewer
from resolvers.context import Context
from resolvers.paging import page_size
from storage.events import EventScope


def event_scope(viewer: Viewer) -> EventScope:
    """A client reads its SOWs' events, an agent their CSAs' events, compliance all."""
    match viewer.role:
        case Role.CLIENT:
            return EventScope(EntityType.SOW, client_id=viewer.client_id)
        case Role.AGENT:
            return EventScope(EntityType.CSA, agent_id=viewer.agent_id)
        case Role.COMPLIANCE:
            return EventScope()


def parse_cursor(after: str | None) -> int | None:
    if after is None:
        return None
    if not after.isdigit() or len(after) > 18:
        raise BadUserInput("after: not an event cursor", field="after")
    return int(after)


async def events(
    ctx: Context, viewer: Viewer, entity_id: str | None, after: str | None, first: int | None
) -> tuple[list[Event], bool]:
    """A page of events after `after` (oldest first), and whether more follow."""
    limit = page_size(ctx, first)
    found = await ctx.store.events.page(
        event_scope(viewer), entity_id, parse_cursor(after), limit + 1
    )
    return found[:limit], len(found) > limit


async def count_events(ctx: Context, viewer: Viewer, entity_id: str | None) -> int:
    return await ctx.store.events.count(event_scope(viewer), entity_id)
