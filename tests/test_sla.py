"""Performance against the contract through GraphQL: recording interval rows, scorecards,
statements to the cent, corrections, closing, consecutive misses."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.party import Role
from tests.conftest import Api, Clock
from tests.sla_helpers import (
    WORKED_ROWS,
    by_metric,
    close,
    record,
    scorecard,
    statement,
    worked_sow,
)

DECEMBER = datetime(2026, 12, 10, tzinfo=UTC)


async def test_the_worked_example_to_the_cent(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    clock.now = DECEMBER
    assert await record(api, sow["id"], WORKED_ROWS) == {
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
    }

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
    assert results["ABANDONMENT_RATE"]["met"] is False
    assert round(results["AVERAGE_HANDLE_TIME"]["actual"], 2) == 343.92
    assert round(results["FIRST_CALL_RESOLUTION"]["actual"], 2) == 72.30
    assert round(results["CUSTOMER_SATISFACTION"]["actual"], 2) == 86.67
    assert [r["met"] for r in card["results"]] == [False, True, False, True, True, True]

    owed = await statement(api, sow["id"], "2026-11")
    assert owed == {
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
    closed = await close(api, sow["id"], "2026-11")
    assert (closed["closed"], closed["fees"], closed["amountDue"]) == (True, "370.00", "340.40")
    assert (await statement(api, sow["id"], "2026-11", api.token(Role.COMPLIANCE)))["closed"]
