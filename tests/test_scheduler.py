"""The scheduler: date-driven SOW transitions, the time-zone rule, exactly-once under
concurrent passes, the background task and the cron command."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from api.cli import main
from api.lifespan import scheduler_options
from api.settings import Settings
from scheduler.run import run_once
from tests.conftest import Api, Clock, command_environment, configured, serve
from tests.ids import oid, raw
from tests.scheduler_helpers import run, state
from tests.sow_helpers import create_client, signed_sow
from tests.terms import SOW_TERMS


def zoned(time_zone: str) -> dict[str, Any]:
    return {"serviceHours": {**SOW_TERMS["serviceHours"], "timeZone": time_zone}}


ACTIVATED = ("ACTIVATED", "SIGNED", "ACTIVE")
EXPIRED = ("EXPIRED", "ACTIVE", "EXPIRED")


async def test_sow_goes_live_on_go_live_date_and_expires_on_end_date(
    api: Api, clock: Clock
) -> None:
    client = await create_client(api)
    sow = await signed_sow(api, client, **zoned("UTC"))  # go-live 2026-06-01, end 2027-05-31

    clock.now = datetime(2026, 5, 31, 23, 59, tzinfo=UTC)
    assert (await run(api, clock)).changed == 0
    assert await state(api, sow["id"]) == ("SIGNED", [])

    clock.now = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    report = await run(api, clock)
    assert (report.changed, dict(report.events)) == (1, {"SOW:ACTIVATED": 1})
    assert await state(api, sow["id"]) == ("ACTIVE", [ACTIVATED])

    clock.now = datetime(2027, 5, 30, 23, 59, tzinfo=UTC)
    assert (await run(api, clock)).changed == 0
    clock.now = datetime(2027, 5, 31, 0, 0, tzinfo=UTC)
    assert (await run(api, clock)).events == {"SOW:EXPIRED": 1}
    assert await state(api, sow["id"]) == ("EXPIRED", [ACTIVATED, EXPIRED])


async def test_a_second_pass_changes_nothing(api: Api, clock: Clock) -> None:
    client = await create_client(api)
    sow = await signed_sow(api, client)
    clock.now = datetime(2026, 7, 1, tzinfo=UTC)
    assert (await run(api, clock)).changed == 1
    again = await run(api, clock)
    assert (again.checked, again.changed, again.events) == (0, 0, {})
    assert await state(api, sow["id"]) == ("ACTIVE", [ACTIVATED])


async def test_a_sow_past_its_end_date_goes_live_and_expires_in_one_pass(
    api: Api, clock: Clock
) -> None:
    client = await create_client(api)
    sow = await signed_sow(api, client)
    clock.now = datetime(2027, 7, 1, tzinfo=UTC)
    assert (await run(api, clock)).events == {"SOW:ACTIVATED": 1, "SOW:EXPIRED": 1}
    assert await state(api, sow["id"]) == ("EXPIRED", [ACTIVATED, EXPIRED])


@pytest.mark.parametrize(
    ("time_zone", "midnight_utc"),
    [
        # UTC+14: the first zone to reach a date, 14 hours before UTC.
        ("Pacific/Kiritimati", datetime(2026, 5, 31, 10, 0, tzinfo=UTC)),
        ("Asia/Tokyo", datetime(2026, 5, 31, 15, 0, tzinfo=UTC)),
        # EDT, UTC-4: after UTC.
        ("America/New_York", datetime(2026, 6, 1, 4, 0, tzinfo=UTC)),
    ],
)
async def test_dates_are_local_to_the_service_hours_time_zone(
    api: Api, clock: Clock, time_zone: str, midnight_utc: datetime
) -> None:
    client = await create_client(api)
    sow = await signed_sow(api, client, **zoned(time_zone))
    clock.now = midnight_utc.replace(minute=59, hour=midnight_utc.hour - 1)
    assert (await run(api, clock)).changed == 0
    assert await state(api, sow["id"]) == ("SIGNED", [])
    clock.now = midnight_utc
    assert (await run(api, clock)).changed == 1
    assert await state(api, sow["id"]) == ("ACTIVE", [ACTIVATED])


async def test_batches_cover_every_due_sow_and_skip_those_not_yet_due(
    api: Api, clock: Clock
) -> None:
    client = await create_client(api)
    due = [await signed_sow(api, client, **zoned("Asia/Tokyo")) for _ in range(3)]
    # Selected by storage (the date is reached somewhere) but not yet due in its own zone.
    later = await signed_sow(api, client, **zoned("UTC"))
    clock.now = datetime(2026, 5, 31, 15, 0, tzinfo=UTC)
    options = dataclasses.replace(scheduler_options(api.settings), batch_size=2)
    report = await run_once(api.app.state.services.store, clock(), options)
    assert (report.checked, report.changed, report.errors) == (4, 3, 0)
    for sow in due:
        assert (await state(api, sow["id"]))[0] == "ACTIVE"
    assert await state(api, later["id"]) == ("SIGNED", [])


async def test_a_broken_document_is_logged_and_the_others_still_move(
    api: Api, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    client = await create_client(api)
    broken, fine = [await signed_sow(api, client) for _ in range(2)]
    # Damaged outside the service (past the validator, as data older than it): its write
    # cannot be encoded.
    db = api.app.state.services.db.db
    await db.sows.update_one(
        {"_id": oid(broken["id"])},
        {"$set": {"clientId": "corrupt"}},
        bypass_document_validation=True,
    )
    clock.now = datetime(2026, 7, 1, tzinfo=UTC)
    report = await run_once(api.app.state.services.store, clock(), scheduler_options(api.settings))
    assert (report.checked, report.changed, report.errors) == (2, 1, 1)
    assert await state(api, fine["id"]) == ("ACTIVE", [ACTIVATED])
    assert f"sows {raw(broken['id'])} failed" in caplog.text


async def test_concurrent_passes_in_two_processes_do_each_transition_once(
    settings: Settings, clock: Clock
) -> None:
    async with serve(settings, clock) as one, serve(settings, clock) as two:
        client = await create_client(one)
        sows = [await signed_sow(one, client) for _ in range(4)]
        clock.now = datetime(2027, 7, 1, tzinfo=UTC)
        stores = [one.app.state.services.store, two.app.state.services.store]
        assert stores[0].db.client is not stores[1].db.client
        options = scheduler_options(settings)
        reports = await asyncio.gather(*(run_once(store, clock(), options) for store in stores))
        assert [r.errors for r in reports] == [0, 0]
        assert sum(r.changed for r in reports) == 4
        assert sum((r.events for r in reports), Counter[str]()) == {
            "SOW:ACTIVATED": 4,
            "SOW:EXPIRED": 4,
        }
        for sow in sows:
            assert await state(two, sow["id"]) == ("EXPIRED", [ACTIVATED, EXPIRED])


async def status_is(api: Api, sow_id: str, status: str) -> bool:
    return (await state(api, sow_id))[0] == status


async def logged(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return text in caplog.text


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait (5 s at most) for the background task's passes to make `check` true."""
    for _ in range(100):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not within 5 s")


