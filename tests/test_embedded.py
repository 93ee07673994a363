"""The embedded default: no MONGODB_URI, data kept in a local folder across restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from api.app import create_app
from api.settings import Settings
from domain.party import Role
from storage.embedded import EmbeddedServer
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


def writer(uri: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(uri, tz_aware=True)


async def test_another_clients_write_waits_for_an_open_transaction_and_both_are_kept() -> None:
    """The gate: beside an open transaction the in-memory engine loses or keeps the wrong
    writes, so the embedded server lets the other client in only after the commit."""
    server = EmbeddedServer(data_dir=None)
    uri = await server.start()
    first, second = writer(uri), writer(uri)
    try:
        async with first.start_session() as session:
            await session.start_transaction()
            await first.gate.docs.insert_one({"_id": "in the transaction"}, session=session)
            outside = asyncio.create_task(second.gate.docs.insert_one({"_id": "outside"}))
            await asyncio.sleep(0.3)
            assert not outside.done()  # held at the gate while the transaction is open
            await session.commit_transaction()
            await asyncio.wait_for(outside, 5)
        kept = await second.gate.docs.distinct("_id")
        assert sorted(kept) == ["in the transaction", "outside"]
    finally:
        await first.close()
        await second.close()
        await server.close()


async def test_a_transaction_abandoned_by_its_client_stops_holding_the_others_back() -> None:
    server = EmbeddedServer(data_dir=None, abandoned_after=0.5)
    uri = await server.start()
    first, second = writer(uri), writer(uri)
    try:
        session = first.start_session()
        await session.start_transaction()
        await first.gate.docs.insert_one({"_id": "never committed"}, session=session)
        # The client never commits nor aborts; the other gets in once the limit has passed.
        await asyncio.wait_for(second.gate.docs.insert_one({"_id": "outside"}), 5)
        assert await second.gate.docs.distinct("_id") == ["outside"]
    finally:
        await first.close()
        await second.close()
        await server.close()
