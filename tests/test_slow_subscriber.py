"""Issue 5: a subscriber whose socket does not drain is ended, the others are not held up.

Only a real socket pushes back, so the app runs under uvicorn and the slow subscriber is a
`websockets` client that stops reading: its receive window fills, then the server's socket
buffer, then its frames wait in the connection's outbox until that is full.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from typing import Any

import websockets

from api.settings import Settings
from api.tokens import mint_token
from domain.events import NewEvent
from domain.party import Role
from storage import events as event_log
from storage.database import Database
from storage.event_hub import EventHub
from storage.store import Store
from tests.conftest import configured
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
    small = configured(settings, event_poll_seconds=0.02, subscriber_queue_size=10)
    flooded, calm = Store.new_id(), Store.new_id()
    async with serving(small) as (app, server, _):
        hub: EventHub = app.state.services.hub
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
        ids = [int(event["id"]) for event in received + rest]
        assert ids == list(range(ids[0], ids[0] + FLOOD))
        assert all(event["reason"] == REASON for event in received + rest)


async def nexts_one(ws: websockets.ClientConnection) -> dict[str, Any]:
    message = await frame(ws)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    event: dict[str, Any] = message["payload"]["data"]["contractEvents"]
    return event
