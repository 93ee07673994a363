"""The access log as an operator reads it: one line per request from every process that
served one, a WebSocket's line with how it closed, and a client that left before the answer
as 499, never as the service's own failure."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from httpx_ws import WebSocketDisconnect

from api.settings import Settings
from domain.party import Role
from tests.conftest import Api
from tests.processes import serve_command
from tests.ws import connect, connected, receive, websocket_client

VIEWER = {"query": "{ viewer { role } }"}


def logged(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a process's output (what it prints, where it listens, is not)."""
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def access_lines(path: Path) -> list[dict[str, Any]]:
    return [line for line in logged(path) if line["logger"] == "contracts.access"]


async def test_every_worker_of_contracts_serve_logs_its_requests(
    settings: Settings, tmp_path: Path
) -> None:
    output = tmp_path / "service.log"
    environment = {"WORKERS": "2", "LOG_LEVEL": "INFO"}
    sent = [uuid.uuid4().hex for _ in range(40)]
    with output.open("wb") as sink:
        async with serve_command(settings, environment, sink) as service:
            token = service.token(Role.COMPLIANCE)

            async def ask(request_id: str) -> None:
                # A connection each, all at once: both workers accept some of them.
                headers = {
                    "Authorization": f"Bearer {token}",
                    "X-Request-ID": request_id,
                    "Connection": "close",
                }
                response = await service.http.post("/graphql", json=VIEWER, headers=headers)
                assert response.status_code == 200

            await asyncio.gather(*map(ask, sent))
    lines = [line for line in access_lines(output) if line["request_id"] in sent]
    assert sorted(line["request_id"] for line in lines) == sorted(sent)
    assert {line["status"] for line in lines} == {200}
    assert len({line["pid"] for line in lines}) == 2, "one worker logged nothing"


async def websocket_lines(caplog: pytest.LogCaptureFixture, count: int) -> list[tuple[Any, ...]]:
    """(status, close code, closed by) of the first `count` WebSocket access lines, once
    logged: a connection's line follows its end, which the client does not wait for."""
    async with asyncio.timeout(5):
        while True:
            lines = [
                (record.status, record.close_code, record.closed_by)  # type: ignore[attr-defined]
                for record in caplog.records
                if record.name == "contracts.access" and record.args == ("WS", "/graphql")
            ]
            if len(lines) >= count:
                return lines
            await asyncio.sleep(0.01)


async def test_a_websocket_access_line_records_how_it_closed(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="contracts.access"):
        async with websocket_client(api) as sockets:
            async with connected(sockets, api.token(Role.COMPLIANCE)):
                pass  # the client closes: 1000
            assert await websocket_lines(caplog, 1) == [(101, 1000, "client")]
            async with connect(sockets) as ws:
                await ws.send_json({"type": "connection_init", "payload": {"token": "nope"}})
                with pytest.raises(WebSocketDisconnect):
                    await receive(ws)
            assert (await websocket_lines(caplog, 2))[1] == (101, 4403, "server")
            # The legacy subprotocol: accepted, to be refused with a reason.
            async with connect(sockets, "graphql-ws") as ws:
                with pytest.raises(WebSocketDisconnect):
                    await receive(ws)
            assert (await websocket_lines(caplog, 3))[2] == (101, 4406, "server")
