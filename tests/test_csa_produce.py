"""CSA production policy (whole batch or nothing) and the timeline flags."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from domain.party import Role
from tests.conftest import Api, Clock
from tests.csa_helpers import (
    CSA_TERMS,
    PRODUCE,
    agent_token,
    create_agent,
    produce,
    refused,
    setup,
    staff,
    step,
)
from tests.sow_helpers import create_client, create_sow

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
        {"_id": ObjectId(agents[1])}, {"$set": {"status": "INACTIVE"}}
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


async def test_only_compliance_produces(api: Api) -> None:
    _, sow, agents = await setup(api)
    variables = {"s": sow["id"], "a": agents, "t": CSA_TERMS}
    for token in (agent_token(api, agents[0]), api.token(Role.CLIENT, client_id=agents[0])):
        refused(await api.error(PRODUCE, variables, token=token), "FORBIDDEN")
