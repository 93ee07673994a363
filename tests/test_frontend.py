"""The frontend example (frontend/): the README's examples are its named operations, they
validate against `schema.graphql`, codegen and `tsc --strict` pass on it, and its client
follows the live feed across restarts of the service and of itself.

Node and npm do the last part. A machine without them skips it, saying so (`-ra` lists the
reason); in CI (`CI` set) their absence fails the run, so the check cannot silently go.
`node_modules` stays in frontend/ between runs, like .venv, and is installed again (`npm ci`)
only when package-lock.json is newer than the last install.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    build_schema,
    concat_ast,
    parse,
    print_ast,
    validate,
)

from api.settings import Settings
from api.tokens import mint_token
from domain.party import Role
from storage.database import Database
from storage.persisted_queries import COLLECTION as PERSISTED
from tests.conftest import Client, configured
from tests.ids import seq
from tests.processes import api_process
from tests.served import serving
from tests.sow_helpers import create_sow

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
OPERATIONS = FRONTEND / "operations"
GENERATED = FRONTEND / "src" / "generated" / "graphql.ts"
BUILD = FRONTEND / "build"
NPM_CI = ("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts")
NODE_SECONDS = 300
EVENT_SECONDS = 30


def frontend_documents() -> list[DocumentNode]:
    return [parse(path.read_text()) for path in sorted(OPERATIONS.glob("*.graphql"))]


def readme_documents() -> list[DocumentNode]:
    text = (ROOT / "README.md").read_text()
    return [parse(block) for block in re.findall(r"```graphql\n(.*?)```", text, re.DOTALL)]


def definitions(documents: list[DocumentNode]) -> dict[str, str]:
    """Each operation and fragment by name, printed the same whatever its layout."""
    found: dict[str, str] = {}
    for document in documents:
        for definition in document.definitions:
            assert isinstance(definition, ExecutableDefinitionNode), definition
            assert isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
            assert definition.name is not None, f"an anonymous operation: {print_ast(definition)}"
            name = definition.name.value
            assert name not in found, f"{name} is defined twice"
            found[name] = print_ast(definition)
    return found


def test_the_readme_examples_are_the_frontends_named_operations() -> None:
    readme = definitions(readme_documents())
    frontend = definitions(frontend_documents())
    assert readme, "the README has no GraphQL example"
    for name, printed in readme.items():
        assert frontend.get(name) == printed, f"{name}: the README and frontend/ differ"


def test_the_frontends_operations_validate_against_the_schema() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text())
    assert validate(schema, concat_ast(frontend_documents())) == []


def test_no_package_of_the_frontend_is_under_the_gpl() -> None:
    """The project imports no GPL code; the lock file names every package's license."""
    packages = json.loads((FRONTEND / "package-lock.json").read_text())["packages"]
    licenses = {path: str(package.get("license")) for path, package in packages.items() if path}
    assert licenses
    assert not {path: name for path, name in licenses.items() if "GPL" in name.upper()}
    assert "None" not in licenses.values(), "a package without a license in the lock file"


