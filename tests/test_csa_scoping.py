"""Who sees which CSA, the staffing counts clients see, and terminateSow's cascade."""

from __future__ import annotations

import asyncio

from api.settings import Settings
from domain.party import Role
from tests.conftest import Api, Clock, serve
from tests.csa_helpers import (
    CSA_FIELDS,
    PRODUCE,
    agent_token,
    executed,
    produce,
    refused,
    setup,
    staff,
    step,
    stored,
    transition,
)
from tests.ids import oid
from tests.sow_helpers import transition as sow_transition
from tests.terms import CSA_TERMS

ONE = "query($id: ID!) { csa(id: $id) { id } }"
LIST = """
query($f: CsaFilter) { csas(filter: $f) { totalCount edges { node { id agent { id } } } } }
"""
STAFFING = "query($id: ID!) { sow(id: $id) { staffing { contracted active } } }"
SOW_CSAS = f"query($id: ID!) {{ sow(id: $id) {{ csas {{ {CSA_FIELDS} }} }} }}"


def ids(data: dict[str, object]) -> set[str]:
    csas = data["csas"]
    assert isinstance(csas, dict)
    return {edge["node"]["id"] for edge in csas["edges"]}


async def test_an_agent_sees_only_their_own_csas(api: Api) -> None:
    _, sow, (mine, theirs) = await setup(api, agents=2)
    own, other = await produce(api, sow["id"], [mine, theirs])
    token = agent_token(api, mine)
    assert (await api.ok(ONE, {"id": own["id"]}, token=token))["csa"] == {"id": own["id"]}
    refused(await api.error(ONE, {"id": other["id"]}, token=token), "NOT_FOUND")
    listed = await api.ok(LIST, {"f": None}, token=token)
    assert ids(listed) == {own["id"]}
    assert listed["csas"]["totalCount"] == 1
    # Filtering for someone else's CSAs does not widen the scope.
    assert ids(await api.ok(LIST, {"f": {"agentId": theirs}}, token=token)) == set()
    sent = await step(api, "sendCsa", other, staff(api))
    error = await api.error(transition("signCsa"), {"id": sent["id"], "v": 1}, token=token)
    refused(error, "NOT_FOUND")
    events = await api.ok(
        "query($id: ID!) { events(entityId: $id) { totalCount } }", {"id": other["id"]}, token=token
    )
    assert events["events"]["totalCount"] == 0


async def test_compliance_sees_and_filters_every_csa(api: Api) -> None:
    _, sow, agents = await setup(api, agents=2)
    first, second = await produce(api, sow["id"], agents)
    _, other_sow, other_agents = await setup(api, client="Beta")
    (third,) = await produce(
        api, other_sow["id"], other_agents, effectiveDate="2026-07-01", expirationDate="2026-10-31"
    )
    await step(api, "sendCsa", second, staff(api))
    token = staff(api)
    assert ids(await api.ok(LIST, {"f": None}, token=token)) == {
        first["id"],
        second["id"],
        third["id"],
    }
    cases = [
        ({"sowId": sow["id"]}, {first["id"], second["id"]}),
        ({"agentId": agents[0]}, {first["id"]}),
        ({"status": ["SENT"]}, {second["id"]}),
        ({"expiringBefore": "2026-09-01"}, {first["id"], second["id"]}),
        ({"expiringBefore": "2026-08-31"}, set()),
    ]
    for where, expected in cases:
        assert ids(await api.ok(LIST, {"f": where}, token=token)) == expected, where
    listed = await api.ok(SOW_CSAS, {"id": sow["id"]}, token=token)
    assert [c["id"] for c in listed["sow"]["csas"]] == [first["id"], second["id"]]


async def test_clients_never_see_csas_only_staffing_counts(api: Api) -> None:
    client_id, sow, agents = await setup(api, agents=3)
    first, second, _ = await produce(api, sow["id"], agents)
    await executed(api, first)
    await executed(api, second)
    client = api.token(Role.CLIENT, client_id=client_id)
    refused(await api.error(ONE, {"id": first["id"]}, token=client), "FORBIDDEN")
    refused(await api.error(LIST, {"f": None}, token=client), "FORBIDDEN")
    refused(await api.error(SOW_CSAS, {"id": sow["id"]}, token=client), "FORBIDDEN")
    data = await api.ok(STAFFING, {"id": sow["id"]}, token=client)
    assert data["sow"]["staffing"] == {"contracted": 2, "active": 0}


TERMINATE_SOW = sow_transition("terminateSow", "reason")
EVENTS = """
query($id: ID!) { csa(id: $id) { status terminationReason
  events { edges { node { type toStatus reason } } } } }
"""


