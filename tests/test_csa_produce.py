"""CSA production policy (whole batch or nothing) and the timeline flags."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from api.lifespan import scheduler_options
from api.settings import Settings
from domain.party import Role
from scheduler.run import run_once
from tests.conftest import Api, Clock, serve
from tests.csa_helpers import (
    PRODUCE,
    agent_token,
    create_agent,
    produce,
    refused,
    setup,
    staff,
    step,
    stored,
)
from tests.ids import oid
from tests.sow_helpers import create_client, create_sow
from tests.terms import CSA_TERMS, SOW_TERMS

COUNT = "query($s: ID!) { csas(filter: { sowId: $s }) { totalCount } }"


async def produced_count(api: Api, sow_id: str) -> int:
    data = await api.ok(COUNT, {"s": sow_id}, token=staff(api))
    total: int = data["csas"]["totalCount"]
    return total


async def refuse(api: Api, sow_id: str, agent_ids: list[str], field: str, **terms: Any) -> None:
    variables = {"s": sow_id, "a": agent_ids, "t": {**CSA_TERMS, **terms}}
    refused(await api.error(PRODUCE, variables, token=staff(api)), "BAD_USER_INPUT", field=field)


async def test_the_sow_must_be_signed_or_active(api: Api) -> None:
    draft = await create_sow(api, await create_client(api))
    agent = await create_agent(api)
    await refuse(api, draft["id"], [agent], "sowId")
    await refuse(api, "65f000000000000000000099", [agent], "sowId")
    assert await produced_count(api, draft["id"]) == 0


async def test_every_refusal_leaves_every_document_and_event_as_it_was(api: Api) -> None:
    """Each refusal names a good agent first: a batch is refused whole, nothing half-written."""
    _, sow, (good, held, inactive) = await setup(api, agents=3)
    draft = await create_sow(api, await create_client(api, "Beta"))
    await produce(api, sow["id"], [held])
    services = api.app.state.services
    await services.db.db.agents.update_one({"_id": oid(inactive)}, {"$set": {"status": "INACTIVE"}})
    before = await stored(api)
    unknown = "65f0000000000000000000aa"
    cases: list[tuple[str, list[str], str, dict[str, Any]]] = [
        (draft["id"], [good], "sowId", {}),
        (unknown, [good], "sowId", {}),
        (sow["id"], [good, unknown], "agentIds[1]", {}),
        (sow["id"], [good, inactive], "agentIds[1]", {}),
        (sow["id"], [good, held], "agentIds[1]", {"expirationDate": "2026-09-30"}),
        (sow["id"], [good, good], "agentIds", {}),
        (sow["id"], [], "agentIds", {}),
        (sow["id"], [good], "terms.expirationDate", {"expirationDate": "2026-08-30"}),
        (sow["id"], [good], "terms.expirationDate", {"expirationDate": "2026-10-02"}),
    ]
    for sow_id, agent_ids, field, terms in cases:
        await refuse(api, sow_id, agent_ids, field, **terms)
    assert await stored(api) == before


async def test_an_active_sow_produces_too(api: Api, clock: Clock) -> None:
    _, sow, (agent,) = await setup(api)
    clock.now = clock.now.replace(month=6, day=2)
    await run_once(api.app.state.services.store, clock(), scheduler_options(api.settings))
    (csa,) = await produce(
        api, sow["id"], [agent], effectiveDate="2026-07-01", expirationDate="2026-09-30"
    )
    assert (csa["status"], csa["sowId"]) == ("DRAFT", sow["id"])
    data = await api.ok(
        "query($id: ID!) { sow(id: $id) { status } }", {"id": sow["id"]}, token=staff(api)
    )
    assert data["sow"]["status"] == "ACTIVE"


async def test_two_processes_racing_to_contract_one_agent_produce_one_csa(
    settings: Settings, clock: Clock
) -> None:
    async with (
        serve(settings, clock) as one,
        serve(settings, clock) as two,
    ):
        _, sow, (agent, other) = await setup(one, agents=2)
        variables = [
            {"s": sow["id"], "a": [other, agent], "t": CSA_TERMS},
            {"s": sow["id"], "a": [agent], "t": {**CSA_TERMS, "expirationDate": "2026-09-30"}},
        ]
        bodies = await asyncio.gather(
            *(
                api.post(PRODUCE, v, token=staff(api))
                for api, v in zip((one, two), variables, strict=True)
            )
        )
        winners = [body for body in bodies if not body.get("errors")]
        losers = [body for body in bodies if body.get("errors")]
        assert (len(winners), len(losers)) == (1, 1), bodies
        (error,) = losers[0]["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        created = {csa["id"] for csa in winners[0]["data"]["produceCsas"]}
        data = await two.ok(
            "query($s: ID!) { csas(filter: { sowId: $s }) { edges { node { id } } } "
            "events(first: 100) { edges { node { type entityType entityId } } } }",
            {"s": sow["id"]},
            token=staff(two),
        )
        assert {edge["node"]["id"] for edge in data["csas"]["edges"]} == created
        events = [edge["node"] for edge in data["events"]["edges"]]
        assert sorted(e["entityId"] for e in events if e["entityType"] == "CSA") == sorted(created)


async def test_the_term_runs_three_to_four_months(api: Api) -> None:
    _, sow, agents = await setup(api)
    await refuse(api, sow["id"], agents, "terms.expirationDate", expirationDate="2026-08-30")
    await refuse(api, sow["id"], agents, "terms.expirationDate", expirationDate="2026-10-02")
    await refuse(api, sow["id"], agents, "terms.expirationDate", expirationDate="2026-05-01")
    assert await produced_count(api, sow["id"]) == 0
    assert len(await produce(api, sow["id"], agents, expirationDate="2026-10-01")) == 1


async def test_one_bad_agent_refuses_the_whole_batch(api: Api) -> None:
    _, sow, agents = await setup(api, agents=2)
    unknown = "65f0000000000000000000aa"
    await refuse(api, sow["id"], [agents[0], unknown], "agentIds[1]")
    await refuse(api, sow["id"], [agents[0], agents[1], agents[0]], "agentIds")
    services = api.app.state.services
    await services.db.db.agents.update_one(
        {"_id": oid(agents[1])}, {"$set": {"status": "INACTIVE"}}
    )
    await refuse(api, sow["id"], agents, "agentIds[1]")
    assert await produced_count(api, sow["id"]) == 0


async def test_an_agent_has_one_csa_per_sow_period(api: Api) -> None:
    _, sow, agents = await setup(api, agents=2)
    (first,) = await produce(api, sow["id"], agents[:1])
    await refuse(api, sow["id"], [agents[1], agents[0]], "agentIds[1]")
    await refuse(
        api,
        sow["id"],
        agents[:1],
        "agentIds[0]",
        effectiveDate="2026-08-01",
        expirationDate="2026-10-31",
    )
    later = await produce(
        api, sow["id"], agents[:1], effectiveDate="2026-09-01", expirationDate="2026-11-30"
    )
    assert len(later) == 1
    await step(api, "withdrawCsa", first, staff(api), reason="Wrong rate")
    numbers = [c["number"] for c in await produce(api, sow["id"], agents)]
    assert len(numbers) == 2
    assert len(set(numbers)) == 2


FLAGS = "query($id: ID!) { csa(id: $id) { flags } }"


async def flags_of(api: Api, csa_id: str) -> list[str]:
    data = await api.ok(FLAGS, {"id": csa_id}, token=staff(api))
    found: list[str] = data["csa"]["flags"]
    return found


async def test_delivery_and_production_timeline_flags(api: Api, clock: Clock) -> None:
    _, sow, agents = await setup(api, agents=3)
    early, on_time, late = await produce(api, sow["id"], agents)
    assert early["flags"] == []
    await step(api, "sendCsa", early, staff(api))
    assert await flags_of(api, early["id"]) == ["EARLY_DELIVERY"]

    clock.now = clock.now.replace(month=5, day=29)
    await step(api, "sendCsa", on_time, staff(api))
    assert await flags_of(api, on_time["id"]) == []

    clock.now = clock.now.replace(month=6, day=1)
    await step(api, "sendCsa", late, staff(api))
    assert await flags_of(api, late["id"]) == ["LATE_DELIVERY"]


async def test_production_less_than_two_weeks_before_go_live_is_flagged(
    api: Api, clock: Clock
) -> None:
    _, sow, agents = await setup(api, agents=2)
    clock.now = clock.now.replace(month=5, day=18)
    (on_time,) = await produce(api, sow["id"], agents[:1])
    clock.advance(days=1)
    (late,) = await produce(api, sow["id"], agents[1:])
    assert "LATE_PRODUCTION" not in on_time["flags"]
    assert late["flags"] == ["LATE_PRODUCTION"]


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


# CSA_TERMS: effective 2026-06-01 in America/New_York (EDT, UTC-4): the day starts 04:00 UTC.
DELIVERIES = [
    ("2026-05-31T12:00", []),  # exactly 1 day before
    ("2026-06-01T03:30", []),  # still May 31 in New York: 1 day, though June 1 in UTC
    ("2026-06-01T04:30", ["LATE_DELIVERY"]),  # the effective date itself
    ("2026-05-29T04:30", []),  # exactly 3 days before
    ("2026-05-29T03:30", ["EARLY_DELIVERY"]),  # May 28 in New York: 4 days
]


async def test_delivery_flags_at_exactly_one_and_three_days_in_the_terms_time_zone(
    api: Api, clock: Clock
) -> None:
    _, sow, agents = await setup(api, agents=len(DELIVERIES))
    produced = await produce(api, sow["id"], agents)
    for csa, (sent_at, expected) in zip(produced, DELIVERIES, strict=True):
        clock.now = at(sent_at)
        await step(api, "sendCsa", csa, staff(api))
        assert await flags_of(api, csa["id"]) == expected, sent_at


# Go-live 2026-06-01 in the SOW's Asia/Tokyo (UTC+9): 14 days before starts 2026-05-17T15:00Z.
# The CSA's own hours are in New York: the SOW's zone decides, as go-live is the SOW's date.
PRODUCTIONS = [
    ("2026-05-17T15:30", False),  # May 18 in Tokyo: exactly 14 days
    ("2026-05-18T14:30", False),  # May 18, 23:30 in Tokyo
    ("2026-05-18T15:30", True),  # May 19 in Tokyo (May 18 in UTC and New York): 13 days
]


async def test_late_production_at_exactly_fourteen_days_in_the_sow_time_zone(
    api: Api, clock: Clock
) -> None:
    hours = {**SOW_TERMS["serviceHours"], "timeZone": "Asia/Tokyo"}
    _, sow, agents = await setup(api, agents=len(PRODUCTIONS), serviceHours=hours)
    for agent, (produced_at, late) in zip(agents, PRODUCTIONS, strict=True):
        clock.now = at(produced_at)
        (csa,) = await produce(api, sow["id"], [agent])
        assert ("LATE_PRODUCTION" in csa["flags"]) is late, produced_at
        assert ("LATE_PRODUCTION" in await flags_of(api, csa["id"])) is late, produced_at


async def test_only_compliance_produces(api: Api) -> None:
    client_id, sow, agents = await setup(api)
    variables = {"s": sow["id"], "a": agents, "t": CSA_TERMS}
    for token in (agent_token(api, agents[0]), api.token(Role.CLIENT, client_id=client_id)):
        refused(await api.error(PRODUCE, variables, token=token), "FORBIDDEN")