def _tools() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        message = (
            f"NOT CHECKED: frontend/ codegen and tsc --strict need {' and '.join(missing)} "
            "(Node 20 or later) on PATH"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _run(*command: str) -> None:
    done = subprocess.run(
        command,
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        check=False,
        timeout=NODE_SECONDS,
    )
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"


def _install() -> None:
    installed = FRONTEND / "node_modules" / ".package-lock.json"
    lock = FRONTEND / "package-lock.json"
    if not installed.exists() or lock.stat().st_mtime > installed.stat().st_mtime:
        _run(*NPM_CI)


@pytest.fixture(scope="module")
def built(testrun_uid: str) -> Path:
    """frontend/ installed, its types generated and compiled with `tsc --strict` (which
    fails on any type error): the compiled client's folder.

    Built once per run, whichever worker comes first: each worker rebuilding it for its share
    of this module's tests deleted the compiled client from under another worker's node
    (seen once under load). The others wait on the lock, then find the run's stamp."""
    _tools()
    stamp = BUILD / ".testrun"
    with (FRONTEND / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != testrun_uid:
            _install()
            GENERATED.unlink(missing_ok=True)
            shutil.rmtree(BUILD, ignore_errors=True)
            _run("node_modules/.bin/graphql-codegen", "--config", "codegen.ts")
            _run("node_modules/.bin/tsc", "--strict", "-p", "tsconfig.json")
            stamp.write_text(testrun_uid)
    return BUILD / "src"


def test_codegen_and_strict_typecheck_pass_on_the_frontend_example(built: Path) -> None:
    assert "export const ContractEventsDocument" in GENERATED.read_text()
    assert (built / "client.js").exists()


class Follower:
    """`node build/src/follow.js`: the example client following the live feed."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.log: list[str] = []
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()
        self.reading = asyncio.create_task(self._read_log())

    async def _read_log(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.log.append(line.decode().strip())
            if self.log[-1] == "connected":
                self.connected.set()
            elif self.log[-1] == "closed":
                self.closed.set()

    async def event(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(EVENT_SECONDS):
            line = await self.process.stdout.readline()
        assert line, f"the client ended: {self.log}"
        event: dict[str, Any] = json.loads(line)
        return event

    def viewers(self) -> list[dict[str, Any]]:
        """What the client printed of `viewer` at start."""
        prefix = "viewer "
        return [
            json.loads(line.removeprefix(prefix)) for line in self.log if line.startswith(prefix)
        ]

    async def stop(self, seconds: float = EVENT_SECONDS) -> None:
        """SIGTERM, then the exit it must lead to within `seconds`; killed if it does not,
        so that a hanging client fails the test it hangs in, not a later one."""
        if self.process.returncode is None:
            self.process.terminate()
        try:
            async with asyncio.timeout(seconds):
                await self.process.wait()
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
            await self.reading


@asynccontextmanager
async def follower(built: Path, environment: dict[str, str]) -> AsyncIterator[Follower]:
    process = await asyncio.create_subprocess_exec(
        "node",
        str(built / "follow.js"),
        env={**os.environ, **environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    running = Follower(process)
    try:
        yield running
    finally:
        await running.stop()


async def persisted_viewer_queries(settings: Settings) -> int:
    assert settings.mongodb_uri is not None
    db = Database(settings.mongodb_uri, settings.mongodb_database)
    try:
        return await db.db[PERSISTED].count_documents({"query": {"$regex": "viewer"}})
    finally:
        await db.close()


async def new_client(service: Client) -> str:
    data = await service.ok(
        'mutation { createClient(name: "Acme") { id } }', token=service.token(Role.COMPLIANCE)
    )
    client_id: str = data["createClient"]["id"]
    return client_id


async def test_the_client_resumes_after_restarts_of_the_service_and_of_itself(
    built: Path, settings: Settings, tmp_path: Path
) -> None:
    # The service's address outlives its processes, as a restarted service's does.
    listening = socket.create_server(("127.0.0.1", 0))
    token = tmp_path / "token"
    environment = {
        "CONTRACTS_WS_URL": f"ws://127.0.0.1:{listening.getsockname()[1]}/graphql",
        "CONTRACTS_TOKEN_FILE": str(token),
        "CONTRACTS_CURSOR_FILE": str(tmp_path / "cursor"),
        "CONTRACTS_MAX_RETRY_WAIT_MS": "500",
    }
    received: list[dict[str, Any]] = []
    token.write_text(mint_token(settings, Role.COMPLIANCE, subject="first"))
    try:
        async with follower(built, environment) as client:
            async with api_process(settings, listening=listening) as service:
                client_id = await new_client(service)
                async with asyncio.timeout(EVENT_SECONDS):
                    await client.connected.wait()
                first = await create_sow(service, client_id)
                received.append(await client.event())
                assert (received[-1]["type"], received[-1]["entityId"]) == ("CREATED", first["id"])
            # The service is down (the client saw 1012); events are written meanwhile, and
            # the token is replaced by the client company's: it sees only its own SOW's.
            async with api_process(settings) as other:
                elsewhere = await create_sow(other, await new_client(other))
                during = await create_sow(other, client_id)
            token.write_text(other.token(Role.CLIENT, client_id=client_id))
            async with api_process(settings, listening=listening) as service:
                received.append(await client.event())
                # Not `elsewhere`'s, which the first token saw: the new token is in use.
                assert received[-1]["entityId"] == during["id"] != elsewhere["id"]
                await client.stop()
                # The client is down: it starts again from the id it wrote last.
                assert (tmp_path / "cursor").read_text() == received[-1]["id"]
                away = await create_sow(service, client_id)
                async with follower(built, environment) as again:
                    received.append(await again.event())
                    assert received[-1]["entityId"] == away["id"]
                    live = await create_sow(service, client_id)
                    received.append(await again.event())
                    assert received[-1]["entityId"] == live["id"]
                    assert again.viewers() == [{"id": f"client-{client_id}", "role": "CLIENT"}]
        # At start, a query by HTTP: sent as a persisted query, registered once.
        assert client.viewers() == [{"id": "first", "role": "COMPLIANCE"}]
        assert await persisted_viewer_queries(settings) == 1
        # A token read per request and per connection.
        assert client.log.count("token read") >= 2, client.log
        assert client.log.count("connected") >= 2, client.log
    finally:
        listening.close()
    ids = [seq(event["id"]) for event in received]
    assert ids == sorted(set(ids)), received


async def test_the_client_stops_at_once_on_sigterm_while_the_service_is_down(
    built: Path, settings: Settings, tmp_path: Path
) -> None:
    # The address still listens, as it does while a service restarts: the client's
    # reconnection is accepted by the kernel and then waits, answered by nobody.
    listening = socket.create_server(("127.0.0.1", 0))
    token = tmp_path / "token"
    token.write_text(mint_token(settings, Role.COMPLIANCE, subject="leaving"))
    environment = {
        "CONTRACTS_WS_URL": f"ws://127.0.0.1:{listening.getsockname()[1]}/graphql",
        "CONTRACTS_TOKEN_FILE": str(token),
        "CONTRACTS_CURSOR_FILE": str(tmp_path / "cursor"),
        "CONTRACTS_MAX_RETRY_WAIT_MS": "100",
    }
    try:
        async with follower(built, environment) as client:
            async with api_process(settings, listening=listening):
                async with asyncio.timeout(EVENT_SECONDS):
                    await client.connected.wait()
            async with asyncio.timeout(EVENT_SECONDS):
                await client.closed.wait()
            await asyncio.sleep(0.5)  # past its retry wait: it is connecting again
            await client.stop(seconds=5)
            assert client.process.returncode == 0, client.log
    finally:
        listening.close()


# Rate limits: the client waits as long as the service says --------------------------------

# Runs one query with the compiled client (from build/, where its packages resolve),
# recording every answer the service gives it: when, its status, its Retry-After. The
# requests still go to the real service.
RATE_LIMITED_QUERY = """
import WebSocket from "ws";

import { ContractClient } from "./src/client.js";
import { ViewerDocument } from "./src/generated/graphql.js";

const answers = [];
const send = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const response = await send(...args);
  const retryAfter = response.headers.get("retry-after");
  answers.push({ at: Date.now(), status: response.status, retryAfter });
  return response;
};
const client = new ContractClient({
  httpUrl: process.env.CONTRACTS_HTTP_URL,
  wsUrl: process.env.CONTRACTS_HTTP_URL.replace(/^http/, "ws"),
  token: async () => process.env.CONTRACTS_TOKEN,
  webSocketImpl: WebSocket,
  maxRetryWaitMs: 30000,
});
const { viewer } = await client.request(ViewerDocument, {});
console.log(JSON.stringify({ viewer, answers }));
await client.dispose();
"""


async def test_the_client_waits_the_retry_after_the_service_asks_for(
    built: Path, settings: Settings
) -> None:
    # 20 a minute: one request every 3 s once the burst is spent, so RATE_LIMITED says 3.
    settings = configured(settings, rate_limit_per_minute=20)
    script = built.parent / "rate_limited.mjs"
    script.write_text(RATE_LIMITED_QUERY)
    token = mint_token(settings, Role.COMPLIANCE, subject="hasty")
    async with serving(settings) as (_app, server, _task):
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        endpoint = f"http://{host}:{port}/graphql"
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                spent = await http.post(
                    endpoint,
                    json={"query": "{ viewer { id } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                if spent.status_code == 429:
                    break
            assert spent.status_code == 429
        node = await asyncio.create_subprocess_exec(
            "node",
            str(script),
            env={**os.environ, "CONTRACTS_HTTP_URL": endpoint, "CONTRACTS_TOKEN": token},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(EVENT_SECONDS):
            out, err = await node.communicate()
    assert node.returncode == 0, err.decode()
    ran = json.loads(out)
    assert ran["viewer"] == {"id": "hasty", "role": "COMPLIANCE"}
    answers = ran["answers"]
    assert answers[0]["status"] == 429, answers
    assert answers[-1]["status"] == 200, answers
    # After each refusal, the next request leaves no sooner than the service asked.
    for refused, following in itertools.pairwise(answers):
        if refused["status"] == 429:
            waited = following["at"] - refused["at"]
            assert waited >= int(refused["retryAfter"]) * 1000, answers


CLOSE_REASONS = """
import { closeRetryAfterMs } from "./src/client.js";

console.log(JSON.stringify([
  "RATE_LIMITED retryAfter=3: the rate budget is spent",
  "CONCURRENCY_LIMITED retryAfter=30: 3 connections at most",
  "Service restart",
].map(closeRetryAfterMs)));
"""


def test_the_client_reads_the_wait_a_close_reason_asks_for(built: Path) -> None:
    script = built.parent / "close_reasons.mjs"
    script.write_text(CLOSE_REASONS)
    ran = subprocess.run(["node", str(script)], capture_output=True, text=True, check=True)
    # JSON has no undefined: the reason without a wait is null.
    assert json.loads(ran.stdout) == [3000, 30000, None]
