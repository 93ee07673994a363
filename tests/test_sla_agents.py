"""Agent performance: rows of agents under a CSA, `Csa.performance` with its renewal
recommendation, who sees it, and RENEWAL_DUE carrying the recommendation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from api.settings import Settings
from domain.party import Role
from tests.conftest import Api, Clock, configured, serve
from tests.csa_helpers import agent_token, create_agent, executed, produce, refused
from tests.scheduler_helpers import run
from tests.sla_helpers import RECORD, row, worked_sow

# CSA_TERMS run June 1 to August 31, 2026, in New York.
EXPECTATIONS = [
    {"metric": "AVERAGE_HANDLE_TIME", "target": 360},
    {"metric": "FIRST_CALL_RESOLUTION", "target": 70},
    {"metric": "CUSTOMER_SATISFACTION", "target": 85},
    # A queue metric: not measured per agent, neither helps nor hurts.
    {"metric": "SERVICE_LEVEL", "target": 80, "thresholdSeconds": 20},
]
PERFORMANCE = """
query($id: ID!) {
  csa(id: $id) {
    performance { from to answered recommendation results { metric target actual met } }
  }
}
"""


def agent_row(agent_id: str, start: str, **counts: int) -> dict[str, Any]:
    """One agent's 30-minute row: 60 answered, AHT 350 s, FCR 45 (75 %), CSAT 9 of 10."""
    values = {
        "offered": 60,
        "answered": 60,
        "abandoned": 0,
        "answeredWithinThreshold": 50,
        "waitSecondsAnswered": 600,
        "handleSeconds": 21000,
        "staffedSeconds": 1800,
        "firstContactResolutions": 45,
        "csatResponses": 10,
        "csatSatisfied": 9,
    }
    return row(start, agentId=agent_id, **{**values, **counts})


async def staffed(api: Api) -> tuple[str, dict[str, Any], str, dict[str, Any]]:
    """A client, the worked example's SOW, an agent and their executed CSA under it."""
    client_id, sow = await worked_sow(api)
    agent_id = await create_agent(api)
    (csa,) = await produce(api, sow["id"], [agent_id], performanceExpectations=EXPECTATIONS)
    return client_id, sow, agent_id, await executed(api, csa)


async def performance(api: Api, csa_id: str, token: str | None = None) -> dict[str, Any]:
    data = await api.ok(PERFORMANCE, {"id": csa_id}, token=token or api.token(Role.COMPLIANCE))
    found: dict[str, Any] = data["csa"]["performance"]
    return found


async def test_an_agents_performance_over_the_term_so_far(api: Api, clock: Clock) -> None:
    _, sow, agent_id, csa = await staffed(api)
    clock.now = datetime(2026, 7, 10, tzinfo=UTC)
    assert (await performance(api, csa["id"]))["recommendation"] == "INSUFFICIENT_DATA"
    rows = [
        agent_row(agent_id, "2026-06-02T14:00:00Z"),
        agent_row(agent_id, "2026-07-01T14:00:00Z"),
        # The queue's row of the same interval: not the agent's.
        row("2026-06-02T14:00:00Z"),
    ]
    staff = api.token(Role.COMPLIANCE)
    await api.ok(RECORD, {"s": sow["id"], "rows": rows}, token=staff)
    found = await performance(api, csa["id"], agent_token(api, agent_id))
    # 00:00 UTC on July 10 is still July 9 in New York.
    assert (found["from"], found["to"], found["answered"]) == ("2026-06-01", "2026-07-09", 120)
    assert found["results"] == [
        {"metric": "AVERAGE_HANDLE_TIME", "target": 360.0, "actual": 350.0, "met": True},
        {"metric": "FIRST_CALL_RESOLUTION", "target": 70.0, "actual": 75.0, "met": True},
        {"metric": "CUSTOMER_SATISFACTION", "target": 85.0, "actual": 90.0, "met": True},
    ]
    assert found["recommendation"] == "RENEW"


@pytest.mark.parametrize(
    ("counts", "recommendation"),
    [
        # FCR 66.67 % against 70: missed by less than 10 % of the target.
        ({"firstContactResolutions": 40}, "REVIEW"),
        # AHT 400 s against 360: missed by more than 10 %.
        ({"handleSeconds": 24000}, "DO_NOT_RENEW"),
    ],
)
async def test_the_recommendation_follows_how_far_expectations_are_missed(
    api: Api, clock: Clock, counts: dict[str, int], recommendation: str
) -> None:
    _, sow, agent_id, csa = await staffed(api)
    clock.now = datetime(2026, 7, 10, tzinfo=UTC)
    rows = [agent_row(agent_id, f"2026-06-0{day}T14:00:00Z", **counts) for day in (2, 3)]
    await api.ok(RECORD, {"s": sow["id"], "rows": rows}, token=api.token(Role.COMPLIANCE))
    assert (await performance(api, csa["id"]))["recommendation"] == recommendation


async def test_the_minimum_of_answered_contacts_is_a_setting(
    settings: Settings, clock: Clock
) -> None:
    async with serve(configured(settings, renewal_min_answered=1000), clock) as api:
        _, sow, agent_id, csa = await staffed(api)
        clock.now = datetime(2026, 7, 10, tzinfo=UTC)
        rows = [agent_row(agent_id, f"2026-06-0{day}T14:00:00Z") for day in (2, 3)]
        await api.ok(RECORD, {"s": sow["id"], "rows": rows}, token=api.token(Role.COMPLIANCE))
        assert (await performance(api, csa["id"]))["recommendation"] == "INSUFFICIENT_DATA"


