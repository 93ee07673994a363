"""A WebSocket's authority ends at its token's `exp`: queries and mutations sent over it
after that are refused, and the socket is closed with 4401."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from httpx_ws import WebSocketDisconnect

from api.tokens import mint_token
from domain.party import Role
from tests.conftest import Api
from tests.ws import connected, receive, websocket_client

CREATE = 'mutation { createClient(name: "x") { id } }'


async def test_a_mutation_after_the_token_expired_is_refused_and_the_socket_closed(
    api: Api,
) -> None:
    token = mint_token(api.settings, Role.COMPLIANCE, lifetime=timedelta(seconds=2))
    async with websocket_client(api) as sockets, connected(sockets, token) as ws:
        await asyncio.sleep(2.1)
        await ws.send_json({"id": "m", "type": "subscribe", "payload": {"query": CREATE}})
        refused = await receive(ws)
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        with pytest.raises(WebSocketDisconnect) as closed:
            await receive(ws)
        assert closed.value.code == 4401
    listed = await api.ok("{ clients { totalCount } }", token=api.token(Role.COMPLIANCE))
    assert listed["clients"]["totalCount"] == 0


async def test_an_idle_socket_is_closed_when_its_token_expires(api: Api) -> None:
    token = mint_token(api.settings, Role.COMPLIANCE, lifetime=timedelta(seconds=1))
    async with websocket_client(api) as sockets, connected(sockets, token) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            await receive(ws, seconds=5)
        assert closed.value.code == 4401


async def test_a_socket_whose_token_is_valid_keeps_working(api: Api) -> None:
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.COMPLIANCE)) as ws,
    ):
        await ws.send_json({"id": "m", "type": "subscribe", "payload": {"query": CREATE}})
        assert (await receive(ws))["type"] == "next"
