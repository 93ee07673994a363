"""Performance against the contract through GraphQL: DESIGN.md's worked example as a SOW,
interval rows, and the queries that read scorecards and statements back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.party import Role
from tests.conftest import Api
from tests.sow_helpers import create_client, signed_sow
from tests.test_domain_sla import TERMS

# DESIGN.md's worked example: PER_CALL at 2.50 USD in New York, six targets, two credits
# (the rest of the terms: the SOW helpers' own).
WORKED_TERMS: dict[str, Any] = {
    name: TERMS[name] for name in ("scope", "pricing", "slaTargets", "serviceCredits")
}

# Its two queue rows of November 2026.
WORKED_ROWS: list[dict[str, Any]] = [
    {
        "channel": "INBOUND_VOICE",
        "intervalStart": "2026-11-02T14:00:00Z",
        "intervalMinutes": 30,
        "offered": 100,
        "answered": 90,
        "abandoned": 10,
        "answeredWithinThreshold": 70,
        "thresholdSeconds": 20,
        "waitSecondsAnswered": 1800,
        "handleSeconds": 30600,
        "staffedSeconds": 3600,
        "firstContactResolutions": 63,
        "csatResponses": 20,
        "csatSatisfied": 18,
    },
    {
        "channel": "INBOUND_VOICE",
        "intervalStart": "2026-11-02T14:30:00Z",
        "intervalMinutes": 30,
        "offered": 60,
        "answered": 58,
        "abandoned": 2,
        "answeredWithinThreshold": 52,
        "thresholdSeconds": 20,
        "waitSecondsAnswered": 580,
        "handleSeconds": 20300,
        "staffedSeconds": 3600,
        "firstContactResolutions": 44,
        "csatResponses": 10,
        "csatSatisfied": 8,
    },
]

RECORD = """
mutation($s: ID!, $rows: [SlaIntervalInput!]!) {
  recordSlaIntervals(sowId: $s, intervals: $rows) { inserted updated unchanged }
}
"""
CLOSE = """
mutation($s: ID!, $p: String!) {
  closeSlaPeriod(sowId: $s, period: $p) { period closed fees totalCredits amountDue closedAt }
}
"""
SCORECARD = """
query($s: ID!, $p: String!) {
  sow(id: $s) {
    scorecard(period: $p) {
      period closed termsVersion offered answered abandoned
      results { metric target actual met }
    }
  }
}
"""
STATEMENT = """
query($s: ID!, $p: String!) {
  sow(id: $s) {
    statement(period: $p) {
      period closed termsVersion currency unit quantity fees totalCredits amountDue closedAt
      credits { metric consecutiveMisses percent amount }
    }
  }
}
"""


async def worked_sow(api: Api, **changes: Any) -> tuple[str, dict[str, Any]]:
    """A client and a SIGNED SOW with the worked example's terms (and `changes`)."""
    client_id = await create_client(api)
    sow = await signed_sow(api, client_id, **{**WORKED_TERMS, **changes})
    return client_id, sow


def row(start: datetime | str, **changes: Any) -> dict[str, Any]:
    """A queue row at `start` like the worked example's first, with `changes`."""
    when = start if isinstance(start, str) else start.astimezone(UTC).isoformat()
    return {**WORKED_ROWS[0], "intervalStart": when, **changes}


def quarter_hours(first: datetime, count: int, **changes: Any) -> list[dict[str, Any]]:
    """`count` consecutive 15-minute rows from `first`, small valid counts."""
    counts = {
        "intervalMinutes": 15,
        "offered": 10,
        "answered": 9,
        "abandoned": 1,
        "answeredWithinThreshold": 8,
        "waitSecondsAnswered": 90,
        "handleSeconds": 2700,
        "staffedSeconds": 2700,
        "firstContactResolutions": 7,
        "csatResponses": 3,
        "csatSatisfied": 3,
    }
    return [row(first + timedelta(minutes=15 * n), **{**counts, **changes}) for n in range(count)]


async def record(api: Api, sow_id: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    data = await api.ok(RECORD, {"s": sow_id, "rows": rows}, token=api.token(Role.COMPLIANCE))
    result: dict[str, int] = data["recordSlaIntervals"]
    return result


async def scorecard(api: Api, sow_id: str, period: str, token: str | None = None) -> dict[str, Any]:
    data = await api.ok(
        SCORECARD, {"s": sow_id, "p": period}, token=token or api.token(Role.COMPLIANCE)
    )
    card: dict[str, Any] = data["sow"]["scorecard"]
    return card


async def statement(api: Api, sow_id: str, period: str, token: str | None = None) -> dict[str, Any]:
    data = await api.ok(
        STATEMENT, {"s": sow_id, "p": period}, token=token or api.token(Role.COMPLIANCE)
    )
    found: dict[str, Any] = data["sow"]["statement"]
    return found


async def close(api: Api, sow_id: str, period: str) -> dict[str, Any]:
    data = await api.ok(CLOSE, {"s": sow_id, "p": period}, token=api.token(Role.COMPLIANCE))
    closed: dict[str, Any] = data["closeSlaPeriod"]
    return closed


def by_metric(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["metric"]: result for result in card["results"]}


PROPOSE = """
mutation($id: ID!, $v: Int!, $t: SowTermsPatch!) {
  proposeSowAmendment(id: $id, expectedVersion: $v, terms: $t, changeSummary: "amended") { id }
}
"""
ACCEPT = "mutation($id: ID!, $v: Int!) { acceptSowAmendment(id: $id, expectedVersion: $v) { id } }"


async def amend(api: Api, client_id: str, sow_id: str, version: int, **patch: Any) -> None:
    """An amendment of the SOW's terms, proposed by compliance and accepted by its client at
    the clock's time."""
    variables = {"id": sow_id, "v": version}
    await api.ok(PROPOSE, {**variables, "t": patch}, token=api.token(Role.COMPLIANCE))
    await api.ok(ACCEPT, variables, token=api.token(Role.CLIENT, client_id=client_id))


async def closed_november(api: Api, clock: Any) -> tuple[str, dict[str, Any]]:
    """The worked example's SOW with its two rows recorded and November closed, on
    December 10."""
    client_id, sow = await worked_sow(api)
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    await record(api, sow["id"], WORKED_ROWS)
    await close(api, sow["id"], "2026-11")
    return client_id, sow
