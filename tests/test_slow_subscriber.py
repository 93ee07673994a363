"""Issue 5: a subscriber whose socket does not drain is ended, the others are not held up.

Only a real socket pushes back, so the app runs under uvicorn and the slow subscriber is a
`websockets` client that stops reading: its receive window fills, then the server's socket
buffer, then its frames wait in the connection's outbox until that is full.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
import websockets

from api.settings import Settings
from api.tokens import mint_token
from domain.events import NewEvent
from domain.party import Role
from domain.scope import Scope
from live.hub import EventHub, Subscriber
from storage import events as event_log
from storage.database import Database
from storage.store import Store
from tests.conftest import configured
from tests.ids import seq
from tests.served import frame, serving, subscribed
from tests.test_subscriptions import csa_event, eventually

SUBSCRIPTION = """
subscription($a: String) { contractEvents(after: $a) { id entityId reason } }
"""
# Large events fill the socket buffers in few frames.
REASON = "x" * 64 * 1024
FLOOD = 60


def small_receive_window(server: Any) -> socket.socket:
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    sock.setblocking(False)
    return sock


def pin_send_buffer(server: Any) -> None:
    """Fixes the send buffer of the connections `server` accepts from now on (they inherit
    it from the listening socket) at far less than the flood: left to autotuning, Linux
    grows it up to 4 MiB, enough to hold every flooded event, and the slow subscriber would
    be ended only when the hub outpaced the sender, which a loaded machine does not."""
    server.servers[0].sockets[0].setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)


async def append(db: Database, *new: NewEvent) -> None:
    await db.in_transaction(lambda session: event_log.append(db, session, new))


async def nexts(ws: websockets.ClientConnection) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The events received until the subscription ends, and the message that ends it."""
    events: list[dict[str, Any]] = []
    while True:
        message = await frame(ws)
        if message["type"] != "next" or "errors" in message["payload"]:
            return events, message
        events.append(message["payload"]["data"]["contractEvents"])


async def test_a_subscriber_that_does_not_read_is_ended_with_its_cursor_and_resumes(
    settings: Settings,
) -> None:
    small = configured(settings, subscriber_queue_size=10)
    flooded, calm = Store.new_id(), Store.new_id()
    async with serving(small) as (app, server, _):
        pin_send_buffer(server)
        hub: EventHub = app.state.services.live.hub
        db: Database = app.state.services.db
        slow_token = mint_token(small, Role.AGENT, subject="slow", agent_id=flooded)
        calm_token = mint_token(small, Role.AGENT, subject="calm", agent_id=calm)
        payload = {"query": SUBSCRIPTION}
        async with (
            subscribed(
                server, slow_token, payload, sock=small_receive_window(server), max_queue=1
            ) as slow,
            subscribed(server, calm_token, payload) as other,
        ):
            await eventually(lambda: hub.subscribers == 2)
            for _ in range(FLOOD // 10):
                await append(db, *(replace(csa_event(flooded), reason=REASON) for _ in range(10)))
            await append(db, csa_event(calm))
            # The other subscriber is served while the slow one's frames are stuck.
            message = await asyncio.wait_for(frame(other), 5)
            assert message["payload"]["data"]["contractEvents"]["entityId"]
            await eventually(lambda: hub.subscribers == 1)

            # Reading again, the slow one gets what was sent, then the reason it ended.
            received, ending = await nexts(slow)
            assert 0 < len(received) < FLOOD
            error = ending["payload"]["errors"][0]
            assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
            assert error["extensions"]["cursor"] == received[-1]["id"]
            assert (await frame(slow)) == {"id": "1", "type": "complete"}

        # Resuming from that cursor, it gets the rest: none twice, none missing.
        resume = {"query": SUBSCRIPTION, "variables": {"a": error["extensions"]["cursor"]}}
        async with subscribed(server, slow_token, resume) as again:
            rest = [(await nexts_one(again)) for _ in range(FLOOD - len(received))]
        ids = [seq(event["id"]) for event in received + rest]
        assert ids == list(range(ids[0], ids[0] + FLOOD))
        assert all(event["reason"] == REASON for event in received + rest)


async def nexts_one(ws: websockets.ClientConnection) -> dict[str, Any]:
    message = await frame(ws)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    event: dict[str, Any] = message["payload"]["data"]["contractEvents"]
    return event


@dataclass
class HeldUp:
    """A catch-up of FLOOD large events stuck on a socket its client does not read."""

    hub: EventHub
    db: Database
    agent: str
    subscriber: Subscriber
    slow: websockets.ClientConnection
    sent: int  # the events the catch-up sent before the socket filled


@asynccontextmanager
async def catch_up_held_up(
    settings: Settings, lifetime: timedelta = timedelta(hours=1)
) -> AsyncIterator[HeldUp]:
    agent = Store.new_id()
    async with serving(settings) as (app, server, _):
        hub: EventHub = app.state.services.live.hub
        db: Database = app.state.services.db
        for _ in range(FLOOD // 10):
            await append(db, *(replace(csa_event(agent), reason=REASON) for _ in range(10)))
        token = mint_token(settings, Role.AGENT, agent_id=agent, lifetime=lifetime)
        payload = {"query": SUBSCRIPTION, "variables": {"a": "0"}}
        async with subscribed(
            server, token, payload, sock=small_receive_window(server), max_queue=1
        ) as slow:
            await eventually(lambda: hub.subscribers == 1)
            (subscriber,) = hub._index[Scope(agent_id=agent)]
            sent = await held_up(subscriber.skip)
            assert 0 < sent < FLOOD
            yield HeldUp(hub, db, agent, subscriber, slow, sent)


async def held_up(sent: set[int]) -> int:
    """How many the catch-up sent once it stopped sending (the socket is full)."""
    await eventually(lambda: bool(sent))
    count = -1
    while count != len(sent):
        count = len(sent)
        await asyncio.sleep(0.2)
    return count


async def test_events_published_while_the_catch_up_is_held_up_are_delivered_once(
    settings: Settings,
) -> None:
    """The seam under back-pressure: the catch-up has read its page, but the socket holds
    its frames up; meanwhile the feed publishes events of that page (as it does for events
    committed after the subscription joined the hub). Each is delivered once, in order."""
    async with catch_up_held_up(settings) as stuck:
        scope = Scope(agent_id=stuck.agent)
        for event in await Store(stuck.db).events.page(scope, None, 0, FLOOD):
            stuck.hub.publish(event)  # those already sent are skipped at once, the rest queue
        received = [await nexts_one(stuck.slow) for _ in range(FLOOD)]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(frame(stuck.slow), 0.5)
    ids = [seq(event["id"]) for event in received]
    assert ids == list(range(1, FLOOD + 1))


async def test_a_token_expiring_while_the_catch_up_is_held_up_ends_it(
    settings: Settings,
) -> None:
    """The expiry timer fires while the subscription's task waits on a full socket, not in
    its live wait: the catch-up stops there, and the subscriber is told why."""
    async with catch_up_held_up(settings, lifetime=timedelta(seconds=2)) as stuck:
        await eventually(lambda: stuck.subscriber.expired, seconds=5)
        received, ending = await nexts(stuck.slow)
        assert len(received) < FLOOD
        assert ending["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await frame(stuck.slow)) == {"id": "1", "type": "complete"}
