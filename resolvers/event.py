"""The event log as each viewer may read it: a page of it, or followed live."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from domain.errors import ConcurrencyLimited
from domain.events import Event
from domain.ids import TypedId
from domain.party import Viewer
from domain.scope import Scope
from live.subscription import follow
from resolvers.context import Context, utc_now
from storage.leases import RETRY_AFTER_SECONDS, Held
from storage.pages import Page, Window


async def events(
    ctx: Context, viewer: Viewer, entity_id: str | None, window: Window
) -> Page[Event]:
    """A page of the viewer's events (`entity_id`'s, or all), oldest first."""
    return await ctx.store.events.window(Scope.of(viewer), entity_id, window)


async def count_events(ctx: Context, viewer: Viewer, entity_id: str | None) -> int:
    return await ctx.store.events.count(Scope.of(viewer), entity_id)


async def contract_events(
    ctx: Context, viewer: Viewer, entity: TypedId | None, after: str | None
) -> AsyncGenerator[Event]:
    """The viewer's events after `after`, then live (`live.subscription.follow`), delivered
    straight to the connection when the transport runs this operation (`ctx.operation`).

    Each holds one of its subject's `subscriptions_per_subject` places, counted across
    every process, for as long as it runs."""
    assert ctx.live is not None, "subscriptions need the process's live events"
    maximum = ctx.limits.subscriptions_per_subject
    lease = await ctx.store.leases.take(viewer.subject, Held.SUBSCRIPTION, maximum, utc_now())
    if lease is None:
        raise ConcurrencyLimited("subscriptions", maximum, RETRY_AFTER_SECONDS)
    try:
        direct = None if ctx.operation is None else ctx.operation.direct()
        stream = follow(
            ctx.live.hub,
            ctx.store.events,
            Scope.of(viewer),
            entity,
            after,
            viewer.expires_at,
            direct,
        )
        async with aclosing(stream):
            async for event in stream:
                yield event
    finally:
        await ctx.store.leases.release(lease)
