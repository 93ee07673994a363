"""Live events: the process's reader of the event log, its fan-out to subscribers, and the
one path by which an event reaches a subscription.

`Live` is what a serving process holds of it: made and stopped by the app's lifespan and
handed explicitly to whatever needs it (the GraphQL endpoint, the resolvers' context). No
module keeps state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from live.delivery import Rendered
from live.hub import EventHub
from storage.database import Database


@dataclass
class Live:
    hub: EventHub
    # The JSON of an event for each group of alike subscriptions (`schema.shared_events`).
    rendered: Rendered = field(default_factory=Rendered)

    @staticmethod
    async def start(db: Database, *, queue_size: int) -> Live:
        """Follow the event log of `db` from its end now."""
        hub = EventHub(db, queue_size=queue_size)
        await hub.start()
        return Live(hub)

    async def stop(self) -> None:
        """Stop reading and end every subscription (their streams complete)."""
        await self.hub.stop()
