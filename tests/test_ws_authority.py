"""A WebSocket's authority ends at its token's `exp`: queries and mutations sent over it
after that are refused, and the socket is closed with 4401."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta

import jwt
import pytest
from httpx_ws import WebSocketDisconnect

from api.settings import Settings
from api.tokens import mint_token
from domain.party import Role
from storage.leases import RETRY_AFTER_SECONDS
from tests.conftest import Api, configured, serve
from tests.ids import gid
from tests.ws import connect, connected, receive, websocket_client

CREATE = 'mutation { createClient(name: "x") { id } }'
LIST = "{ clients { totalCount } }"
CLIENT_ID = "65f000000000000000000001"


async def test_a_mutation_after_the_token_expired_is_refused_and_the_socket_closed(
    api: Api,
) -> None:
    token = mint_token(api.settings, Role.COMPLIANCE, lifetime=timedelta(seconds=3))
    # `exp` is a whole second: sent just after it, the mutation comes well before the close
    # the service makes EXPIRY_GRACE_SECONDS after it.
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    async with websocket_client(api) as sockets, connected(sockets, token) as ws:
        await asyncio.sleep(max(expires - time.time(), 0) + 0.1)
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


async def test_a_claim_holding_the_global_id_of_another_type_closes_with_4403(
    api: Api,
) -> None:
    """Refused like any invalid claim: a client is not the agent of the same raw id."""
    async with websocket_client(api) as sockets:
        for role, claim in (
            (Role.CLIENT, {"client_id": gid("Agent", CLIENT_ID)}),
            (Role.AGENT, {"agent_id": gid("Sow", CLIENT_ID)}),
        ):
            token = api.token(role, **claim)
            async with connect(sockets) as ws:
                await ws.send_json({"type": "connection_init", "payload": {"token": token}})
                with pytest.raises(WebSocketDisconnect) as closed:
                    await receive(ws)
                assert closed.value.code == 4403, claim
        async with connected(sockets, api.token(Role.CLIENT, client_id=gid("Client", CLIENT_ID))):
            pass


async def test_operations_over_a_socket_share_the_subjects_rate_limit(settings: Settings) -> None:
    async with serve(configured(settings, rate_limit_per_minute=4)) as api:
        token = api.token(Role.COMPLIANCE)
        # The HTTP request, the connection and its operations draw on one budget.
        await api.ok("{ clients { totalCount } }", token=token)
        async with websocket_client(api) as sockets, connected(sockets, token) as ws:
            for n in range(3):
                await ws.send_json({"id": str(n), "type": "subscribe", "payload": {"query": LIST}})
            answers = [await receive(ws) for _ in range(5)]
            # A connection is work for its subject too: refused once the budget is spent.
            async with connect(sockets) as another:
                await another.send_json({"type": "connection_init", "payload": {"token": token}})
                with pytest.raises(WebSocketDisconnect) as closed:
                    await receive(another)
    assert closed.value.code == 4403
    assert re.fullmatch(
        r"RATE_LIMITED retryAfter=\d+: rate limit exceeded: .*", closed.value.reason
    )
    kinds = [answer["type"] for answer in answers]
    assert kinds.count("next") == 2
    refused = next(answer for answer in answers if answer["type"] == "error")
    assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refused["payload"][0]["extensions"]["retryAfter"] >= 1


async def test_connections_per_subject_are_capped(settings: Settings) -> None:
    async with serve(configured(settings, connections_per_subject=2)) as api:
        token = api.token(Role.COMPLIANCE)
        async with (
            websocket_client(api) as sockets,
            connected(sockets, token),
            connected(sockets, token),
            connect(sockets) as third,
        ):
            await third.send_json({"type": "connection_init", "payload": {"token": token}})
            with pytest.raises(WebSocketDisconnect) as closed:
                await receive(third)
            assert closed.value.code == 4403
            # The code and the wait, then the message; within a close reason's 123 bytes.
            reason = closed.value.reason or ""
            wait = f"retryAfter={RETRY_AFTER_SECONDS}"
            assert reason.startswith(f"CONCURRENCY_LIMITED {wait}: at most 2 connections ")
            assert len(reason.encode()) <= 123
            # Another user is not held back by this one's sockets.
            async with connected(sockets, api.token(Role.CLIENT, client_id=CLIENT_ID)):
                pass
        # Closed connections no longer count.
        async with (
            websocket_client(api) as sockets,
            connected(sockets, token),
            connected(sockets, token),
        ):
            pass
