"""The event log as each viewer may read it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

from domain.errors import BadUserInput, NotFound, SubscriberTooSlow, Unauthenticated
from domain.events import Event
from domain.party import Viewer
from domain.scope import Scope
from resolvers.context import Context
from resolvers.paging import page_size
from storage.event_hub import DirectDelivery, Subscriber

CATCH_UP_PAGE = 500


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
    found = await ctx.store.events.page(Scope.of(viewer), entity_id, parse_cursor(after), limit + 1)
    return found[:limit], len(found) > limit


async def count_events(ctx: Context, viewer: Viewer, entity_id: str | None) -> int:
    return await ctx.store.events.count(Scope.of(viewer), entity_id)


async def contract_events(
    ctx: Context,
    viewer: Viewer,
    entity_id: str | None,
    after: str | None,
    direct: DirectDelivery | None = None,
) -> AsyncGenerator[Event]:
    """The viewer's events: those after `after` from the log, then live ones, each once.

    The subscription joins the hub before reading the log, so an event committed during
    the catch-up is read there, queued live, or both; the seqs read are skipped live.
    Once caught up, live events go through `direct` when there is one (the transport
    sends them without this stream) and are yielded here otherwise, in order either way:
    `direct` is only armed while nothing waits here.
    Ends with UNAUTHENTICATED when the token expires, SUBSCRIBER_TOO_SLOW when the
    subscriber falls too far behind, and quietly when the process shuts down.
    """
    hub = ctx.hub
    assert hub is not None, "subscriptions need the process's event hub"
    cursor = parse_cursor(after)
    scope = Scope.of(viewer)
    _seconds_left(viewer)
    if entity_id is not None and not await ctx.store.events.page(scope, entity_id, None, 1):
        # Every document has a CREATED event in its scope: none means unknown or not yours.
        raise NotFound("Document", entity_id)
    subscriber = hub.subscribe(scope, entity_id)
    # Where it joined, without `after`: dropped before its first event, it resumes there.
    subscriber.last = after if after is not None else str(hub.published_through)
    # One timer per subscription, not a timeout around each wait: with thousands of
    # subscribers, arming a timeout per event per subscriber was a tenth of a delivery.
    left = _seconds_left(viewer)
    loop = asyncio.get_running_loop()
    timer = None if left is None else loop.call_later(left, subscriber.expire)
    try:
        while cursor is not None:
            found = await ctx.store.events.page(scope, entity_id, cursor, CATCH_UP_PAGE)
            for event in found:
                if _ended(subscriber):
                    return
                subscriber.skip.add(event.seq)
                subscriber.last = event.id
                yield event
            cursor = found[-1].seq if len(found) == CATCH_UP_PAGE else None
        while not _ended(subscriber):
            if subscriber.queue:
                event = subscriber.queue.popleft()
                # Committed during the catch-up: queued live and read from the log both.
                if event.seq not in subscriber.skip:
                    subscriber.last = event.id
                    yield event
                continue
            # Armed only here: nothing queued, every yielded event sent on, not ended.
            subscriber.direct = direct
            await subscriber.wait()
            subscriber.direct = None
    finally:
        if timer is not None:
            timer.cancel()
        hub.unsubscribe(subscriber)


def _ended(subscriber: Subscriber) -> bool:
    """Raises the error that ends the subscription; True at shutdown (it ends quietly)."""
    if subscriber.expired:
        raise Unauthenticated("the token has expired")
    if subscriber.overflowed:
        raise SubscriberTooSlow(subscriber.last, subscriber.size)
    return subscriber.closed


def _seconds_left(viewer: Viewer) -> float | None:
    """Until the token expires (real time, as PyJWT checks it); refused once it has."""
    if viewer.expires_at is None:
        return None
    left = (viewer.expires_at - datetime.now(UTC)).total_seconds()
    if left <= 0:
        raise Unauthenticated("the token has expired")
    return left
