"""A month's SLA scorecard against reading one SOW by id, through GraphQL, in one run.

    .venv/bin/python -m bench.sla [--requests 500] [--json F]

Starts a database (the embedded server, or `MONGODB_URI`) and the service, then through
GraphQL: a signed SOW in New York on two channels, and a month of quarter-hour queue rows on
both (about 6,000 rows, one `recordSlaIntervals` call). Measured in turn, with nothing else
in flight: the SOW by id; its scorecard of that month; its scorecard and statement together.
The target (issue 17): the scorecard's p50 within 3x the read by id's. For scale, it also
times what reading the scorecard would cost if it summed the rows: the month's recount, one
aggregation over them.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.api import GraphQL, _env, _token
from bench.harness import Database, Latency, Server, benchmark, latencies, verdicts
from domain.party import Role
from domain.sla import Period
from storage.database import Database as Storage
from storage.sla import SlaStore
from tests.sla_helpers import RECORD, SCORECARD, WORKED_TERMS, quarter_hours
from tests.sow_helpers import CREATE, transition
from tests.terms import SOW_TERMS

RESULTS = Path(__file__).resolve().parent / "results" / "sla.json"
ZONE = "America/New_York"
SOW_BY_ID = "query($id: ID!) { sow(id: $id) { id number status version terms { title } } }"
SCORECARD_AND_STATEMENT = """
query($s: ID!, $p: String!) {
  sow(id: $s) {
    id
    scorecard(period: $p) { period offered answered results { metric target actual met } }
    statement(period: $p) {
      currency quantity fees totalCredits amountDue
      credits { metric consecutiveMisses percent amount }
    }
  }
}
"""


async def _sow(http: httpx.AsyncClient, month: Period) -> str:
    """A signed SOW whose term covers `month`, as the client and compliance make one."""
    staff = GraphQL(http, _token(Role.COMPLIANCE))
    created = await staff('mutation { createClient(name: "Bench") { id } }')
    client = GraphQL(http, _token(Role.CLIENT, client_id=created["createClient"]["id"]))
    go_live = month.first_day - timedelta(days=31)
    terms = {
        **SOW_TERMS,
        **WORKED_TERMS,
        "goLiveDate": go_live.isoformat(),
        "endDate": (go_live + timedelta(days=364)).isoformat(),
    }
    sow = (await client(CREATE, {"t": terms, "c": None}))["createSow"]
    await client(transition("submitSow"), {"id": sow["id"], "v": 1})
    await staff(transition("startSowReview"), {"id": sow["id"], "v": 1})
    await staff(transition("signSow"), {"id": sow["id"], "v": 1})
    return str(sow["id"])


async def _recount_ms(uri: str, name: str, sow_id: str, month: Period, samples: int) -> Latency:
    db = Storage(uri, name)
    try:
        store = SlaStore(db)
        starts, ends = month.bounds(ZONE)
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            await store.recount(sow_id, ZONE, starts, ends)
            times.append(time.perf_counter() - started)
        return Latency.of(times)
    finally:
        await db.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    database = None if os.environ.get("MONGODB_URI") else Database()
    uri = os.environ.get("MONGODB_URI") or (database.uri if database else "")
    service = Server("api.main:app", _env(uri, name))
    # Two months back: every quarter hour of it has ended, whatever today is.
    month = Period.of(datetime.now(UTC), ZONE).previous().previous()
    try:
        await service.ready()
        async with httpx.AsyncClient(base_url=service.url, timeout=120) as http:
            sow_id = await _sow(http, month)
            starts, ends = month.bounds(ZONE)
            count = int((ends - starts) / timedelta(minutes=15))
            rows = [
                row
                for channel in ("INBOUND_VOICE", "CHAT")
                for row in quarter_hours(starts, count, channel=channel)
            ]
            staff = GraphQL(http, _token(Role.COMPLIANCE))
            started = time.perf_counter()
            stored = (await staff(RECORD, {"s": sow_id, "rows": rows}))["recordSlaIntervals"]
            recorded_s = time.perf_counter() - started
            period = {"s": sow_id, "p": str(month)}
            measured = await latencies(
                {
                    "sow by id": lambda: staff(SOW_BY_ID, {"id": sow_id}),
                    "scorecard": lambda: staff(SCORECARD, period),
                    "scorecard + statement": lambda: staff(SCORECARD_AND_STATEMENT, period),
                },
                args.requests,
            )
            offered = (await staff(SCORECARD, period))["sow"]["scorecard"]["offered"]
        recount = await _recount_ms(uri, name, sow_id, month, args.recounts)
    finally:
        service.stop()
        if database is not None:
            database.stop()
    by_id, card = measured["sow by id"], measured["scorecard"]
    return {
        "rows": len(rows),
        "month": str(month),
        "record_seconds": round(recorded_s, 2),
        "recorded": stored,
        "offered": offered,
        "latency_ms": {side: asdict(figures) for side, figures in measured.items()},
        "recount_ms": asdict(recount),
        "scorecard_over_sow_by_id_p50": round(card.p50_ms / by_id.p50_ms, 2),
        "targets": {"scorecard p50 <= 3x sow by id p50": card.p50_ms <= 3 * by_id.p50_ms},
    }


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['rows']:,} queue rows of {result['month']} on two channels, recorded in one "
        f"call in {result['record_seconds']} s: {result['recorded']}",
        f"{'request':24} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9}",
    ]
    rows = {**result["latency_ms"], "recount (aggregation)": result["recount_ms"]}
    for label, figures in rows.items():
        p50, p99, mean = figures["p50_ms"], figures["p99_ms"], figures["mean_ms"]
        lines.append(f"{label:24} {p50:9.3f} {p99:9.3f} {mean:9.3f}")
    lines.append(f"scorecard p50 / sow by id p50: {result['scorecard_over_sow_by_id_p50']}x")
    return "\n".join([*lines, *verdicts(result["targets"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="samples per request")
    parser.add_argument("--recounts", type=int, default=20, help="samples of the recount")
    benchmark(parser, run, _table, RESULTS)


if __name__ == "__main__":
    main()
