"""A `graphql-transport-ws` client of the app under test, over httpx-ws's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

import httpx
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from tests.conftest import Api


@asynccontextmanager
async def websocket_client(api: Api) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        ASGIWebSocketTransport(app=api.app) as transport,
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client


def connect(
    client: httpx.AsyncClient, protocol: str = "graphql-transport-ws"
) -> AbstractAsyncContextManager[AsyncWebSocketSession]:
    return cast(
        AbstractAsyncContextManager[AsyncWebSocketSession],
        aconnect_ws("/graphql", client, subprotocols=[protocol]),
    )


@asynccontextmanager
async def connected(client: httpx.AsyncClient, token: str) -> AsyncIterator[AsyncWebSocketSession]:
    """An acknowledged connection of the bearer of `token` (one `client` per app and test:
    httpx-ws's ASGI transports cannot be nested)."""
    async with connect(client) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"token": token}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        yield ws


async def receive(ws: AsyncWebSocketSession, seconds: float = 5) -> dict[str, Any]:
    """The next protocol message other than a keep-alive ping."""
    while True:
        message: dict[str, Any] = await ws.receive_json(timeout=seconds)
        if message["type"] != "ping":
            return message
