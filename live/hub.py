"""One process's fan-out of the event feed to its subscribers, in memory.

Subscribers are indexed by the key that lets an event reach them: their viewer's scope
(everything, one client's SOW events, one agent's CSA events, as `domain.scope` decides), or
one document. Matching an event costs a few dictionary lookups whatever the number of
subscribers. Each subscriber has a bounded queue: one that does not keep up is dropped
(`overflowed`), never waited for.

A live subscriber may also have a `direct` delivery (`live.delivery`), which takes the event
straight to its connection without waking the subscription's task: with thousands of
subscribers, that wake-up and the per-operation stream behind it were most of a delivery's
cost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from domain.events import Event
from domain.scope import Scope, scopes_of
from live.delivery import Delivery, DirectDelivery
from live.feed import ChangeStreamFeed
from storage.database import Database
from storage.events import last_seq

log = logging.getLogger("contracts.events")

# A subscription to one document, whatever the viewer's scope.
type DocumentKey = tuple[str, str]
type Key = Scope | DocumentKey
STOP_SECONDS = 3.0


class Subscriber:
    """One subscription's live events: queued for its task (`wait`), or handed on directly.

    `skip` holds the seqs its task already delivered from the log (the catch-up), `last`
    the cursor of the last event handed on either way. It ends when dropped for being too
    slow (`overflowed`), when its token expires (`expired`) or at shutdown (`closed`).
    """

    __slots__ = (
        "_ready",
        "closed",
        "direct",
        "expired",
        "key",
        "last",
        "overflowed",
        "queue",
        "scope",
        "size",
        "skip",
    )

    def __init__(self, key: Key, scope: Scope, size: int) -> None:
        self.key = key
        self.scope = scope
        self.size = size
        self.queue: deque[Event] = deque()
        self.skip: set[int] = set()
        self.last: str | None = None
        self.direct: DirectDelivery | None = None
        self.overflowed = False
        self.expired = False
        self.closed = False
        self._ready = asyncio.Event()

    def offer(self, event: Event) -> bool:
        """Hand `event` on; False when the subscriber is too slow (it is then dropped)."""
        if event.seq in self.skip:
            return True
        delivery = Delivery.DECLINED
        if self.direct is not None and not self.queue:
            delivery = self._deliver_directly(self.direct, event)
            if delivery is Delivery.TAKEN:
                self.last = event.id
                return True
        if delivery is Delivery.FULL or len(self.queue) >= self.size:
            self.overflowed = True
        else:
            self.queue.append(event)
        self._ready.set()
        return not self.overflowed

    def _deliver_directly(self, direct: DirectDelivery, event: Event) -> Delivery:
        try:
            return direct(event, self.size)
        except Exception:
            # Never let one subscription's failure end the fan-out (the feed's task) for all.
            log.exception("event %s not handed on directly; its subscription sends it", event.id)
            return Delivery.DECLINED

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    def expire(self) -> None:
        """The token ran out: nothing more is handed on, and the task's `wait` ends."""
        self.expired = True
        self.direct = None
        self._ready.set()

    async def wait(self) -> None:
        """Until an event is queued or the subscriber ends."""
        if self.queue or self.overflowed or self.expired or self.closed:
            return
        self._ready.clear()
        await self._ready.wait()


def subscription_key(scope: Scope, entity_id: str | None) -> Key:
    return scope if entity_id is None else ("entity", entity_id)


def event_keys(event: Event) -> tuple[Key, ...]:
    """The keys of the subscribers that may receive `event`: the scopes that see it, and its
    document's (whose subscribers' scopes are checked one by one)."""
    return (*scopes_of(event), ("entity", event.entity_id))


class EventHub:
    """Runs the process's one feed reader and fans each event out to its subscribers."""

    def __init__(self, db: Database, *, queue_size: int) -> None:
        self._db = db
        self.queue_size = queue_size
        self._index: dict[Key, set[Subscriber]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.feed = ChangeStreamFeed(db)
        # The highest seq published (at start, the log's end): who joins now gets the events
        # after it live (seqs are taken in commit order, and the feed reads in commit order).
        self.published_through = 0

    async def start(self) -> None:
        # The stream's position first: an event committed between the two reads is then
        # both below `published_through` and delivered live, never neither.
        await self.feed.open()
        self.published_through = await last_seq(self._db)
        self._stopping.clear()
        self._task = asyncio.create_task(
            self.feed.run(self.publish, self._stopping), name="event-feed"
        )
        self._task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        """Stop reading and end every subscription (their streams complete)."""
        if self._task is not None:
            self._stopping.set()
            # The feed stops within one change-stream wait; with the database gone a driver
            # call may hang longer, and shutdown must not.
            _, pending = await asyncio.wait([self._task], timeout=STOP_SECONDS)
            for task in pending:
                task.cancel()
            self._task = None
        for members in self._index.values():
            for subscriber in members:
                subscriber.close()
        self._index.clear()

    def subscribe(self, scope: Scope, entity_id: str | None) -> Subscriber:
        subscriber = Subscriber(subscription_key(scope, entity_id), scope, self.queue_size)
        self._index.setdefault(subscriber.key, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        members = self._index.get(subscriber.key)
        if members is not None:
            members.discard(subscriber)
            if not members:
                del self._index[subscriber.key]

    @property
    def subscribers(self) -> int:
        return sum(len(members) for members in self._index.values())

    def publish(self, event: Event) -> None:
        """Hand `event` to every subscriber allowed to see it; drop those that are full."""
        self.published_through = max(self.published_through, event.seq)
        dropped: list[Subscriber] = []
        for key in event_keys(event):
            members = self._index.get(key)
            if not members:
                continue
            # A document's subscribers are of every scope; a scope's own see all it holds.
            check = not isinstance(key, Scope)
            for subscriber in members:
                if check and not subscriber.scope.includes(event):
                    continue
                if not subscriber.offer(event):
                    dropped.append(subscriber)
        for subscriber in dropped:
            self.unsubscribe(subscriber)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.critical("the event feed stopped: no live events until restart", exc_info=error)
