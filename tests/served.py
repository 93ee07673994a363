"""The app under a real uvicorn server in the test's event loop, as `contracts serve` runs
it, for tests that need what only a real socket does (closing, back-pressure)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
import websockets
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from storage.database import Database
from tests.test_subscriptions import eventually

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


@asynccontextmanager
async def subscribed(
    server: uvicorn.Server,
    token: str,
    payload: dict[str, Any],
    **options: Any,
) -> AsyncIterator[websockets.ClientConnection]:
    """A `websockets` connection of the bearer of `token`, subscribed (id "1") to `payload`;
    `options` go to `websockets.connect`."""
    async with websockets.connect(
        url(server), subprotocols=[websockets.Subprotocol("graphql-transport-ws")], **options
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert (await frame(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield ws
