"""The service against the raw driver and a plain Starlette endpoint, in one run.

    python -m bench.api [--scale S] [--requests 1000] [--writes 200] [--seconds 10] [--json F]

Starts a database (the embedded server in its own process, or `MONGODB_URI`), loads a data
set of `--scale` through the domain rules, starts the service and the plain baseline with
uvicorn, and measures each request against its baselines on the same database:

- read one CSA by id as its agent: GraphQL, plain endpoint, raw `find_one`;
- an agent's page of 50 CSAs and a compliance page of 50 SOWs, with nested fields;
- a status change (version check, transition, event) against the raw driver's writes;
- throughput of the read by id with concurrent clients, GraphQL against plain;
- database commands per request (command monitoring, in-process) and the service's peak RSS.

Prints a table, judges the targets of issue 8, and writes everything as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from api.settings import load_settings
from api.tokens import mint_token
from bench import reads
from bench.harness import (
    WARMUP,
    Database,
    Latency,
    Server,
    benchmark,
    latencies,
    peak_rss_mib,
    throughput,
    verdicts,
)
from domain.party import Role
from migrations.runner import migrate
from seed import dataset
from seed.load import load, submitted_sows
from storage.database import Database as Storage
from storage.store import Store

SECRET = "bench-secret-" + "x" * 40
RESULTS = Path(__file__).resolve().parent / "results" / "api.json"

CSA_BY_ID = """
query($id: ID!) {
  csa(id: $id) { id number status programName version flags
    terms { effectiveDate expirationDate payRate { amount currency unit } } }
}
"""
AGENT_PAGE = """
{ csas(first: 50) { edges { cursor node {
    id number status programName flags agent { name } terms { effectiveDate expirationDate } } }
  pageInfo { hasNextPage endCursor } } }
"""
SOW_PAGE = """
{ sows(first: 50) { edges { cursor node {
    id number status client { name } staffing { contracted active }
    terms { title goLiveDate endDate } } }
  pageInfo { hasNextPage endCursor } } }
"""
START_REVIEW = """
mutation($id: ID!) { startSowReview(id: $id, expectedVersion: 1) { id status version } }
"""


@dataclass(frozen=True)
class Targets:
    """The chosen documents: one CSA and its agent, the agent with the most CSAs."""

    csa_id: str
    csa_agent_id: str
    busy_agent_id: str


class GraphQL:
    """A client of the service, as one party."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {token}"}

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self._http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self._headers
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"GraphQL failed: {response.status_code} {body}")
        return body["data"]


async def _load(uri: str, name: str, scale: dataset.Scale, pool: int) -> tuple[Targets, list[str]]:
    db = Storage(uri, name)
    try:
        await migrate(db)
        store = Store(db)
        now = datetime.now(UTC)
        started = time.perf_counter()
        loaded = await load(store, scale, now)
        ids = await submitted_sows(store, loaded.clients[0], pool, now)
        print(
            f"loaded {len(loaded.clients)} clients, {len(loaded.agents)} agents, {loaded.sows}"
            f" + {pool} SOWs, {loaded.csas} CSAs ({loaded.changes + pool} changes)"
            f" in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        busiest = await db.db.csas.aggregate(
            [{"$group": {"_id": "$agentId", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}, {"$limit": 1}]
        )
        busy = next(iter([doc async for doc in busiest]))["_id"]
        csa = await db.db.csas.find_one({"agentId": {"$ne": busy}})
        assert csa is not None, "the data set holds no CSA"
        return Targets(str(csa["_id"]), str(csa["agentId"]), str(busy)), ids
    finally:
        await db.close()


async def _commands(uri: str, name: str, targets: Targets) -> dict[str, int]:
    """Database commands per request, counted in an in-process service."""
    from api.app import create_app
    from tests.commands import CommandCounter

    counter = CommandCounter()
    settings = load_settings(
        mongodb_uri=uri, mongodb_database=name, jwt_secret=SECRET, scheduler_enabled=False
    )
    app = create_app(settings, {"event_listeners": [counter]})
    counts: dict[str, int] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            agent = GraphQL(http, _token(Role.AGENT, agent_id=targets.csa_agent_id))
            busy = GraphQL(http, _token(Role.AGENT, agent_id=targets.busy_agent_id))
            staff = GraphQL(http, _token(Role.COMPLIANCE))
            requests: list[tuple[str, GraphQL, str, dict[str, Any] | None]] = [
                ("csa by id", agent, CSA_BY_ID, {"id": targets.csa_id}),
                ("agent page of 50 CSAs", busy, AGENT_PAGE, None),
                ("compliance page of 50 SOWs", staff, SOW_PAGE, None),
            ]
            for label, party, query, variables in requests:
                await party(query, variables)
                counter.reset()
                await party(query, variables)
                counts[label] = counter.count
    return counts


def _token(role: Role, agent_id: str | None = None, client_id: str | None = None) -> str:
    settings = load_settings(jwt_secret=SECRET, mongodb_uri="mongodb://unused")
    subject = f"bench-{role}-{agent_id or client_id}"
    return mint_token(settings, role, subject=subject, agent_id=agent_id, client_id=client_id)


def _env(uri: str, name: str, rate_limit: int = 0) -> dict[str, str]:
    return {
        "MONGODB_URI": uri,
        "MONGODB_DATABASE": name,
        "JWT_SECRET": SECRET,
        "RATE_LIMIT_PER_MINUTE": str(rate_limit),
        "SCHEDULER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }


async def _pair(
    label: str,
    ours: Callable[[], Awaitable[object]],
    raw: Callable[[], Awaitable[object]],
    plain: Callable[[], Awaitable[object]] | None,
    n: int,
) -> dict[str, Any]:
    sides = {"graphql": ours, "raw": raw, **({"plain": plain} if plain is not None else {})}
    measured = await latencies(sides, n)
    return {"request": label, **{side: asdict(figures) for side, figures in measured.items()}}


def _overhead(row: dict[str, Any], side: str) -> float:
    return float(row[side]["p50_ms"] - row["raw"]["p50_ms"])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    database = None if os.environ.get("MONGODB_URI") else Database()
    uri = os.environ.get("MONGODB_URI") or (database.uri if database else "")
    scale = dataset.Scale.of(args.scale)
    pool = args.writes + WARMUP
    targets, submitted = await _load(uri, name, scale, 2 * pool)
    commands = await _commands(uri, name, targets)
    service = Server("api.main:app", _env(uri, name, args.rate_limit))
    plain_server = Server("bench.plain_app:app", _env(uri, name))
    raw_client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    db = raw_client[name]
    try:
        await asyncio.gather(service.ready(), plain_server.ready())
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with (
            httpx.AsyncClient(base_url=service.url, limits=limits) as http,
            httpx.AsyncClient(base_url=plain_server.url, limits=limits) as plain,
        ):
            agent = GraphQL(http, _token(Role.AGENT, agent_id=targets.csa_agent_id))
            busy = GraphQL(http, _token(Role.AGENT, agent_id=targets.busy_agent_id))
            staff = GraphQL(http, _token(Role.COMPLIANCE))
            rows = [
                await _pair(
                    "csa by id",
                    lambda: agent(CSA_BY_ID, {"id": targets.csa_id}),
                    lambda: reads.csa_by_id(db, targets.csa_id),
                    lambda: plain.get(f"/csas/{targets.csa_id}"),
                    args.requests,
                ),
                await _pair(
                    "agent page of 50 CSAs",
                    lambda: busy(AGENT_PAGE),
                    lambda: reads.agent_csa_page(db, targets.busy_agent_id),
                    lambda: plain.get(f"/agents/{targets.busy_agent_id}/csas"),
                    args.requests // 4,
                ),
                await _pair(
                    "compliance page of 50 SOWs",
                    lambda: staff(SOW_PAGE),
                    lambda: reads.sow_page(db),
                    lambda: plain.get("/sows"),
                    args.requests // 4,
                ),
            ]
            ours_pool, raw_pool = iter(submitted[:pool]), iter(submitted[pool:])
            rows.append(
                await _pair(
                    "status change (startSowReview)",
                    lambda: staff(START_REVIEW, {"id": next(ours_pool)}),
                    lambda: reads.start_review(raw_client, db, next(raw_pool)),
                    None,
                    args.writes,
                )
            )
            rps = {
                "graphql": await throughput(
                    lambda: agent(CSA_BY_ID, {"id": targets.csa_id}), args.clients, args.seconds
                ),
                "plain": await throughput(
                    lambda: plain.get(f"/csas/{targets.csa_id}"), args.clients, args.seconds
                ),
            }
        rss = peak_rss_mib(service.pid)
    finally:
        service.stop()
        plain_server.stop()
        await raw_client.drop_database(name)
        await raw_client.close()
        if database is not None:
            database.stop()
    read, agent_page, sow_page = rows[0], rows[1], rows[2]
    return {
        "scale": asdict(scale),
        "rows": rows,
        "throughput_rps": {**rps, "clients": args.clients},
        "commands_per_request": commands,
        "service_peak_rss_mib": rss,
        "targets": {
            "read overhead <= 3x plain's": _overhead(read, "graphql")
            <= 3 * _overhead(read, "plain"),
            "read p99 <= 3x p50": read["graphql"]["p99_ms"] <= 3 * read["graphql"]["p50_ms"],
            "throughput >= 40% of plain's": rps["graphql"] >= 0.4 * rps["plain"],
            "agent page overhead <= 2x plain's": _overhead(agent_page, "graphql")
            <= 2 * _overhead(agent_page, "plain"),
            "SOW page overhead <= 2x plain's": _overhead(sow_page, "graphql")
            <= 2 * _overhead(sow_page, "plain"),
        },
    }


def _table(result: dict[str, Any]) -> str:
    lines = [f"{'request':34} {'side':8} {'p50 ms':>9} {'p99 ms':>9} {'overhead':>9}"]
    for row in result["rows"]:
        for side in ("graphql", "plain", "raw"):
            if side in row:
                figures: Latency = Latency(**row[side])
                extra = "" if side == "raw" else f"{_overhead(row, side):9.3f}"
                p50, p99 = figures.p50_ms, figures.p99_ms
                lines.append(f"{row['request']:34} {side:8} {p50:9.3f} {p99:9.3f} {extra}")
    rps = result["throughput_rps"]
    lines.append(
        f"throughput, {rps['clients']} clients: graphql {rps['graphql']} req/s, "
        f"plain {rps['plain']} req/s ({rps['graphql'] / rps['plain']:.0%})"
    )
    lines.append(f"commands per request: {result['commands_per_request']}")
    lines.append(f"service peak RSS: {result['service_peak_rss_mib']} MiB")
    return "\n".join([*lines, *verdicts(result["targets"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1 (default): 500 SOWs, 5,000 CSAs"
    )
    parser.add_argument("--requests", type=int, default=1000, help="samples per read latency")
    parser.add_argument("--writes", type=int, default=200, help="samples per write latency")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=10, help="per throughput run")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=0,
        help="the service's RATE_LIMIT_PER_MINUTE (0: off); set it high to measure the limiter",
    )
    benchmark(parser, run, _table, RESULTS)


if __name__ == "__main__":
    main()
