"""Closing SLA periods: the events a close writes and pushes live to the SOW's client and to
compliance, and the scheduler closing each period once, SLA_CLOSE_AFTER_DAYS after its end,
however many processes run it."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

from api.lifespan import scheduler_options
from api.settings import Settings
from domain.party import Role
from scheduler.run import run_once
from tests.conftest import Api, Clock, configured, serve
from tests.scheduler_helpers import run
from tests.sla_helpers import CLOSE, RECORD, WORKED_ROWS, close, record, statement, worked_sow
from tests.sow_helpers import create_sow
from tests.test_subscriptions import csa_event, every_role_live, take, write

AGENT = "65f0000000000000000000a1"
EVENTS = """
query($id: ID!) { events(entityId: $id, first: 50) { edges { node { type reason actor { id } } } } }
"""


async def sla_events(api: Api, sow_id: str, token: str | None = None) -> list[tuple[str, str]]:
    data = await api.ok(EVENTS, {"id": sow_id}, token=token or api.token(Role.COMPLIANCE))
    nodes = [edge["node"] for edge in data["events"]["edges"]]
    return [(n["type"], n["reason"]) for n in nodes if n["type"].startswith("SLA_")]


CLOSED_REASON = (
    "2026-11 closed, judged by terms version 1: fees 370.00 USD, credits 29.60, amount due 340.40"
)
BREACHES = [
    (
        "SLA_BREACHED",
        "2026-11: SERVICE_LEVEL 76.25 % against a floor of 80 %; service credit 18.50 USD "
        "(5.0 % of fees, 1 consecutive miss)",
    ),
    (
        "SLA_BREACHED",
        "2026-11: ABANDONMENT_RATE 7.50 % against a ceiling of 5 %; service credit 11.10 USD "
        "(3.0 % of fees, 1 consecutive miss)",
    ),
]


async def test_closing_pushes_the_breaches_live_to_the_client_and_compliance(
    api: Api, clock: Clock
) -> None:
    client_id, sow = await worked_sow(api)
    rival_id, _ = await worked_sow(api)
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    await record(api, sow["id"], WORKED_ROWS)
    async with every_role_live(api, client_id, rival_id, AGENT) as (client, rival, agent, staff):
        await close(api, sow["id"], "2026-11")
        for ws in (client, staff):
            pushed = await take(ws, 3)
            assert [(e["type"], e["entityId"]) for e in pushed] == [
                ("SLA_PERIOD_CLOSED", sow["id"]),
                ("SLA_BREACHED", sow["id"]),
                ("SLA_BREACHED", sow["id"]),
            ]
        # Neither another client nor an agent got them: their next event is their own.
        theirs = await create_sow(api, rival_id)
        await write(api, csa_event(AGENT))
        assert [e["entityId"] for e in await take(rival, 1)] == [theirs["id"]]
        assert [e["entityType"] for e in await take(agent, 1)] == ["CSA"]
    client_token = api.token(Role.CLIENT, client_id=client_id)
    assert await sla_events(api, sow["id"], client_token) == [
        ("SLA_PERIOD_CLOSED", CLOSED_REASON),
        *BREACHES,
    ]


async def test_the_scheduler_closes_a_period_5_days_after_it_ends(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = datetime(2026, 12, 2, tzinfo=UTC)
    await record(api, sow["id"], WORKED_ROWS)
    # November ends at 05:00 UTC on December 1 in New York: closed from 05:00 on the 6th.
    clock.now = datetime(2026, 12, 6, 4, 59, tzinfo=UTC)
    report = await run(api, clock)
    assert "SOW:SLA_PERIOD_CLOSED" not in report.events
    clock.now = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
    report = await run(api, clock)
    sla = {k: n for k, n in report.events.items() if "SLA" in k}
    assert sla == {"SOW:SLA_PERIOD_CLOSED": 1, "SOW:SLA_BREACHED": 2}
    assert (await run(api, clock)).events.get("SOW:SLA_PERIOD_CLOSED") is None
    owed = await statement(api, sow["id"], "2026-11")
    assert (owed["closed"], owed["closedAt"]) == (True, "2026-12-06T05:00:00.000Z")
    events = await sla_events(api, sow["id"])
    assert events == [("SLA_PERIOD_CLOSED", CLOSED_REASON), *BREACHES]


async def test_the_close_delay_is_a_setting(settings: Settings, clock: Clock) -> None:
    async with serve(configured(settings, sla_close_after_days=0), clock) as api:
        _, sow = await worked_sow(api)
        clock.now = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
        await record(api, sow["id"], WORKED_ROWS)
        assert (await run(api, clock)).events["SOW:SLA_PERIOD_CLOSED"] == 1


async def test_concurrent_passes_in_two_processes_close_each_period_once(
    settings: Settings, clock: Clock
) -> None:
    async with serve(settings, clock) as one, serve(settings, clock) as two:
        sows = [(await worked_sow(one))[1] for _ in range(3)]
        clock.now = datetime(2026, 12, 2, tzinfo=UTC)
        for sow in sows:
            await record(one, sow["id"], WORKED_ROWS)
        clock.now = datetime(2026, 12, 7, tzinfo=UTC)
        stores = [one.app.state.services.store, two.app.state.services.store]
        options = scheduler_options(settings)
        reports = await asyncio.gather(*(run_once(store, clock(), options) for store in stores))
        assert [r.errors for r in reports] == [0, 0]
        events = sum((r.events for r in reports), Counter[str]())
        assert events["SOW:SLA_PERIOD_CLOSED"] == 3
        assert events["SOW:SLA_BREACHED"] == 6
        for sow in sows:
            assert len(await sla_events(two, sow["id"])) == 3


async def test_a_close_and_a_recording_of_the_same_month_do_not_both_win(
    api: Api, clock: Clock
) -> None:
    """Both write the period's record: either the close counts the new row, or the row is
    refused as of a closed period; never a row stored outside a frozen statement."""
    _, sow = await worked_sow(api)
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    await record(api, sow["id"], WORKED_ROWS[:1])
    staff = api.token(Role.COMPLIANCE)
    closing, recording = await asyncio.gather(
        api.post(CLOSE, {"s": sow["id"], "p": "2026-11"}, token=staff),
        api.post(RECORD, {"s": sow["id"], "rows": WORKED_ROWS[1:]}, token=staff),
    )
    assert not closing.get("errors"), closing
    owed = await statement(api, sow["id"], "2026-11")
    if recording.get("errors"):
        assert recording["errors"][0]["extensions"]["code"] == "CONFLICT"
        assert owed["fees"] == "225.00"  # 90 answered
    else:
        assert owed["fees"] == "370.00"  # 148 answered