async def test_the_background_task_runs_when_enabled_and_stops_on_shutdown(
    settings: Settings, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    enabled = configured(settings, scheduler_enabled=True, scheduler_interval_seconds=0.05)
    async with serve(enabled, clock) as api:
        task: asyncio.Task[None] = api.app.state.scheduler
        client = await create_client(api)
        sow = await signed_sow(api, client)
        clock.now = datetime(2026, 6, 1, 12, tzinfo=UTC)
        # The task's next pass (every 0.05 s) sees the moved clock.
        await eventually(lambda: status_is(api, sow["id"], "ACTIVE"))
        assert await state(api, sow["id"]) == ("ACTIVE", [ACTIVATED])

        # A failed pass is logged; the task goes on with the next one.
        def failing() -> datetime:
            raise RuntimeError("clock unavailable")

        api.app.state.services.clock = failing
        await eventually(lambda: logged(caplog, "scheduler pass failed"))
        api.app.state.services.clock = clock
        clock.now = datetime(2027, 6, 1, 12, tzinfo=UTC)
        await eventually(lambda: status_is(api, sow["id"], "EXPIRED"))
        assert await state(api, sow["id"]) == ("EXPIRED", [ACTIVATED, EXPIRED])
        assert not task.done()
    assert task.cancelled()


async def test_no_background_task_when_disabled(api: Api) -> None:
    assert api.app.state.scheduler is None


async def test_the_cron_command_runs_one_pass_and_prints_a_summary(
    api: Api,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = await create_client(api)
    # The command runs on the real clock: dates far in the past and future.
    sow = await signed_sow(api, client, goLiveDate="2000-01-03", endDate="2100-12-31")
    command_environment(settings, monkeypatch)
    capsys.readouterr()
    # Its own event loop, in a thread: the test server keeps serving on this one.
    await asyncio.to_thread(main, ["schedule"])
    summary = json.loads(capsys.readouterr().out)
    assert summary == {
        "checked": 1,
        "changed": 1,
        "errors": 0,
        "events": {"SOW:ACTIVATED": 1},
    }
    assert await state(api, sow["id"]) == ("ACTIVE", [ACTIVATED])
