"""How a live event reaches a subscription's connection without waking its task.

The transport (`api.graphql_ws`) opens a `LiveOperation` for each operation it runs, with
its `offer` (the connection's outbox for that operation); the operation's GraphQL executor
completes it with `render` (`schema.shared_events`) when it is a subscription. The hub then
hands a live event to `LiveOperation.deliver`: rendered once per group of alike
subscriptions (`Rendered`), framed and offered to the connection. An event that cannot be
rendered so is declined, and the subscription's own task delivers it (`live.subscription`).
"""

from __future__ import annotations

import asyncio
import enum
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from domain.events import Event

# Renderings kept: enough for every group of a burst of events; a miss only costs a
# re-execution.
MAX_RENDERED = 4096


class Delivery(enum.Enum):
    """What a direct delivery (straight to the subscriber's connection) did with an event."""

    TAKEN = "taken"  # on its way to the subscriber
    FULL = "full"  # `room` of the subscriber's events already wait: it is too slow
    DECLINED = "declined"  # not this way: the subscription's task delivers it


# Hands an event to the subscriber's connection, where at most `room` of its events may wait.
type DirectDelivery = Callable[[Event, int], Delivery]
# Takes the JSON of a `next` payload's `data` and the number of the operation's frames that
# may wait; False when that many already wait.
type Offer = Callable[[str, int], bool]
# The JSON of a subscription's `data` for an event; None when it is not shared.
type Render = Callable[[Event], str | None]


@dataclass(eq=False)
class LiveOperation:
    """One operation of a connection, as live events see it."""

    offer: Offer
    render: Render | None = None

    def direct(self) -> DirectDelivery | None:
        """The direct delivery of this operation's live events, once it can render them."""
        return None if self.render is None else self.deliver

    def deliver(self, event: Event, room: int) -> Delivery:
        text = None if self.render is None else self.render(event)
        if text is None:
            return Delivery.DECLINED
        return Delivery.TAKEN if self.offer(text, room) else Delivery.FULL


# A declined rendering: no JSON text is empty.
DECLINED = ""


class Rendered:
    """Each group's JSON of an event, kept with the event so that `id(event)` cannot be
    reused while cached; and the renderings still running (an asynchronous result is run to
    its end, never abandoned half-way)."""

    def __init__(self, size: int = MAX_RENDERED) -> None:
        self._size = size
        self._texts: OrderedDict[Hashable, tuple[Event, str]] = OrderedDict()
        self.running: set[asyncio.Future[Any]] = set()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, event: Event) -> str | None:
        """The JSON (or DECLINED) of the group `key` for `event`; None when not rendered."""
        found = self._texts.get(key)
        if found is None or found[0] is not event:
            self.misses += 1
            return None
        self.hits += 1
        return found[1]

    def put(self, key: Hashable, event: Event, text: str) -> None:
        self._texts[key] = (event, text)
        if len(self._texts) > self._size:
            self._texts.popitem(last=False)

    def finish(self, running: asyncio.Future[Any]) -> None:
        """Keep `running` until it ends."""
        self.running.add(running)
        running.add_done_callback(self.running.discard)
