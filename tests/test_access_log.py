"""The access log as an operator reads it: one line per request from every process that
served one, a WebSocket's line with how it closed, and a client that left before the answer
as 499, never as the service's own failure."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from api.settings import Settings
from domain.party import Role
from tests.processes import serve_command

VIEWER = {"query": "{ viewer { role } }"}


def logged(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a process's output (uvicorn's own, in its format, are not)."""
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
