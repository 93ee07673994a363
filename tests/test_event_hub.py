"""The hub's fan-out on its own: what no socket or database is needed to show."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from api.settings import Settings
from domain.events import Event
from domain.scope import EVERYTHING
from live.delivery import Delivery
from live.hub import EventHub
from storage.database import Database
from tests.test_subscriptions import as_published, csa_event


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[EventHub]:
    assert settings.mongodb_uri is not None
    db = Database(settings.mongodb_uri, settings.mongodb_database)
    yield EventHub(db, queue_size=10)
    await db.close()


def event(seq: int) -> Event:
    return as_published(csa_event("agent"), seq)


async def test_a_token_expiring_while_the_task_is_busy_ends_its_next_wait(hub: EventHub) -> None:
    """The expiry timer fires whenever it fires: between two waits too, where a wake-up
    that the next wait clears would leave the subscription running on a dead token."""
    subscriber = hub.subscribe(EVERYTHING, None)
    taken: list[Event] = []

    def direct(event: Event, room: int) -> Delivery:
        taken.append(event)
        return Delivery.TAKEN

    subscriber.direct = direct
    subscriber.expire()
    hub.publish(event(1))
    assert taken == []  # nothing is handed on past expiry
    async with asyncio.timeout(1):
        await subscriber.wait()
    assert subscriber.expired


async def test_a_failing_deliver_directly_falls_back_to_the_queue_and_holds_no_one_up(
    hub: EventHub,
) -> None:
    failing, other = hub.subscribe(EVERYTHING, None), hub.subscribe(EVERYTHING, None)

    def broken(event: Event, room: int) -> Delivery:
        raise RuntimeError("a bug in one subscription's rendering")

    failing.direct = broken
    hub.publish(event(1))
    hub.publish(event(2))
    # Its own task delivers them instead, in order; the other subscriber got them too.
    assert [e.seq for e in failing.queue] == [1, 2]
    assert [e.seq for e in other.queue] == [1, 2]
    assert hub.subscribers == 2