async def test_agent_rows_need_a_signed_csa_covering_their_date(api: Api, clock: Clock) -> None:
    _, sow, agent_id, _csa = await staffed(api)
    other = await create_agent(api, "Other")
    (draft,) = await produce(api, sow["id"], [other], performanceExpectations=EXPECTATIONS)
    del draft  # produced, never sent: not a contract yet
    clock.now = datetime(2026, 10, 1, tzinfo=UTC)
    staff = api.token(Role.COMPLIANCE)
    for rows, field in (
        # After the CSA's last day (August 31 in New York).
        ([agent_row(agent_id, "2026-09-01T14:00:00Z")], "intervals[0].agentId"),
        ([agent_row(other, "2026-06-02T14:00:00Z")], "intervals[0].agentId"),
    ):
        error = await api.error(RECORD, {"s": sow["id"], "rows": rows}, token=staff)
        refused(error, "BAD_USER_INPUT", field=field)
    # 23:30 on August 31 in New York is still the CSA's.
    ok = [agent_row(agent_id, "2026-09-01T03:30:00Z")]
    assert (await api.ok(RECORD, {"s": sow["id"], "rows": ok}, token=staff))["recordSlaIntervals"][
        "inserted"
    ] == 1


async def test_agents_see_only_their_own_performance_and_clients_none(
    api: Api, clock: Clock
) -> None:
    client_id, _sow, agent_id, csa = await staffed(api)
    clock.now = datetime(2026, 7, 10, tzinfo=UTC)
    other = agent_token(api, await create_agent(api, "Other"))
    error = await api.error(PERFORMANCE, {"id": csa["id"]}, token=other)
    refused(error, "NOT_FOUND")
    client = api.token(Role.CLIENT, client_id=client_id)
    refused(await api.error(PERFORMANCE, {"id": csa["id"]}, token=client), "FORBIDDEN")
    assert (await performance(api, csa["id"], agent_token(api, agent_id)))["answered"] == 0


async def test_renewal_due_carries_the_recommendation(api: Api, clock: Clock) -> None:
    _, sow, agent_id, csa = await staffed(api)
    clock.now = datetime(2026, 7, 10, tzinfo=UTC)
    rows = [
        agent_row(agent_id, f"2026-06-0{day}T14:00:00Z", firstContactResolutions=40)
        for day in (2, 3)
    ]
    await api.ok(RECORD, {"s": sow["id"], "rows": rows}, token=api.token(Role.COMPLIANCE))
    # 30 days before August 31 in New York; one pass activates the CSA and gives notice.
    clock.now = datetime(2026, 8, 1, 12, tzinfo=UTC)
    report = await run(api, clock)
    assert report.events["CSA:RENEWAL_DUE"] == 1
    query = """
    query($id: ID!) { events(entityId: $id, first: 20) { edges { node { type reason } } } }
    """
    data = await api.ok(query, {"id": csa["id"]}, token=agent_token(api, agent_id))
    (reason,) = [
        edge["node"]["reason"]
        for edge in data["events"]["edges"]
        if edge["node"]["type"] == "RENEWAL_DUE"
    ]
    assert reason == (
        "REVIEW: 120 answered contacts; missed FIRST_CALL_RESOLUTION 66.67 % against a "
        "floor of 70 %"
    )


async def test_a_clients_figures_hold_no_agent_data(api: Api, clock: Clock) -> None:
    client_id, sow, agent_id, _csa = await staffed(api)
    clock.now = datetime(2026, 7, 10, tzinfo=UTC)
    rows = [agent_row(agent_id, "2026-06-02T14:00:00Z"), row("2026-06-02T14:00:00Z")]
    await api.ok(RECORD, {"s": sow["id"], "rows": rows}, token=api.token(Role.COMPLIANCE))
    query = """
    query($id: ID!) {
      sow(id: $id) {
        scorecard(period: "2026-06") { offered answered results { metric actual } }
        statement(period: "2026-06") { quantity fees }
        scorecards { period offered }
        events { edges { node { reason } } }
      }
    }"""
    client = api.token(Role.CLIENT, client_id=client_id)
    body = await api.ok(query, {"id": sow["id"]}, token=client)
    # The queue's row only: 100 offered, 90 answered at 2.50.
    assert body["sow"]["scorecard"]["offered"] == 100
    assert body["sow"]["statement"] == {"quantity": "90", "fees": "225.00"}
    assert agent_id not in json.dumps(body)


async def test_each_csa_counts_the_rows_of_its_own_term(api: Api, clock: Clock) -> None:
    _, sow = await worked_sow(api)
    agent_id = await create_agent(api)
    terms = (("2026-06-01", "2026-08-31"), ("2026-09-01", "2026-11-30"))
    csas = []
    for start, end in terms:
        (csa,) = await produce(api, sow["id"], [agent_id], effectiveDate=start, expirationDate=end)
        csas.append(await executed(api, csa))
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    rows = [
        agent_row(agent_id, "2026-07-01T14:00:00Z"),
        agent_row(agent_id, "2026-10-01T14:00:00Z"),
        agent_row(agent_id, "2026-10-02T14:00:00Z"),
    ]
    await api.ok(RECORD, {"s": sow["id"], "rows": rows}, token=api.token(Role.COMPLIANCE))
    # Both on one page: one aggregation, each row under the CSA whose term holds it.
    query = "{ csas(first: 10) { edges { node { id performance { from answered } } } } }"
    data = await api.ok(query, token=agent_token(api, agent_id))
    found = {edge["node"]["id"]: edge["node"]["performance"] for edge in data["csas"]["edges"]}
    assert found[csas[0]["id"]] == {"from": "2026-06-01", "answered": 60}
    assert found[csas[1]["id"]] == {"from": "2026-09-01", "answered": 120}
