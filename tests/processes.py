"""The service in an OS process of its own, as deployed: uvicorn serving `api.main:app`,
configured from the environment, on the test's database."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

import httpx

from api.settings import Settings
from tests.conftest import Client

ROOT = Path(__file__).resolve().parent.parent
# A graceful stop of uvicorn waits for its connections with no limit of its own.
STOP_SECONDS = 10


def _environment(settings: Settings) -> dict[str, str]:
    assert settings.mongodb_uri is not None
    assert settings.jwt_secret is not None
    return {
        **os.environ,
        "MONGODB_URI": settings.mongodb_uri,
        "MONGODB_DATABASE": settings.mongodb_database,
        "JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "RATE_LIMIT_PER_MINUTE": "0",
        "SCHEDULER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def api_process(
    settings: Settings,
    environment: Mapping[str, str] | None = None,
    listening: socket.socket | None = None,
    output: IO[bytes] | None = None,
) -> AsyncIterator[Client]:
    """A client of the service of `settings` running in a process of its own; `environment`
    adds to or overrides the variables it is configured with. On `listening` when given (kept
    open by the caller: a process started on it after this one serves the same address, as a
    restarted service does), else on a socket of its own. Its stdout and stderr go to
    `output` when given."""
    # Bound here and handed over: no port to pick free and lose before the child binds it.
    own = listening is None
    listening = listening or socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--fd",
        str(listening.fileno()),
        "--log-level",
        "warning",
        env={**_environment(settings), **(environment or {})},
        cwd=ROOT,
        pass_fds=(listening.fileno(),),
        stdout=output,
        stderr=output,
    )
    if own:
        listening.close()  # the child holds it now
    async with served_by(process, port, settings) as client:
        yield client


@asynccontextmanager
async def serve_command(
    settings: Settings,
    environment: Mapping[str, str] | None = None,
    output: IO[bytes] | None = None,
) -> AsyncIterator[Client]:
    """A client of `contracts serve`, as a user starts it (WORKERS and all), on the test's
    database; `environment` and `output` as for `api_process`."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "contracts"),
        "serve",
        env={**_environment(settings), "PORT": str(port), **(environment or {})},
        cwd=ROOT,
        stdout=output,
        stderr=output,
    )
    async with served_by(process, port, settings) as client:
        yield client


@asynccontextmanager
async def served_by(
    process: Process, port: int, settings: Settings, start_seconds: float = 30
) -> AsyncIterator[Client]:
    """A client of the service `process` starts on `port`, once it is ready; the process
    is stopped after (terminated, killed if it takes longer than STOP_SECONDS)."""
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            async with asyncio.timeout(start_seconds):
                while not await _ready(http):
                    assert process.returncode is None, "the service did not start"
                    await asyncio.sleep(0.1)
            yield Client(http=http, settings=settings)
    finally:
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _ready(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


def contracts(
    settings: Settings, database: str, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`contracts ARGS` in a process of its own, on `database` of the server of `settings`
    (blocking: run it in a thread from a test)."""
    assert settings.jwt_secret is not None
    env = {
        "PATH": os.environ["PATH"],
        "MONGODB_URI": settings.mongodb_uri or "",
        "MONGODB_DATABASE": database,
        "JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )


def contracts_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`contracts ARGS` on the test's own database, its output as text."""
    done = contracts(settings, settings.mongodb_database, *args)
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )
