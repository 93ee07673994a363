"""The scheduler's CSA job: activation on effectiveDate and expiry on expirationDate in the
terms' time zone, one RENEWAL_DUE per unrenewed CSA, exactly once under concurrent passes."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from api.lifespan import scheduler_options
from api.settings import Settings
from scheduler.job import Options, Report
from scheduler.run import run_once
from tests.conftest import Api, Clock, serve
from tests.csa_helpers import agent_token, executed, produce, setup, staff, step
from tests.ids import oid
from tests.scheduler_helpers import run, state
from tests.terms import CSA_TERMS

ACTIVATED = ("ACTIVATED", "EXECUTED", "ACTIVE")
RENEWAL_DUE = ("RENEWAL_DUE", "ACTIVE", "ACTIVE")
EXPIRED = ("EXPIRED", "ACTIVE", "EXPIRED")
# CSA_TERMS: effective 2026-06-01, expiring 2026-08-31, in America/New_York (EDT, UTC-4).
EFFECTIVE = date(2026, 6, 1)
EXPIRATION = date(2026, 8, 31)


def midnight(day: date, utc_offset_hours: int) -> datetime:
    """The instant `day` starts in a zone `utc_offset_hours` from UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start - timedelta(hours=utc_offset_hours)


def csa_events(report: Report) -> dict[str, int]:
    """The report's CSA events (the SOW the CSAs are under has its own)."""
    return {key: n for key, n in report.events.items() if key.startswith("CSA:")}


async def executed_csas(api: Api, agents: int = 1, **changes: Any) -> list[dict[str, Any]]:
    _, sow, agent_ids = await setup(api, agents=agents)
    return [await executed(api, csa) for csa in await produce(api, sow["id"], agent_ids, **changes)]


async def csa_state(api: Api, csa: dict[str, Any]) -> tuple[str, list[tuple[str, str, str]]]:
    return await state(api, csa["id"], "csa")


@pytest.mark.parametrize(
    ("time_zone", "utc_offset_hours"), [("America/New_York", -4), ("Asia/Tokyo", 9)]
)
async def test_a_csa_goes_active_on_its_effective_date_and_expires_on_its_expiration_date(
    api: Api, clock: Clock, time_zone: str, utc_offset_hours: int
) -> None:
    hours = {**CSA_TERMS["hoursOfService"], "timeZone": time_zone}
    (csa,) = await executed_csas(api, hoursOfService=hours)

    clock.now = midnight(EFFECTIVE, utc_offset_hours) - timedelta(minutes=1)
    assert csa_events(await run(api, clock)) == {}
    assert await csa_state(api, csa) == ("EXECUTED", [])

    clock.now = midnight(EFFECTIVE, utc_offset_hours)
    assert csa_events(await run(api, clock)) == {"CSA:ACTIVATED": 1}
    assert await csa_state(api, csa) == ("ACTIVE", [ACTIVATED])

    # The notice falls due on the way (30 days before expiry).
    clock.now = midnight(EXPIRATION, utc_offset_hours) - timedelta(minutes=1)
    assert csa_events(await run(api, clock)) == {"CSA:RENEWAL_DUE": 1}
    clock.now = midnight(EXPIRATION, utc_offset_hours)
    assert csa_events(await run(api, clock)) == {"CSA:EXPIRED": 1}
    assert await csa_state(api, csa) == ("EXPIRED", [ACTIVATED, RENEWAL_DUE, EXPIRED])


async def test_a_csa_past_its_expiration_date_goes_active_and_expires_in_one_pass(
    api: Api, clock: Clock
) -> None:
    (csa,) = await executed_csas(api)
    clock.now = datetime(2026, 9, 1, 12, tzinfo=UTC)
    report = await run(api, clock)
    # Expired already: no notice of a renewal that can no longer happen.
    assert csa_events(report) == {"CSA:ACTIVATED": 1, "CSA:EXPIRED": 1}
    assert await csa_state(api, csa) == ("EXPIRED", [ACTIVATED, EXPIRED])
    assert csa_events(await run(api, clock)) == {}


