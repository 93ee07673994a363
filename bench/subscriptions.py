"""Delivery latency of one status change to thousands of WebSocket subscribers.

    python -m bench.subscriptions [--subscribers 5000] [--bystanders 500] [--events 10]

Starts a database and the service (one uvicorn process), opens `--subscribers` WebSocket
subscriptions (`graphql-transport-ws`) from `--processes` client processes, half as
compliance users, half as users of one client company, plus `--bystanders` users of other
companies who must receive nothing. Then it commits `--events` status changes of that
company's SOWs, one at a time, and measures for each delivery the time from the commit (when
a change stream of the benchmark's own sees the event's insert) to its receipt; also the
service's memory before and after the subscriptions, and the CPU time per event of the
service and of the clients, which share the machine with it (their cost is in the
latencies). Target (issue 5): p99 ≤ 250 ms for
one event to all 5,000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, cast

import httpx
import uvloop
from pymongo import AsyncMongoClient
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from api.settings import load_settings
from api.tokens import mint_token
from bench.api import SECRET, GraphQL, _env, _token
from bench.harness import Database, Server, benchmark, cpu_seconds, peak_rss_mib, percentile
from domain.ids import global_id
from domain.party import Role
from migrations.runner import migrate
from seed import dataset
from seed.load import submitted_sows
from storage.database import Database as Storage
from storage.store import Store

RESULTS = Path(__file__).resolve().parent / "results" / "subscriptions.json"
SUBSCRIPTION = "subscription { contractEvents { id type entityId toStatus } }"
OPENING_AT_ONCE = 200
IDLE_SECONDS = 5
START_REVIEW = """
mutation($id: ID!) { startSowReview(id: $id, expectedVersion: 1) { id status } }
"""


@dataclass(frozen=True)
class Subscriber:
    token: str
    recipient: bool


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class _Subscription(asyncio.Protocol):
    """One subscriber on websockets' sans-I/O protocol: each frame is handled as it arrives,
    with no task to wake per message, so that the clients, which share the machine with the
    service, cost it as little CPU as they can (about a third of what a `websockets`
    connection with its receiving task costs)."""

    def __init__(self, url: str, who: Subscriber, out: list[Any]) -> None:
        protocols = [Subprotocol("graphql-transport-ws")]
        self._ws = ClientProtocol(parse_uri(url), subprotocols=protocols)
        self._who = who
        self._out = out
        self._transport: asyncio.Transport | None = None
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.error: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._ws.send_request(self._ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        received = time.time()
        self._ws.receive_data(data)
        for event in self._ws.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    self._end(RuntimeError(f"handshake refused: {event.status_code}"))
                else:
                    self._send({"type": "connection_init", "payload": {"token": self._who.token}})
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self._frame(json.loads(bytes(event.data)), received)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end(ConnectionError(f"connection lost: {exc}"))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _frame(self, frame: dict[str, Any], received: float) -> None:
        kind = frame["type"]
        if kind == "next":
            event = frame["payload"]["data"]["contractEvents"]
            self._out.append((event["entityId"], received, self._who.recipient))
        elif kind == "connection_ack":
            self._send({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
            self.subscribed.set_result(None)
        elif kind in ("error", "complete", "connection_error"):
            self._end(RuntimeError(f"subscription ended: {frame}"))

    def _send(self, message: dict[str, Any]) -> None:
        self._ws.send_text(json.dumps(message).encode())

    def _flush(self) -> None:
        if self._transport is not None and (data := self._ws.data_to_send()):
            self._transport.write(b"".join(data))

    def _end(self, error: Exception) -> None:
        self.error = self.error or error
        if not self.subscribed.done():
            self.subscribed.set_exception(error)


async def _subscribe(
    url: str, who: Subscriber, opening: asyncio.Semaphore, out: list[Any]
) -> _Subscription:
    address = parse_uri(url)
    async with opening:
        _, subscription = await asyncio.get_running_loop().create_connection(
            lambda: _Subscription(url, who, out), address.host, address.port
        )
        try:
            async with asyncio.timeout(60):
                await subscription.subscribed
        except BaseException:
            subscription.close()
            raise
    return subscription


def _client_process(url: str, subscribers: list[Subscriber], pipe: Connection) -> None:
    """One client process: open its subscriptions, benchmark, collect receipts until told."""

    async def main() -> None:
        received: list[Any] = []
        # Handshakes in flight at once: more overflow the server's listen queue, and the
        # retried SYNs then make the ramp crawl.
        opening = asyncio.Semaphore(OPENING_AT_ONCE)
        opened = await asyncio.gather(
            *(_subscribe(url, who, opening, received) for who in subscribers),
            return_exceptions=True,
        )
        subscriptions = [one for one in opened if isinstance(one, _Subscription)]
        pipe.send(len(opened) - len(subscriptions))
        await asyncio.to_thread(pipe.recv)
        ended = sum(1 for one in subscriptions if one.error is not None)
        for subscription in subscriptions:
            subscription.close()
        pipe.send({"received": received, "failed": len(opened) - len(subscriptions) + ended})

    # uvloop, as the service has: the clients share the machine's two cores with it.
    asyncio.run(main(), loop_factory=uvloop.new_event_loop)


def _cpu_seconds(processes: list[tuple[multiprocessing.Process, Connection]]) -> float:
    return math.fsum(cpu_seconds(process.pid) for process, _ in processes if process.pid)


async def _load(uri: str, name: str, events: int) -> tuple[str, list[str], list[str]]:
    """One company with `events` submitted SOWs, and a few other companies."""
    db = Storage(uri, name)
    try:
        await migrate(db)
        store = Store(db)
        now = datetime.now(UTC)
        scale = dataset.Scale(clients=5, agents=0, sows=0, csas=0)
        clients = dataset.clients(scale, store.new_id, now)
        await store.parties.add_clients(clients)
        ids = await submitted_sows(store, clients[0], events, now)
        return clients[0].id, [c.id for c in clients[1:]], ids
    finally:
        await db.close()


def _subscribers(
    count: int, bystanders: int, client_id: str, others: list[str]
) -> list[Subscriber]:
    settings = load_settings(jwt_secret=SECRET, mongodb_uri="mongodb://unused")

    # Distinct subjects: each subscriber is its own user, as in production.
    def token(n: int, company: str | None) -> str:
        role = Role.CLIENT if company else Role.COMPLIANCE
        return mint_token(settings, role, subject=f"user-{n}", client_id=company)

    people = [Subscriber(token(n, client_id if n % 2 else None), True) for n in range(count)]
    people += [
        Subscriber(token(count + n, others[n % len(others)]), False) for n in range(bystanders)
    ]
    return people


async def _watch_commits(uri: str, name: str, commits: dict[str, float], count: int) -> None:
    """Record when each of the next `count` events becomes visible in the log."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        pipeline = [{"$match": {"operationType": "insert"}}]
        async with await client[name].events.watch(pipeline) as stream:
            while len(commits) < count:
                change = await stream.next()
                # Keyed as subscribers see the SOW: by its global id.
                commits[global_id("Sow", str(change["fullDocument"]["entityId"]))] = time.time()
    finally:
        await client.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    database = None if os.environ.get("MONGODB_URI") else Database()
    uri = os.environ.get("MONGODB_URI") or (database.uri if database else "")
    client_id, others, sow_ids = await _load(uri, name, args.events)
    env = {**_env(uri, name), "SUBSCRIPTIONS_PER_CONNECTION": "1"}
    service = Server("api.main:app", env)
    processes: list[tuple[multiprocessing.Process, Connection]] = []
    try:
        await service.ready()
        rss_before = _rss_mib(service.pid)
        people = _subscribers(args.subscribers, args.bystanders, client_id, others)
        ws_url = service.url.replace("http://", "ws://") + "/graphql"
        started = time.perf_counter()
        for part in range(args.processes):
            mine, theirs = multiprocessing.Pipe()
            process = multiprocessing.Process(
                target=_client_process, args=(ws_url, people[part :: args.processes], theirs)
            )
            process.start()
            processes.append((process, mine))
        refused = 0
        for _, pipe in processes:
            refused += await asyncio.to_thread(pipe.recv)
        connect_seconds = time.perf_counter() - started
        print(
            f"{len(people) - refused} subscriptions open ({refused} failed)"
            f" in {connect_seconds:.1f} s",
            flush=True,
        )
        await asyncio.sleep(1)
        rss_subscribed = _rss_mib(service.pid)
        # The cost of holding the subscriptions open (keep-alive pings, the feed's polling),
        # to tell apart from the events' own.
        idle_before = cpu_seconds(service.pid)
        await asyncio.sleep(IDLE_SECONDS)
        idle_cpu = (cpu_seconds(service.pid) - idle_before) / IDLE_SECONDS
        # The commit is when an idle reader of the log (this process's own change stream) sees
        # the insert: the service's response can come after its own fan-out, so it is no
        # bound. The request is an upper bound.
        commits: dict[str, float] = {}
        requests: dict[str, float] = {}
        cpu_before = cpu_seconds(service.pid)
        clients_before = _cpu_seconds(processes)
        watcher = asyncio.create_task(_watch_commits(uri, name, commits, len(sow_ids)))
        await asyncio.sleep(0.5)  # the stream is open
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
            staff = GraphQL(http, _token(Role.COMPLIANCE))
            for sow_id in sow_ids:
                requests[global_id("Sow", sow_id)] = time.time()
                await staff(START_REVIEW, {"id": sow_id})
                await asyncio.sleep(args.gap)
        await asyncio.wait_for(watcher, 10)
        await asyncio.sleep(2)
        service_cpu = cpu_seconds(service.pid) - cpu_before
        clients_cpu = _cpu_seconds(processes) - clients_before
        received: list[Any] = []
        failed = 0
        for _, pipe in processes:
            pipe.send("stop")
        for process, pipe in processes:
            report = await asyncio.to_thread(pipe.recv)
            received += report["received"]
            failed += report["failed"]
            process.join(30)
        rss_peak = peak_rss_mib(service.pid)
    finally:
        for process, _ in processes:
            if process.is_alive():
                process.kill()
        service.stop()
        if database is not None:
            database.stop()
    latencies = [(at - commits[entity]) * 1000 for entity, at, recipient in received if recipient]
    from_request = [
        (at - requests[entity]) * 1000 for entity, at, recipient in received if recipient
    ]
    expected = args.subscribers * args.events
    per_event = [
        max((at - commits[sow]) * 1000 for entity, at, recipient in received if entity == sow)
        for sow in map(partial(global_id, "Sow"), sow_ids)
        if any(entity == sow for entity, _, _ in received)
    ]
    return {
        "subscribers": args.subscribers,
        "bystanders": args.bystanders,
        "events": args.events,
        "connect_seconds": round(connect_seconds, 1),
        "deliveries": {"expected": expected, "received": len(latencies)},
        "bystander_deliveries": sum(1 for _, _, recipient in received if not recipient),
        "failed_subscriptions": failed,
        "latency_ms": {
            "p50": round(percentile(latencies, 0.5), 1) if latencies else None,
            "p99": round(percentile(latencies, 0.99), 1) if latencies else None,
            "max": round(max(latencies), 1) if latencies else None,
            "last_receipt_per_event_p50": round(percentile(per_event, 0.5), 1)
            if per_event
            else None,
            "p99_from_request": round(percentile(from_request, 0.99), 1) if latencies else None,
            # Each event's last receipt, in commit order: a slow one stands out here.
            "last_receipt_per_event": [round(ms, 1) for ms in per_event],
        },
        # The service's own work per event (the mutation, the fan-out, its idle polling):
        # the client processes share the machine, and their time is in the latencies.
        "service_cpu_ms_per_event": round(service_cpu * 1000 / args.events, 1),
        "service_idle_cpu_ms_per_second": round(idle_cpu * 1000, 1),
        "clients_cpu_ms_per_event": round(clients_cpu * 1000 / args.events, 1),
        "service_rss_mib": {
            "before": rss_before,
            "subscribed": rss_subscribed,
            "peak": rss_peak,
            "per_subscription_kib": round(
                (rss_subscribed - rss_before) * 1024 / (args.subscribers + args.bystanders), 1
            ),
        },
        "target_p99_250ms_met": bool(latencies) and percentile(latencies, 0.99) <= 250,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--bystanders", type=int, default=500)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between events")
    benchmark(parser, run, lambda result: json.dumps(result, indent=2), RESULTS)


if __name__ == "__main__":
    main()
