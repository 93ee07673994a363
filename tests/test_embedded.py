"""The embedded default: no MONGODB_URI, a SecantusDB child process keeping the data in a
local folder across restarts, crashes and several commands of one install."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from domain.party import Role
from storage.embedded import STATE_FILE, EmbeddedServer, _State
from storage.embedded import running as alive
from tests.conftest import Api

CREATE = "mutation($n: String!) { createClient(name: $n) { id name } }"
CLIENTS = "{ clients { totalCount edges { node { name } } } }"


def server_pid(folder: Path) -> int:
    state = _State.read(folder / STATE_FILE)
    assert state is not None
    return state.pid


async def test_data_survive_a_restart(settings: Settings, tmp_path: Path) -> None:
    embedded = settings.model_copy(update={"mongodb_uri": None, "data_dir": tmp_path})
    for round in range(2):
        app = create_app(embedded)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                api = Api(http=http, settings=embedded, app=app)
                token = api.token(Role.COMPLIANCE)
                if round == 0:
                    await asyncio.gather(
                        *(api.ok(CREATE, {"n": f"Client {i}"}, token) for i in range(5))
                    )
                data = await api.ok(CLIENTS, token=token)
                pid = server_pid(tmp_path)
        # Stopped with the app: no server left running, no state left behind.
        assert not alive(pid)
        assert not (tmp_path / STATE_FILE).exists()
    assert data["clients"]["totalCount"] == 5


def test_a_second_command_uses_the_running_server_and_leaves_it_running(
    tmp_path: Path,
) -> None:
    with EmbeddedServer(tmp_path) as first:
        second = EmbeddedServer(tmp_path)
        assert second.start() == first.uri
        assert not second.owned
        second.stop()
        assert alive(server_pid(tmp_path))


def test_a_server_whose_owner_died_is_stopped_and_replaced(tmp_path: Path) -> None:
    """What a service killed before it could stop its server leaves behind (on a system
    where the server does not die with it)."""
    with EmbeddedServer(tmp_path):
        orphan = server_pid(tmp_path)
        dead_owner = _dead_pid()
        state = _State.read(tmp_path / STATE_FILE)
        assert state is not None
        _State(pid=state.pid, owner=dead_owner, port=state.port).write(tmp_path / STATE_FILE)
        with EmbeddedServer(tmp_path) as replacement:
            assert replacement.owned
            assert server_pid(tmp_path) != orphan
            assert not alive(orphan)


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


SERVE = """
import sys, time
from pathlib import Path
from storage.embedded import EmbeddedServer
with EmbeddedServer(Path(sys.argv[1])):
    print("ready", flush=True)
    time.sleep(600)
"""


def test_the_server_dies_with_a_killed_owner(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        assert owner.stdout.readline() == "ready\n"
        pid = server_pid(tmp_path)
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        # SIGTERM starts its shutdown (a checkpoint); the suite's other workers may hold the
        # cores meanwhile, so only a server still up well after that has outlived its owner.
        deadline = time.monotonic() + 30
        while alive(pid):
            assert time.monotonic() < deadline, "the server outlived its owner"
            time.sleep(0.05)
    finally:
        owner.kill()
        owner.wait()
        assert owner.stdout is not None
        owner.stdout.close()


@pytest.mark.parametrize("subscribed", [False, True])
async def test_with_the_database_gone_readiness_fails_and_shutdown_is_quick(
    settings: Settings, tmp_path: Path, subscribed: bool
) -> None:
    server = EmbeddedServer(tmp_path)
    app = create_app(settings.model_copy(update={"mongodb_uri": server.start()}))
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                assert (await http.get("/readyz")).status_code == 200
                os.kill(server_pid(tmp_path), signal.SIGKILL)
                started = time.monotonic()
                ready = await http.get("/readyz")
                assert time.monotonic() - started < 3
                health = await http.get("/healthz")
            assert ready.status_code == 503
            assert health.status_code == 200
            if subscribed:
                await asyncio.sleep(1.5)  # the change stream notices and starts resuming
            stopping = time.monotonic()
        assert time.monotonic() - stopping < 10
    finally:
        server.stop()
