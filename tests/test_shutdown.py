"""Issue 5: a server that shuts down closes its subscribers' sockets and leaves no task behind.

The app runs under a real uvicorn server in the test's event loop (configured as `contracts
serve` runs it), its client is the `websockets` library: what a subscriber sees is what a
real client sees when the process is stopped (uvicorn's shutdown, then the lifespan's).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from api.tokens import mint_token
from domain.party import Role
from storage.database import Database
from storage.event_hub import EventHub
from tests.conftest import configured
from tests.test_subscriptions import eventually

SUBSCRIPTION = "subscription { contractEvents { id type } }"


Serving = tuple[Starlette, uvicorn.Server, asyncio.Task[None]]


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Serving]:
    """The app of `settings` under uvicorn on a free port, with the options of `contracts
    serve`; stopped if still running after, and its database dropped."""
    assert settings.mongodb_uri is not None  # the session's server (conftest)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_level="warning",
        log_config=None,
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="uvicorn")
    try:
        await eventually(lambda: server.started or task.done())
        assert server.started, task
        yield app, server, task
    finally:
        server.should_exit = True
        await asyncio.wait([task], timeout=5)
        db = Database(settings.mongodb_uri, settings.mongodb_database)
        await db.client.drop_database(settings.mongodb_database)
        await db.close()


def url(server: uvicorn.Server) -> str:
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return f"ws://{host}:{port}/graphql"


async def frame(ws: websockets.ClientConnection) -> dict[str, Any]:
    """The next protocol message other than a keep-alive ping."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if message["type"] != "ping":
            return message


async def test_stopping_the_server_closes_every_subscriber_and_leaves_no_task(
    settings: Settings,
) -> None:
    fast = configured(settings, event_poll_seconds=0.02)
    before = asyncio.all_tasks()
    async with serving(fast) as (app, server, task):
        hub: EventHub = app.state.services.hub
        async with websockets.connect(
            url(server), subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as ws:
            token = mint_token(fast, Role.COMPLIANCE, subject="compliance-staff")
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
