"""Performance against the contract through GraphQL: recording interval rows, scorecards and
statements to the cent, corrections, periods in the SOW's time zone, the terms in force at a
period's end, closing, consecutive misses up to the cap, batch limits and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import Decimal128, ObjectId
from pymongo.errors import WriteError

from domain.party import Role
from tests.conftest import Api, Clock
from tests.csa_helpers import refused
from tests.ids import raw
from tests.sla_helpers import (
    RECORD,
    WORKED_ROWS,
    WORKED_TERMS,
    amend,
    by_metric,
    close,
    closed_november,
    quarter_hours,
    record,
    row,
    scorecard,
    statement,
    worked_sow,
)

DECEMBER = datetime(2026, 12, 10, tzinfo=UTC)


def shifted(rows: list[dict[str, Any]], month: str) -> list[dict[str, Any]]:
    """The worked example's rows on the 2nd of another month, same times of day (UTC)."""
    return [{**r, "intervalStart": r["intervalStart"].replace("2026-11", month)} for r in rows]


async def stored_rows(api: Api) -> list[dict[str, Any]]:
    db = api.app.state.services.db.db
    return [doc async for doc in db.sla_intervals.find({}, {"_id": 0}).sort("intervalStart", 1)]


async def test_the_worked_example_to_the_cent(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = DECEMBER
    inserted = await record(api, sow["id"], WORKED_ROWS)
    assert inserted == {"inserted": 2, "updated": 0, "unchanged": 0}

    card = await scorecard(api, sow["id"], "2026-11")
    assert (card["period"], card["closed"], card["termsVersion"]) == ("2026-11", False, 1)
    assert (card["offered"], card["answered"], card["abandoned"]) == (160, 148, 12)
    results = by_metric(card)
    assert results["SERVICE_LEVEL"] == {
        "metric": "SERVICE_LEVEL",
        "target": 80.0,
        "actual": 76.25,
        "met": False,
    }
    assert round(results["AVERAGE_WAIT_TIME"]["actual"], 2) == 16.08
    assert results["ABANDONMENT_RATE"]["actual"] == 7.5
    assert round(results["AVERAGE_HANDLE_TIME"]["actual"], 2) == 343.92
    assert round(results["FIRST_CALL_RESOLUTION"]["actual"], 2) == 72.30
    assert round(results["CUSTOMER_SATISFACTION"]["actual"], 2) == 86.67
    assert [r["met"] for r in card["results"]] == [False, True, False, True, True, True]

    assert await statement(api, sow["id"], "2026-11") == {
        "period": "2026-11",
        "closed": False,
        "termsVersion": 1,
        "currency": "USD",
        "unit": "PER_CALL",
        "quantity": "148",
        "fees": "370.00",
        "totalCredits": "29.60",
        "amountDue": "340.40",
        "closedAt": None,
        "credits": [
            {"metric": "SERVICE_LEVEL", "consecutiveMisses": 1, "percent": 5.0, "amount": "18.50"},
            {
                "metric": "ABANDONMENT_RATE",
                "consecutiveMisses": 1,
                "percent": 3.0,
                "amount": "11.10",
            },
        ],
    }


async def test_a_row_at_3_utc_on_the_1st_belongs_to_the_previous_month_in_new_york(
    api: Api, clock: Clock
) -> None:
    _, sow = await worked_sow(api)
    clock.now = DECEMBER
    # 22:00 on November 30 in New York (EST, UTC-5); 00:00 on December 1 is 05:00 UTC.
    await record(
        api,
        sow["id"],
        [row("2026-12-01T03:00:00Z", offered=107), row("2026-12-01T05:00:00Z", offered=111)],
    )
    assert (await scorecard(api, sow["id"], "2026-11"))["offered"] == 107
    assert (await scorecard(api, sow["id"], "2026-12"))["offered"] == 111


async def test_a_correction_changes_the_provisional_scorecard(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = DECEMBER
    await record(api, sow["id"], WORKED_ROWS)
    assert by_metric(await scorecard(api, sow["id"], "2026-11"))["SERVICE_LEVEL"]["met"] is False

    # The platform re-exports the first interval: 8 more answered within 20 s.
    corrected = {**WORKED_ROWS[0], "answeredWithinThreshold": 78}
    assert await record(api, sow["id"], [corrected, WORKED_ROWS[1]]) == {
        "inserted": 0,
        "updated": 1,
        "unchanged": 1,
    }
    card = await scorecard(api, sow["id"], "2026-11")
    assert by_metric(card)["SERVICE_LEVEL"]["actual"] == 81.25  # 130 / 160
    assert by_metric(card)["SERVICE_LEVEL"]["met"] is True
    owed = await statement(api, sow["id"], "2026-11")
    assert [credit["metric"] for credit in owed["credits"]] == ["ABANDONMENT_RATE"]
    assert owed["amountDue"] == "358.90"
    assert len(await stored_rows(api)) == 2


async def test_recording_the_same_rows_again_changes_nothing(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = DECEMBER
    rows = quarter_hours(datetime(2026, 11, 3, 14, tzinfo=UTC), 40)
    assert await record(api, sow["id"], rows) == {"inserted": 40, "updated": 0, "unchanged": 0}
    before = await stored_rows(api)
    records = api.app.state.services.db.db.sla_statements
    revision = (await records.find_one({"period": "2026-11"}))["revision"]
    assert await record(api, sow["id"], rows) == {"inserted": 0, "updated": 0, "unchanged": 40}
    assert await stored_rows(api) == before
    assert (await records.find_one({"period": "2026-11"}))["revision"] == revision
    assert (await scorecard(api, sow["id"], "2026-11"))["offered"] == 400


async def test_running_sums_equal_the_rows_counted_again(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = DECEMBER
    first = datetime(2026, 11, 30, 22, tzinfo=UTC)  # across the month's end in New York
    await record(api, sow["id"], quarter_hours(first, 40))
    await record(api, sow["id"], quarter_hours(first, 40, offered=12, answered=11))
    await record(api, sow["id"], quarter_hours(first + timedelta(hours=5), 8, channel="CHAT"))
    store = api.app.state.services.store
    zone = "America/New_York"
    counted = await store.sla.recount(
        raw(sow["id"]),
        zone,
        datetime(2026, 11, 1, 4, tzinfo=UTC),
        datetime(2027, 1, 1, 5, tzinfo=UTC),
    )
    running = {
        str(record.period): record.counts for record in await store.sla.period_list(raw(sow["id"]))
    }
    assert {str(period): counts for period, counts in counted.items()} == running
    # 22:00 to 05:00 UTC is the end of November 30 in New York: 28 voice rows, 8 chat rows.
    assert running["2026-11"].offered == 12 * 28 + 10 * 8


async def test_the_terms_in_force_at_a_periods_end_judge_it(api: Api, clock: Clock) -> None:
    client_id, sow = await worked_sow(api)
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    await record(api, sow["id"], WORKED_ROWS)
    # Amended on December 10: from then on 3.00 a call and a service level floor of 75.
    targets = [
        {**target, "target": 75} if target["metric"] == "SERVICE_LEVEL" else target
        for target in WORKED_TERMS["slaTargets"]
    ]
    rate = {"rate": "3.00", "unit": "PER_CALL", "currency": "USD"}
    await amend(api, client_id, sow["id"], 1, pricing=rate, slaTargets=targets)
    clock.now = datetime(2027, 1, 10, tzinfo=UTC)
    await record(api, sow["id"], shifted(WORKED_ROWS, "2026-12"))

    november = await statement(api, sow["id"], "2026-11")
    december = await statement(api, sow["id"], "2026-12")
    assert (november["termsVersion"], november["fees"]) == (1, "370.00")
    assert (december["termsVersion"], december["fees"]) == (2, "444.00")
    # 76.25 % misses November's floor of 80 and meets December's of 75.
    assert by_metric(await scorecard(api, sow["id"], "2026-11"))["SERVICE_LEVEL"]["met"] is False
    assert by_metric(await scorecard(api, sow["id"], "2026-12"))["SERVICE_LEVEL"]["met"] is True
    assert [c["metric"] for c in december["credits"]] == ["ABANDONMENT_RATE"]
    assert december["credits"][0]["consecutiveMisses"] == 2


async def test_three_misses_in_a_row_escalate_to_the_cap(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = datetime(2027, 3, 10, tzinfo=UTC)
    for month in ("2026-11", "2026-12", "2027-01", "2027-02"):
        await record(api, sow["id"], shifted(WORKED_ROWS, month))
    # Two months closed (their runs frozen), two computed after them.
    await close(api, sow["id"], "2026-11")
    await close(api, sow["id"], "2026-12")
    expected = {
        "2026-11": (1, 5.0, "18.50", 1, 3.0, "11.10", "340.40"),
        "2026-12": (2, 10.0, "37.00", 2, 6.0, "22.20", "310.80"),
        "2027-01": (3, 15.0, "55.50", 3, 9.0, "33.30", "281.20"),
        "2027-02": (4, 15.0, "55.50", 4, 9.0, "33.30", "281.20"),
    }
    for month, figures in expected.items():
        owed = await statement(api, sow["id"], month)
        service, abandonment = owed["credits"]
        assert (
            service["consecutiveMisses"],
            service["percent"],
            service["amount"],
            abandonment["consecutiveMisses"],
            abandonment["percent"],
            abandonment["amount"],
            owed["amountDue"],
        ) == figures, month


async def test_a_month_without_a_miss_ends_the_run(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = datetime(2027, 2, 10, tzinfo=UTC)
    await record(api, sow["id"], shifted(WORKED_ROWS, "2026-11"))
    met = [{**r, "answeredWithinThreshold": r["answered"], "abandoned": 0} for r in WORKED_ROWS]
    await record(api, sow["id"], shifted(met, "2026-12"))
    # January has no rows: nothing measured, nothing missed.
    assert (await statement(api, sow["id"], "2026-12"))["credits"] == []
    await record(api, sow["id"], shifted(WORKED_ROWS, "2027-01"))
    january = await statement(api, sow["id"], "2027-01")
    assert [c["consecutiveMisses"] for c in january["credits"]] == [1, 1]


async def test_a_closed_period_refuses_rows_and_its_statement_never_changes(
    api: Api, clock: Clock
) -> None:
    client_id, sow = await closed_november(api, clock)
    assert await statement(api, sow["id"], "2026-11") == {
        **await statement(api, sow["id"], "2026-11"),
        "closed": True,
        "fees": "370.00",
        "totalCredits": "29.60",
        "amountDue": "340.40",
        "closedAt": "2026-12-10T00:00:00.000Z",
    }
    before = await stored_rows(api)
    staff = api.token(Role.COMPLIANCE)
    batch = [row("2026-12-02T14:00:00Z"), {**WORKED_ROWS[1], "offered": 61}]
    error = await api.error(RECORD, {"s": sow["id"], "rows": batch}, token=staff)
    refused(error, "CONFLICT", field="intervals[1].intervalStart", period="2026-11")
    # Even identical values: the period takes no more rows.
    error = await api.error(RECORD, {"s": sow["id"], "rows": WORKED_ROWS[:1]}, token=staff)
    refused(error, "CONFLICT", field="intervals[0].intervalStart")
    assert await stored_rows(api) == before

    again = await api.error(
        'mutation($s: ID!) { closeSlaPeriod(sowId: $s, period: "2026-11") { period } }',
        {"s": sow["id"]},
        token=staff,
    )
    refused(again, "CONFLICT", period="2026-11")

    # Amended afterwards (a new rate): the closed statement keeps what it was closed with.
    await amend(api, client_id, sow["id"], 1, pricing={**WORKED_TERMS["pricing"], "rate": "9.99"})
    client = api.token(Role.CLIENT, client_id=client_id)
    owed = await statement(api, sow["id"], "2026-11", client)
    assert (owed["closed"], owed["termsVersion"], owed["fees"]) == (True, 1, "370.00")
    card = await scorecard(api, sow["id"], "2026-11", client)
    assert (card["closed"], card["offered"]) == (True, 160)


async def test_a_period_closes_once_it_has_ended_in_the_sow_time_zone(
    api: Api, clock: Clock
) -> None:
    _, sow = await worked_sow(api)
    staff = api.token(Role.COMPLIANCE)
    query = "mutation($s: ID!, $p: String!) { closeSlaPeriod(sowId: $s, period: $p) { closed } }"
    clock.now = datetime(2026, 12, 1, 4, 59, tzinfo=UTC)  # 23:59 on November 30 in New York
    error = await api.error(query, {"s": sow["id"], "p": "2026-11"}, token=staff)
    refused(error, "BAD_USER_INPUT", field="period")
    for outside in ("2026-05", "2027-06", "2026-13"):
        error = await api.error(query, {"s": sow["id"], "p": outside}, token=staff)
        refused(error, "BAD_USER_INPUT", field="period")
    clock.now = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    # A month without rows closes too: nothing billed, nothing breached.
    assert (await close(api, sow["id"], "2026-11"))["fees"] == "0.00"


async def test_scorecards_list_each_month_of_the_term_so_far(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = datetime(2026, 8, 15, tzinfo=UTC)
    await record(api, sow["id"], shifted(WORKED_ROWS, "2026-07"))
    query = """
    query($s: ID!, $f: String, $t: String) {
      sow(id: $s) { scorecards(from: $f, to: $t) { period closed offered } }
    }"""
    staff = api.token(Role.COMPLIANCE)

    async def periods(**bounds: str) -> list[tuple[str, int]]:
        variables = {"s": sow["id"], "f": bounds.get("f"), "t": bounds.get("t")}
        cards = (await api.ok(query, variables, token=staff))["sow"]["scorecards"]
        return [(card["period"], card["offered"]) for card in cards]

    # From go-live (June) to this month, never beyond.
    assert await periods() == [("2026-06", 0), ("2026-07", 160), ("2026-08", 0)]
    assert await periods(f="2026-07", t="2030-01") == [("2026-07", 160), ("2026-08", 0)]
    assert await periods(f="2026-09") == []
    error = await api.error(query, {"s": sow["id"], "f": "July", "t": None}, token=staff)
    refused(error, "BAD_USER_INPUT", field="from")


BAD_ROWS = [
    ({"answered": -1}, "intervals[1].answered"),
    ({"answered": 95, "abandoned": 10}, "intervals[1].offered"),
    ({"answeredWithinThreshold": 91}, "intervals[1].answeredWithinThreshold"),
    ({"csatSatisfied": 21}, "intervals[1].csatSatisfied"),
    ({"intervalStart": "2026-11-02T14:10:00Z"}, "intervals[1].intervalStart"),
    ({"intervalMinutes": 45}, "intervals[1].intervalMinutes"),
    ({"channel": "EMAIL"}, "intervals[1].channel"),
    ({"thresholdSeconds": 30}, "intervals[1].thresholdSeconds"),
    # Before go-live (June 1 in New York), and not yet ended at the clock's time.
    ({"intervalStart": "2026-05-31T14:00:00Z"}, "intervals[1].intervalStart"),
    ({"intervalStart": "2026-12-09T23:45:00Z"}, "intervals[1].intervalStart"),
    ({"agentId": "65f0000000000000000000a1"}, "intervals[1].agentId"),
    ({"agentId": "not-an-agent"}, "intervals[1].agentId"),
    # The key of row 0 again.
    ({"intervalStart": "2026-11-02T13:00:00Z"}, "intervals[1].intervalStart"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_ROWS)
async def test_a_bad_row_is_named_and_nothing_is_stored(
    api: Api, clock: Clock, changes: dict[str, Any], field: str
) -> None:
    _, sow = await worked_sow(api)
    clock.now = datetime(2026, 12, 10, 0, 10, tzinfo=UTC)
    batch = [row("2026-11-02T13:00:00Z"), row("2026-11-02T12:00:00Z", **changes)]
    error = await api.error(
        RECORD, {"s": sow["id"], "rows": batch}, token=api.token(Role.COMPLIANCE)
    )
    refused(error, "BAD_USER_INPUT", field=field)
    assert error["message"].startswith(field + ":"), error
    assert await stored_rows(api) == []


async def test_rows_of_an_unsigned_sow_or_an_unknown_one_are_refused(
    api: Api, clock: Clock
) -> None:
    from tests.sow_helpers import create_client, create_sow

    draft = await create_sow(api, await create_client(api))
    staff = api.token(Role.COMPLIANCE)
    clock.now = DECEMBER
    error = await api.error(RECORD, {"s": draft["id"], "rows": WORKED_ROWS}, token=staff)
    refused(error, "BAD_USER_INPUT", field="sowId")
    error = await api.error(RECORD, {"s": str(ObjectId()), "rows": WORKED_ROWS}, token=staff)
    refused(error, "NOT_FOUND")


async def test_a_batch_of_10000_rows_is_accepted_and_10001_refused(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = datetime(2027, 3, 1, tzinfo=UTC)
    rows = quarter_hours(datetime(2026, 11, 1, 5, tzinfo=UTC), 10_001)
    staff = api.token(Role.COMPLIANCE)
    error = await api.error(RECORD, {"s": sow["id"], "rows": rows}, token=staff)
    refused(error, "BAD_USER_INPUT", field="intervals")
    assert "at most 10,000 rows" in error["message"]
    assert await record(api, sow["id"], rows[:10_000]) == {
        "inserted": 10_000,
        "updated": 0,
        "unchanged": 0,
    }
    months = ("2026-11", "2026-12", "2027-01", "2027-02")
    cards = [await scorecard(api, sow["id"], month) for month in months]
    assert sum(card["offered"] for card in cards) == 100_000


async def test_the_validators_refuse_rows_and_statements_that_break_the_storage_rules(
    api: Api, clock: Clock
) -> None:
    await closed_november(api, clock)
    db = api.app.state.services.db.db
    stored = await db.sla_intervals.find_one({})
    statement_doc = await db.sla_statements.find_one({"closed": True})
    assert stored is not None
    assert statement_doc is not None
    assert isinstance(statement_doc["fees"], Decimal128)
    for collection, doc in (
        (db.sla_intervals, {**stored, "_id": ObjectId(), "offered": -1}),
        (db.sla_intervals, {**stored, "_id": ObjectId(), "intervalMinutes": 20}),
        (db.sla_intervals, {**stored, "_id": ObjectId(), "agentId": "someone"}),
        (db.sla_statements, {**statement_doc, "_id": ObjectId(), "fees": 370.0}),
        (db.sla_statements, {**statement_doc, "_id": ObjectId(), "period": "2026-13"}),
    ):
        with pytest.raises(WriteError):
            await collection.insert_one(doc)
