"""The one delivery path of live events to a subscription: first what it missed, from the
log, then live, none twice, none lost.

The subscription joins the hub before reading the log, so an event committed during the
catch-up is read there, queued live, or both; the seqs read are skipped live. Once caught
up, live events go through the operation's direct delivery when it has one
(`live.delivery`: straight to the connection, without this stream) and are yielded here
otherwise, in order either way: the direct delivery is only armed while nothing waits here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

from domain.errors import SubscriberTooSlow, Unauthenticated
from domain.events import Event, parse_cursor
from domain.ids import TypedId, global_id, not_found
from domain.scope import Scope
from live.delivery import DirectDelivery
from live.hub import EventHub, Subscriber
from storage.events import EventStore

CATCH_UP_PAGE = 500


async def follow(
    hub: EventHub,
    log: EventStore,
    scope: Scope,
    entity: TypedId | None,
    after: str | None,
    expires_at: datetime | None,
    direct: DirectDelivery | None,
) -> AsyncGenerator[Event]:
    """The events `scope` sees (of one document, with `entity`) after the cursor `after`
    from the log, then live ones. Ends with UNAUTHENTICATED when the token expires at
    `expires_at`, SUBSCRIBER_TOO_SLOW when the subscriber falls too far behind, and quietly
    when the process shuts down.
    """
    cursor = parse_cursor(after)
    _seconds_left(expires_at)
    entity_id = None if entity is None else entity.raw
    if entity is not None and not await log.page(scope, entity.raw, None, 1):
        # Every document has a CREATED event in its scope: none means unknown or not yours;
        # named as `sow(id:)` or `csa(id:)` names it.
        raise not_found(entity.type_name, entity.raw)
    subscriber = hub.subscribe(scope, entity_id)
    # Where it joined, without `after`: dropped before its first event, it resumes there.
    subscriber.last = after if after is not None else str(hub.published_through)
    # One timer per subscription, not a timeout around each wait: with thousands of
    # subscribers, arming a timeout per event per subscriber was a tenth of a delivery.
    left = _seconds_left(expires_at)
    loop = asyncio.get_running_loop()
    timer = None if left is None else loop.call_later(left, subscriber.expire)
    try:
        while cursor is not None:
            found = await log.page(scope, entity_id, cursor, CATCH_UP_PAGE)
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
        # The cursor to resume from, spelled as the last event's `id` the client received.
        seq = parse_cursor(subscriber.last)
        cursor = None if seq is None else global_id("ContractEvent", str(seq))
        raise SubscriberTooSlow(cursor, subscriber.size)
    return subscriber.closed


def _seconds_left(expires_at: datetime | None) -> float | None:
    """Until the token expires (real time, as PyJWT checks it); refused once it has."""
    if expires_at is None:
        return None
    left = (expires_at - datetime.now(UTC)).total_seconds()
    if left <= 0:
        raise Unauthenticated("the token has expired")
    return left