async def test_terminating_a_sow_terminates_its_open_csas_each_with_an_event(api: Api) -> None:
    client_id, sow, agents = await setup(api, agents=4)
    draft, sent, done, withdrawn = await produce(api, sow["id"], agents)
    await step(api, "sendCsa", sent, staff(api))
    await executed(api, done)
    await step(api, "withdrawCsa", withdrawn, staff(api), reason="Not needed")
    _, other_sow, other_agents = await setup(api, client="Beta")
    (elsewhere,) = await produce(api, other_sow["id"], other_agents)

    variables = {"id": sow["id"], "v": sow["version"], "reason": "Client went bankrupt"}
    data = await api.ok(TERMINATE_SOW, variables, token=staff(api))
    assert data["terminateSow"]["status"] == "TERMINATED"

    for csa in (draft, sent, done):
        found = (await api.ok(EVENTS, {"id": csa["id"]}, token=staff(api)))["csa"]
        assert (found["status"], found["terminationReason"]) == (
            "TERMINATED",
            "CLIENT_AGREEMENT_TERMINATED",
        )
        ends = [e["node"] for e in found["events"]["edges"] if e["node"]["type"] == "TERMINATED"]
        assert ends == [
            {
                "type": "TERMINATED",
                "toStatus": "TERMINATED",
                "reason": "CLIENT_AGREEMENT_TERMINATED",
            }
        ]
    for csa, status in ((withdrawn, "WITHDRAWN"), (elsewhere, "DRAFT")):
        found = (await api.ok(EVENTS, {"id": csa["id"]}, token=staff(api)))["csa"]
        assert found["status"] == status
    client = api.token(Role.CLIENT, client_id=client_id)
    staffing = await api.ok(STAFFING, {"id": sow["id"]}, token=client)
    assert staffing["sow"]["staffing"] == {"contracted": 0, "active": 0}
    # No CSA is produced for a terminated SOW.
    later = {**CSA_TERMS, "effectiveDate": "2026-09-01", "expirationDate": "2026-11-30"}
    error = await api.error(
        "mutation($s: ID!, $a: [ID!]!, $t: CsaTermsInput!) "
        "{ produceCsas(sowId: $s, agentIds: $a, terms: $t) { id } }",
        {
            "s": sow["id"],
            "a": agents[:1],
            "t": later,
        },
        token=staff(api),
    )
    refused(error, "BAD_USER_INPUT", field="sowId")


async def test_a_cascade_that_fails_on_one_csa_leaves_the_sow_and_every_csa_as_they_were(
    api: Api,
) -> None:
    _, sow, agents = await setup(api, agents=3)
    produced = await produce(api, sow["id"], agents)
    # Damaged outside the service (past the validator): the last CSA's write cannot be
    # encoded, after the SOW and the other CSAs were written in the same transaction.
    db = api.app.state.services.db.db
    await db.csas.update_one(
        {"_id": oid(produced[-1]["id"])},
        {"$set": {"clientId": "corrupt"}},
        bypass_document_validation=True,
    )
    before = await stored(api)
    variables = {"id": sow["id"], "v": sow["version"], "reason": "Client went bankrupt"}
    body = await api.post(TERMINATE_SOW, variables, token=staff(api))
    assert body["errors"], body
    assert await stored(api) == before


async def test_production_racing_the_sows_termination_never_leaves_an_open_csa(
    settings: Settings, clock: Clock
) -> None:
    """Production holds the SOW (its revision moves), so the two cannot both decide on a SOW
    they each read before the other's commit: either the CSAs come first and the cascade
    ends them, or the termination comes first and production is refused."""
    async with serve(settings, clock) as one, serve(settings, clock) as two:
        for round in range(3):
            _, sow, agents = await setup(one, agents=2, client=f"Client {round}")
            produced, terminated = await asyncio.gather(
                one.post(PRODUCE, {"s": sow["id"], "a": agents, "t": CSA_TERMS}, token=staff(one)),
                two.post(
                    TERMINATE_SOW,
                    {"id": sow["id"], "v": sow["version"], "reason": "Client exit"},
                    token=staff(two),
                ),
            )
            assert terminated["data"]["terminateSow"]["status"] == "TERMINATED", terminated
            listed = await one.ok(
                "query($s: ID!) { csas(filter: { sowId: $s }) { edges { node { status } } } }",
                {"s": sow["id"]},
                token=staff(one),
            )
            statuses = [edge["node"]["status"] for edge in listed["csas"]["edges"]]
            if produced.get("errors"):
                refused(produced["errors"][0], "BAD_USER_INPUT", field="sowId")
                assert statuses == []
            else:
                assert statuses == ["TERMINATED", "TERMINATED"], (produced, statuses)
