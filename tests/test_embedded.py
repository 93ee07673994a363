"""The embedded default: no MONGODB_URI, data kept in a local folder across restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from api.app import create_app
from api.settings import Settings
from domain.party import Role
from tests.conftest import Api

CREATE = "mutation($n: String!) { createClient(name: $n) { id name } }"
CLIENTS = "{ clients { totalCount edges { node { name } } } }"


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
                    # Concurrent writes: the SQLite engine serves one transaction at a time.
                    await asyncio.gather(
                        *(api.ok(CREATE, {"n": f"Client {i}"}, token) for i in range(5))
                    )
                data = await api.ok(CLIENTS, token=token)
    assert data["clients"]["totalCount"] == 5
    assert (tmp_path / "contracts.sqlite3").exists()
