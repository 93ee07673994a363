"""Sequential write cost as the event log grows, on the embedded default (or MONGODB_URI).

A new user's first experience: `createSow` then `updateSow`, one after the other, through
GraphQL on a running service. Measured once the log holds about 1,000 events, and again
after a seeded data set has taken it to about 50,000: the second p50 must stay within 1.5x
the first (an engine whose unique-index checks scan the collection fails this).

    .venv/bin/python -m bench.writes [--writes 300] [--events 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime

import httpx

from bench.api import GraphQL, _env, _token
from bench.harness import Database, Server
from domain.party import Role
from migrations.runner import migrate
from seed import dataset
from seed.load import load
from storage.database import Database as Storage
from storage.store import Store
from tests.sow_helpers import CREATE
from tests.terms import SOW_TERMS

UPDATE = """
mutation($id: ID!, $t: SowTermsPatch!) {
  updateSow(id: $id, expectedVersion: 1, terms: $t) { version }
}
"""
CLIENT = 'mutation { createClient(name: "Bench") { id } }'
# Events a seeded data set writes per unit of scale (measured: about 24,000).
EVENTS_PER_SCALE = 24_000


async def _events(uri: str, name: str) -> int:
    db = Storage(uri, name)
    try:
        return await db.db.events.count_documents({})
    finally:
        await db.close()


async def _fill(uri: str, name: str, events: int) -> float:
    """Seed until the log holds about `events`; the seconds it took."""
    db = Storage(uri, name)
    started = time.perf_counter()
    try:
        await migrate(db)
        missing = events - await db.db.events.count_documents({})
        if missing > 0:
            scale = dataset.Scale.of(missing / EVENTS_PER_SCALE)
            await load(Store(db), scale, datetime.now(UTC), force=True)
    finally:
        await db.close()
    return time.perf_counter() - started


async def _window(sow_client: GraphQL, writes: int) -> list[float]:
    """Milliseconds of each of `writes` sequential writes (a create, then an update of it)."""
    samples: list[float] = []
    for n in range(writes // 2):
        started = time.perf_counter()
        created = await sow_client(CREATE, {"t": SOW_TERMS, "c": None})
        samples.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await sow_client(UPDATE, {"id": created["createSow"]["id"], "t": {"title": f"T{n}"}})
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _p50(samples: list[float]) -> float:
    return statistics.median(samples)


async def run(writes: int, events: int) -> None:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    database = None if os.environ.get("MONGODB_URI") else Database()
    uri = os.environ.get("MONGODB_URI") or (database.uri if database else "")
    service = Server("api.main:app", _env(uri, name))
    try:
        await service.ready()
        async with httpx.AsyncClient(base_url=service.url, timeout=60) as http:
            staff = GraphQL(http, _token(Role.COMPLIANCE))
            client_id = (await staff(CLIENT))["createClient"]["id"]
            as_client = GraphQL(http, _token(Role.CLIENT, client_id=client_id))
            await _window(as_client, 2 * writes)  # to about 1,000 events, and warm
            first = _p50(await _window(as_client, writes))
            at_first = await _events(uri, name)
            seconds = await _fill(uri, name, events)
            at_second = await _events(uri, name)
            second = _p50(await _window(as_client, writes))
    finally:
        service.stop()
        if database is not None:
            database.stop()
    print(f"write p50 at {at_first:,} events: {first:.2f} ms")
    print(f"seeded to {at_second:,} events in {seconds:.1f} s")
    print(f"write p50 at {at_second:,} events: {second:.2f} ms ({second / first:.2f}x)")
    print(f"{'met   ' if second <= 1.5 * first else 'MISSED'} p50 at 50k within 1.5x of at 1k")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=300, help="writes per measured window")
    parser.add_argument("--events", type=int, default=50_000, help="log size of the second window")
    args = parser.parse_args()
    asyncio.run(run(args.writes, args.events))


if __name__ == "__main__":
    main()
