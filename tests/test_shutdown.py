"""Issue 5: a server that shuts down closes its subscribers' sockets and leaves no task behind.

The app runs under a real uvicorn server in the test's event loop (configured as `contracts
serve` runs it), its client is the `websockets` library: what a subscriber sees is what a
real client sees when the process is stopped (uvicorn's shutdown, then the lifespan's).
"""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from api.settings import Settings
from api.tokens import mint_token
from domain.party import Role
from live.hub import EventHub
from tests.served import frame, serving, url
from tests.test_subscriptions import eventually

SUBSCRIPTION = "subscription { contractEvents { id type } }"


async def test_stopping_the_server_closes_every_subscriber_and_leaves_no_task(
    settings: Settings,
) -> None:
    before = asyncio.all_tasks()
    async with serving(settings) as (app, server, task):
        hub: EventHub = app.state.services.live.hub
        async with websockets.connect(
            url(server), subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as ws:
            token = mint_token(settings, Role.COMPLIANCE, subject="compliance-staff")
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
            assert (await frame(ws))["type"] == "connection_ack"
            subscribe = {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
            await ws.send(json.dumps(subscribe))
            await eventually(lambda: hub.subscribers == 1)

            server.should_exit = True
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await frame(ws)
        # uvicorn closes every WebSocket with 1012 (service restart) before the lifespan
        # ends, so no `complete` comes first, and should not: graphql-ws clients retry on
        # 1012 and subscribe again (with `after`, losing nothing), a `complete` would end
        # the subscription for good.
        assert closed.value.rcvd is not None, "no close frame from the server"
        assert closed.value.rcvd.code == 1012, closed.value
        async with asyncio.timeout(5):
            await task
        # The event feed, keep-alive pingers, operations, the connection: all ended.
        left = asyncio.all_tasks() - before - {asyncio.current_task()}
        assert not left, left