@pytest.mark.parametrize("notice_days", [30, 10])
async def test_renewal_due_is_given_once_notice_days_before_expiry(
    api: Api, clock: Clock, notice_days: int
) -> None:
    (csa,) = await executed_csas(api)
    options = Options(renewal_notice_days=notice_days)
    clock.now = datetime(2026, 6, 15, tzinfo=UTC)
    await run(api, clock, options)

    due = midnight(EXPIRATION - timedelta(days=notice_days), -4)
    clock.now = due - timedelta(minutes=1)
    assert csa_events(await run(api, clock, options)) == {}
    clock.now = due
    assert csa_events(await run(api, clock, options)) == {"CSA:RENEWAL_DUE": 1}
    again = await run(api, clock, options)
    assert (again.checked, again.changed, again.events) == (0, 0, {})
    clock.now = due + timedelta(days=5)
    assert csa_events(await run(api, clock, options)) == {}
    assert await csa_state(api, csa) == ("ACTIVE", [ACTIVATED, RENEWAL_DUE])
    # The agent is told too: the event carries the CSA's agent.
    mine = await state(api, csa["id"], "csa", agent_token(api, csa["agent"]["id"]))
    assert mine == ("ACTIVE", [ACTIVATED, RENEWAL_DUE])


async def test_a_renewed_csa_gets_no_renewal_due(api: Api, clock: Clock) -> None:
    (csa,) = await executed_csas(api)
    clock.now = datetime(2026, 6, 15, tzinfo=UTC)
    await run(api, clock)
    renewal = await step(api, "renewCsa", csa, staff(api))
    assert renewal["renewalOf"] == {"id": csa["id"]}

    clock.now = datetime(2026, 8, 15, tzinfo=UTC)
    report = await run(api, clock)
    assert (report.checked, csa_events(report)) == (0, {})
    clock.now = datetime(2026, 8, 31, 12, tzinfo=UTC)
    assert csa_events(await run(api, clock)) == {"CSA:EXPIRED": 1}
    assert await csa_state(api, csa) == ("EXPIRED", [ACTIVATED, EXPIRED])
    # The renewal is a draft: nothing for the scheduler until it is executed.
    assert await state(api, renewal["id"], "csa") == ("DRAFT", [])


async def test_concurrent_passes_in_two_processes_do_each_csa_change_once(
    settings: Settings, clock: Clock
) -> None:
    async with serve(settings, clock) as one, serve(settings, clock) as two:
        csas = await executed_csas(one, agents=4)
        stores = [one.app.state.services.store, two.app.state.services.store]
        assert stores[0].db.client is not stores[1].db.client
        totals = Counter[str]()
        # Activation, then the notice alone, then expiry: each step raced by both.
        for now in (
            datetime(2026, 6, 15, tzinfo=UTC),
            datetime(2026, 8, 15, tzinfo=UTC),
            datetime(2026, 9, 1, 12, tzinfo=UTC),
        ):
            clock.now = now
            reports = await asyncio.gather(
                *(run_once(store, clock(), scheduler_options(settings)) for store in stores)
            )
            assert [r.errors for r in reports] == [0, 0]
            for report in reports:
                totals.update(csa_events(report))
        assert totals == {"CSA:ACTIVATED": 4, "CSA:RENEWAL_DUE": 4, "CSA:EXPIRED": 4}
        for csa in csas:
            assert await csa_state(two, csa) == ("EXPIRED", [ACTIVATED, RENEWAL_DUE, EXPIRED])


async def test_a_csa_stored_before_the_notice_marker_existed_gets_its_notice(
    api: Api, clock: Clock
) -> None:
    (csa,) = await executed_csas(api)
    clock.now = datetime(2026, 6, 15, tzinfo=UTC)
    await run(api, clock)
    db = api.app.state.services.db.db
    await db.csas.update_one({"_id": oid(csa["id"])}, {"$unset": {"renewalDueAt": ""}})
    clock.now = datetime(2026, 8, 15, tzinfo=UTC)
    assert csa_events(await run(api, clock)) == {"CSA:RENEWAL_DUE": 1}
    assert await csa_state(api, csa) == ("ACTIVE", [ACTIVATED, RENEWAL_DUE])
