"""`kill -9` of the service and its embedded database in the middle of concurrent mutations:
after a restart, every acknowledged mutation is there with its versions and events, and no
write is there in part."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from api.settings import load_settings
from domain.party import Role
from storage.database import Database
from storage.embedded import STATE_FILE, STORAGE_DIR, _serves, _State, client_uri
from tests.conftest import Client
from tests.processes import free_port, served_by
from tests.sow_helpers import create_sow

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 6
CREATE_CLIENT = "mutation($n: String!) { createClient(name: $n) { id } }"


def embedded_servers(storage: Path) -> list[int]:
    """The pids of the SecantusDB servers of `storage`."""
    pids = (int(pid) for pid in os.listdir("/proc") if pid.isdigit())
    return [pid for pid in pids if _serves(pid, storage)]


def environment(data_dir: Path, port: int, workers: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MONGODB_URI", "JWT_SECRET", "JWT_PUBLIC_KEYS", "JWT_JWKS_URL"}
    }
    return {
        **env,
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "WORKERS": str(workers),
        "SCHEDULER_ENABLED": "false",
        "RATE_LIMIT_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }


@asynccontextmanager
async def contracts_serve(
    data_dir: Path, workers: int = 1
) -> AsyncIterator[tuple[Client, Process]]:
    """`contracts serve` on the embedded default, as a user starts it."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "contracts"),
        "serve",
        env=environment(data_dir, port, workers),
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
    )
    settings = load_settings(mongodb_uri=None, data_dir=data_dir, jwt_secret=None)
    async with served_by(process, port, settings, start_seconds=60) as client:
        yield client, process


async def test_acknowledged_mutations_survive_kill_9_of_service_and_database(
    tmp_path: Path,
) -> None:
    acknowledged_clients: list[str] = []
    acknowledged_sows: list[str] = []

    enough = asyncio.Event()

    async def write(api: Client, stop: asyncio.Event) -> None:
        token = api.token(Role.COMPLIANCE)
        while not stop.is_set():
            try:
                body = await api.post(
                    CREATE_CLIENT,
                    {"n": f"Client {len(acknowledged_clients)}"},
                    token,
                )
                client_id = body["data"]["createClient"]["id"]
                acknowledged_clients.append(client_id)
                acknowledged_sows.append((await create_sow(api, client_id))["id"])
                if len(acknowledged_sows) >= 30:
                    enough.set()
            except (httpx.TransportError, AssertionError):
                return  # the service is gone: what was acknowledged is what counts

    async with contracts_serve(tmp_path) as (api, service):
        stop = asyncio.Event()
        writers = [asyncio.create_task(write(api, stop)) for _ in range(WRITERS)]
        await asyncio.wait_for(enough.wait(), 60)
        state = _State.read(tmp_path / STATE_FILE)
        assert state is not None
        os.kill(state.pid, signal.SIGKILL)
        service.send_signal(signal.SIGKILL)
        stop.set()
        await asyncio.gather(*writers)

    async with contracts_serve(tmp_path) as (api, _):
        token = api.token(Role.COMPLIANCE)
        for sow_id in acknowledged_sows:
            found = await api.ok(
                "query($id: ID!) { sow(id: $id) { version versions { number } "
                "events { totalCount } } }",
                {"id": sow_id},
                token,
            )
            assert found["sow"]["version"] == 1
            assert [v["number"] for v in found["sow"]["versions"]] == [1]
            assert found["sow"]["events"]["totalCount"] == 1
        listed = await api.ok("{ clients(first: 100) { totalCount } }", token=token)
        assert listed["clients"]["totalCount"] >= len(acknowledged_clients)
        # None half-written: every SOW stored, acknowledged or not, has its version and event.
        state = _State.read(tmp_path / STATE_FILE)
        assert state is not None
        await _each_sow_is_whole(api.settings.mongodb_database, state.port)


async def _each_sow_is_whole(database: str, port: int) -> None:
    db = Database(client_uri(port), database)
    try:
        sows = [doc["_id"] async for doc in db.db.sows.find({}, {"_id": 1})]
        for sow in sows:
            assert await db.db.versions.count_documents({"entityId": sow}) == 1
            assert await db.db.events.count_documents({"entityId": sow}) == 1
        assert await db.db.events.count_documents({}) == len(sows)
    finally:
        await db.close()


async def test_several_workers_share_one_embedded_server(tmp_path: Path) -> None:
    async with contracts_serve(tmp_path, workers=2) as (api, service):
        token = api.token(Role.COMPLIANCE)
        created = await asyncio.gather(
            *(api.ok(CREATE_CLIENT, {"n": f"C{n}"}, token) for n in range(20))
        )
        listed = await api.ok("{ clients(first: 100) { totalCount } }", token=token)
        assert listed["clients"]["totalCount"] == len(created) == 20
        assert len(embedded_servers(tmp_path / STORAGE_DIR)) == 1
        state = _State.read(tmp_path / STATE_FILE)
        assert state is not None
        assert state.owner == service.pid
