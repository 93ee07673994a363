"""Measuring helpers shared by the benchmarks: processes, latency, throughput, memory."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from storage.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    mean_ms: float

    @staticmethod
    def of(seconds: list[float]) -> Latency:
        ms = [s * 1000 for s in seconds]
        return Latency(
            round(percentile(ms, 0.50), 3),
            round(percentile(ms, 0.99), 3),
            round(statistics.fmean(ms), 3),
        )


WARMUP = 50  # calls of each side before measuring: connections, caches, first-use imports


async def latencies(
    calls: Mapping[str, Callable[[], Awaitable[object]]], n: int, warmup: int = WARMUP
) -> dict[str, Latency]:
    """Sequential calls, one of each in turn: the time of one request with nothing else in
    flight. Taking the sides in turn, not one after the other, keeps a slow spell of the
    machine (or of the database) from landing on one side only."""
    for _ in range(warmup):
        for call in calls.values():
            await call()
    times: dict[str, list[float]] = {side: [] for side in calls}
    for _ in range(n):
        for side, call in calls.items():
            started = time.perf_counter()
            await call()
            times[side].append(time.perf_counter() - started)
    return {side: Latency.of(samples) for side, samples in times.items()}


async def throughput(
    call: Callable[[], Awaitable[object]], concurrency: int, seconds: float
) -> float:
    """Completed calls per second with `concurrency` callers in a closed loop."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return round(done / (time.perf_counter() - started), 1)


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, user and system."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # utime and stime: fields 14 and 15 of proc(5), counted after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Database:
    """The embedded server (its own process, a temporary data folder), shared by everything a
    benchmark measures: the service, the plain baseline and the raw driver all talk to it, so
    the database's own time is the same in every measurement and only the layers above it
    differ."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="bench-db-")
        self._server = EmbeddedServer(Path(self._folder.name))
        self.uri = self._server.start()

    def stop(self) -> None:
        self._server.stop()
        self._folder.cleanup()


class Server:
    """An ASGI app served by uvicorn in its own process, as in production."""

    def __init__(self, app: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    async def ready(self, path: str = "/healthz") -> None:
        async with asyncio.timeout(60), httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(self.url + path)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=20)


def verdicts(targets: dict[str, bool]) -> list[str]:
    """One line per target: met, or MISSED (easy to spot in a table)."""
    return [f"{'met   ' if met else 'MISSED'} {target}" for target, met in targets.items()]


def benchmark(
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]],
    table: Callable[[dict[str, Any]], str],
    results: Path,
) -> None:
    """A benchmark's command: `run` with the parsed arguments, print its `table`, and write
    the whole result as JSON (`--json`, default `results`)."""
    parser.add_argument("--json", type=Path, default=results)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(table(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.json}")
