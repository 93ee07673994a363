"""The access log as an operator reads it: one line per request from every process that
served one, a WebSocket's line with how it closed, and a client that left before the answer
as 499, never as the service's own failure."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest
from httpx_ws import WebSocketDisconnect

from api.settings import Settings
from domain.party import Role
from tests.conftest import Api
from tests.processes import api_process, serve_command
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


async def lines_of(path: Path, ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The access lines of the requests of `ids`, by id, once all are written (a request's
    line follows its end, which its client may not wait for)."""
    async with asyncio.timeout(10):
        while True:
            lines = {line["request_id"]: line for line in access_lines(path)}
            if set(ids) <= lines.keys():
                return {sent: lines[sent] for sent in ids}
            await asyncio.sleep(0.05)


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


def raw_request(request_id: str, headers: str, body: bytes) -> bytes:
    return (
        f"POST /graphql HTTP/1.1\r\nHost: test\r\nX-Request-ID: {request_id}\r\n{headers}\r\n\r\n"
    ).encode() + body


# Each leaves before the service can answer: a body shorter than its Content-Length then the
# end of the stream, a multipart body cut short the same way, and a valid chunk followed by
# one uvicorn's parser refuses (uvicorn answers that one 400 itself and drops the request).
ABORTS = {
    "short body": (
        "Content-Type: application/json\r\nContent-Length: 100",
        b'{"query": "{ viewer { role } }"}',
        True,
    ),
    "multipart cut short": (
        "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000",
        b'--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}',
        True,
    ),
    "bad chunk": (
        "Content-Type: application/json\r\nTransfer-Encoding: chunked",
        b'5\r\n{"que\r\nzz\r\n',
        False,
    ),
}


async def abort(port: int, request: bytes, end_stream: bool) -> bytes:
    """What the service answers to `request` before it closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        if end_stream:
            writer.write_eof()
        async with asyncio.timeout(5):
            return await reader.read()
    finally:
        writer.close()


async def test_a_client_that_leaves_before_the_answer_is_logged_499_without_a_trace(
    settings: Settings, tmp_path: Path
) -> None:
    output = tmp_path / "service.log"
    ids = {name: uuid.uuid4().hex for name in ABORTS}
    with output.open("wb") as sink:
        async with api_process(settings, {"LOG_LEVEL": "INFO"}, output=sink) as service:
            port = int(str(service.http.base_url.port))
            answers = {
                name: await abort(port, raw_request(ids[name], headers, body), end_stream)
                for name, (headers, body, end_stream) in ABORTS.items()
            }
            lines = await lines_of(output, ids.values())
    assert answers["short body"] == answers["multipart cut short"] == b""
    assert answers["bad chunk"].startswith(b"HTTP/1.1 400 ")
    for name, sent in ids.items():
        assert (lines[sent]["status"], lines[sent]["level"]) == (499, "INFO"), name
    text = output.read_text()
    for trace in ("Traceback", "ClientDisconnect", "Exception in ASGI application"):
        assert trace not in text
    assert not [line for line in logged(output) if line["level"] == "ERROR"]
