"""The test harness: a real MongoDB-compatible server, the real driver, the real app.

One server per session: the embedded SecantusDB server (with its test commands, for fail
points), or the server of `MONGODB_URI` when set. Each test gets its own database and its own
application, driven through HTTP.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings, load_settings
from api.tokens import mint_token
from domain.party import Role
from storage.database import Database
from storage.embedded import EmbeddedOptions, EmbeddedServer

SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if uri := os.environ.get("MONGODB_URI"):
        yield uri
        return
    folder = tmp_path_factory.mktemp("embedded")
    with EmbeddedServer(folder, EmbeddedOptions(test_commands=True)) as server:
        yield server.uri


@pytest.fixture
async def target(mongo_uri: str) -> AsyncIterator[Database]:
    """A fresh database of the session's server, for tests below the app; dropped after."""
    db = Database(mongo_uri, f"test_{uuid.uuid4().hex[:16]}")
    yield db
    await db.client.drop_database(db.db.name)
    await db.close()


@pytest.fixture
def settings(mongo_uri: str) -> Settings:
    return load_settings(
        mongodb_uri=mongo_uri,
        mongodb_database=f"test_{uuid.uuid4().hex[:16]}",
        jwt_secret=SECRET,
        scheduler_enabled=False,
        # Tests that deliver run the outbox themselves (tests/delivery_helpers.py).
        delivery_enabled=False,
        graphiql=True,
    )


def iso(moment: datetime) -> str:
    """`moment` as the DateTime scalar sends it: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Clock:
    """The time the app sees; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Client:
    """A GraphQL client of a running service, acting as one party or another."""

    http: httpx.AsyncClient
    settings: Settings

    def token(
        self,
        role: Role,
        *,
        client_id: str | None = None,
        agent_id: str | None = None,
        subject: str | None = None,
    ) -> str:
        return mint_token(
            self.settings,
            role,
            client_id=client_id,
            agent_id=agent_id,
            subject=subject or f"{role}-{client_id or agent_id or 'staff'}",
        )

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        body = await self.post(query, variables, token)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The single error of a refused operation (its `extensions` hold the code)."""
        body = await self.post(query, variables, token)
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body["errors"]
        error: dict[str, Any] = body["errors"][0]
        return error


@dataclass
class Api(Client):
    """A client of the app under test, which runs in this process."""

    app: Starlette


@pytest.fixture
def clock() -> Clock:
    return Clock()


@asynccontextmanager
async def serve(
    settings: Settings, clock: Clock | None = None, client_options: Mapping[str, Any] | None = None
) -> AsyncIterator[Api]:
    """The app of `settings`, running, and a client of it; its database dropped after.

    `client_options` reach the MongoDB client (command listeners)."""
    app = create_app(settings, client_options)
    async with app.router.lifespan_context(app):
        if clock is not None:
            app.state.services.clock = clock
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Api(http=http, settings=settings, app=app)
        await app.state.services.db.client.drop_database(settings.mongodb_database)


def configured(settings: Settings, **changes: object) -> Settings:
    """`settings` with `changes`, validated again as at start-up."""
    return load_settings(**{**settings.model_dump(), **changes})


@pytest.fixture
async def api(settings: Settings, clock: Clock) -> AsyncIterator[Api]:
    async with serve(settings, clock) as running:
        yield running


def command_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment in which a `contracts` command reaches the test's database."""
    for name, value in {
        "MONGODB_URI": settings.mongodb_uri,
        "MONGODB_DATABASE": settings.mongodb_database,
        "JWT_SECRET": settings.jwt_secret.get_secret_value() if settings.jwt_secret else None,
    }.items():
        assert value is not None
        monkeypatch.setenv(name, value)
