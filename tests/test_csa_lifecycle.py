"""CSA status machine through GraphQL: every transition, its refusals, versions, events, renewal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from api.settings import Settings
from domain.party import Role
from tests.conftest import Api, Clock, serve
from tests.csa_helpers import (
    CSA_FIELDS,
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
from tests.scheduler_helpers import run

EVENTS = """
query($id: ID!) { csa(id: $id) {
  signatures { party version hash signer { id role } }
  versions { number hash }
  events { edges { node { type fromStatus toStatus recipient reason version } } }
} }
"""


async def first_csa(api: Api) -> dict[str, Any]:
    _, sow, (agent_id,) = await setup(api)
    (csa,) = await produce(api, sow["id"], [agent_id])
    return csa


async def details(api: Api, csa_id: str) -> dict[str, Any]:
    data = await api.ok(EVENTS, {"id": csa_id}, token=staff(api))
    found: dict[str, Any] = data["csa"]
    return found


def event_types(found: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["node"]["type"], e["node"]["recipient"]) for e in found["events"]["edges"]]


async def test_produce_send_sign_countersign_delivers_a_final_copy_to_each_party(
    api: Api,
) -> None:
    _, sow, (agent_id,) = await setup(api)
    (csa,) = await produce(api, sow["id"], [agent_id])
    assert csa["number"] == "CSA-2026-0001"
    assert (csa["status"], csa["version"], csa["sowId"]) == ("DRAFT", 1, sow["id"])
    assert csa["programName"] == "Acme Care"
    assert csa["agent"]["id"] == agent_id
    assert csa["terms"]["payRate"] == {"amount": "15.75", "currency": "USD", "unit": "PER_HOUR"}

    sent = await step(api, "sendCsa", csa, staff(api))
    signed = await step(api, "signCsa", sent, agent_token(api, agent_id))
    done = await step(api, "countersignCsa", signed, staff(api))
    assert [sent["status"], signed["status"], done["status"]] == [
        "SENT",
        "AGENT_SIGNED",
        "EXECUTED",
    ]

    found = await details(api, csa["id"])
    (version,) = found["versions"]
    assert [(s["party"], s["version"], s["hash"]) for s in found["signatures"]] == [
        ("AGENT", 1, version["hash"]),
        ("OPERATOR", 1, version["hash"]),
    ]
    assert found["signatures"][0]["signer"]["role"] == "AGENT"
    assert event_types(found) == [
        ("CREATED", None),
        ("SENT", None),
        ("AGENT_SIGNED", None),
        ("COUNTERSIGNED", None),
    ]
    # FINAL_COPY_DELIVERED comes once a copy is really sent (tests/test_documents.py).


async def test_a_draft_is_edited_into_new_versions_and_nothing_else_is(api: Api) -> None:
    csa = await first_csa(api)
    update = transition("updateCsaDraft", ("terms", "CsaTermsPatch!"))
    patch = {"payRate": {"amount": "16.00", "currency": "USD", "unit": "PER_HOUR"}}
    variables = {"id": csa["id"], "v": 1, "terms": patch}
    data = await api.ok(update, variables, token=staff(api))
    edited = data["updateCsaDraft"]
    assert (edited["version"], edited["terms"]["payRate"]["amount"]) == (2, "16.00")
    diff = await api.ok(
        "query($id: ID!) { csa(id: $id) { diff(fromVersion: 1, toVersion: 2) { path before after }"
        " termsVersion(number: 1) { number } } }",
        {"id": csa["id"]},
        token=staff(api),
    )
    assert diff["csa"]["diff"] == [{"path": "payRate.amount", "before": "15.75", "after": "16.00"}]
    assert diff["csa"]["termsVersion"] == {"number": 1}

    stale = await api.error(update, variables, token=staff(api))
    assert stale["extensions"]["code"] == "CONFLICT"

    too_long = {"expirationDate": "2026-12-31"}
    error = await api.error(update, {**variables, "v": 2, "terms": too_long}, token=staff(api))
    refused(error, "BAD_USER_INPUT", field="terms.expirationDate")

    await step(api, "sendCsa", edited, staff(api))
    late = await api.error(update, {**variables, "v": 2}, token=staff(api))
    assert late["extensions"]["code"] == "INVALID_TRANSITION"


async def test_the_agent_declines_a_sent_csa_only(api: Api) -> None:
    csa = await first_csa(api)
    token = agent_token(api, csa["agent"]["id"])
    query = transition("declineCsa", ("reason", "String!"))
    draft = await api.error(query, {"id": csa["id"], "v": 1, "reason": "no"}, token=token)
    refused(draft, "INVALID_TRANSITION", **{"from": "DRAFT"})
    sent = await step(api, "sendCsa", csa, staff(api))
    declined = await step(api, "declineCsa", sent, token, reason="Found another job")
    assert declined["status"] == "DECLINED"
    again = await api.error(query, {"id": csa["id"], "v": 1, "reason": "no"}, token=token)
    assert again["extensions"]["code"] == "INVALID_TRANSITION"


async def test_withdrawal_from_draft_or_sent_but_not_once_the_agent_signed(api: Api) -> None:
    _, sow, agents = await setup(api, agents=3)
    first, second, third = await produce(api, sow["id"], agents)
    withdrawn = await step(api, "withdrawCsa", first, staff(api), reason="Headcount cut")
    assert withdrawn["status"] == "WITHDRAWN"
    sent = await step(api, "sendCsa", second, staff(api))
    assert (await step(api, "withdrawCsa", sent, staff(api), reason="x"))["status"] == "WITHDRAWN"
    sent = await step(api, "sendCsa", third, staff(api))
    await step(api, "signCsa", sent, agent_token(api, third["agent"]["id"]))
    query = transition("withdrawCsa", ("reason", "String!"))
    error = await api.error(query, {"id": third["id"], "v": 1, "reason": "x"}, token=staff(api))
    refused(error, "INVALID_TRANSITION", **{"from": "AGENT_SIGNED"})


async def test_out_of_order_transitions_are_invalid(api: Api) -> None:
    csa = await first_csa(api)
    variables = {"id": csa["id"], "v": 1}
    agent = agent_token(api, csa["agent"]["id"])
    for name, token in (("signCsa", agent), ("countersignCsa", staff(api))):
        error = await api.error(transition(name), variables, token=token)
        refused(error, "INVALID_TRANSITION", **{"from": "DRAFT"})
    sent = await step(api, "sendCsa", csa, staff(api))
    error = await api.error(transition("sendCsa"), variables, token=staff(api))
    assert error["extensions"]["code"] == "INVALID_TRANSITION"
    error = await api.error(transition("countersignCsa"), variables, token=staff(api))
    refused(error, "INVALID_TRANSITION", **{"from": "SENT"})
    await step(api, "signCsa", sent, agent)
    error = await api.error(transition("signCsa"), variables, token=agent)
    assert error["extensions"]["code"] == "INVALID_TRANSITION"


TERMINATE = f"""
mutation($id: ID!, $v: Int!, $r: CsaTerminationReason!, $n: String) {{
  terminateCsa(id: $id, expectedVersion: $v, reason: $r, note: $n) {{ {CSA_FIELDS} }}
}}
"""


async def test_termination_with_a_reason_from_signed_states_only(api: Api) -> None:
    _, sow, agents = await setup(api, agents=2)
    draft, other = await produce(api, sow["id"], agents)
    variables = {"id": draft["id"], "v": 1, "r": "BREACH", "n": "Missed shifts"}
    error = await api.error(TERMINATE, variables, token=staff(api))
    refused(error, "INVALID_TRANSITION", **{"from": "DRAFT"})

    done = await executed(api, other)
    variables = {"id": done["id"], "v": 1, "r": "UNPROFESSIONAL_CONDUCT", "n": "Rude to callers"}
    data = await api.ok(TERMINATE, variables, token=staff(api))
    ended = data["terminateCsa"]
    assert (ended["status"], ended["terminationReason"]) == (
        "TERMINATED",
        "UNPROFESSIONAL_CONDUCT",
    )
    found = await details(api, done["id"])
    last = found["events"]["edges"][-1]["node"]
    assert (last["type"], last["reason"]) == (
        "TERMINATED",
        "UNPROFESSIONAL_CONDUCT: Rude to callers",
    )
    again = await api.error(TERMINATE, variables, token=staff(api))
    assert again["extensions"]["code"] == "INVALID_TRANSITION"


async def test_each_termination_reason_from_each_signed_state(api: Api, clock: Clock) -> None:
    _, sow, agents = await setup(api, agents=3)
    signed, running = await produce(api, sow["id"], agents[:2])
    # Starting later, it is still EXECUTED when the scheduler activates the other.
    (done,) = await produce(
        api, sow["id"], agents[2:], effectiveDate="2026-07-01", expirationDate="2026-09-30"
    )
    sent = await step(api, "sendCsa", signed, staff(api))
    signed = await step(api, "signCsa", sent, agent_token(api, signed["agent"]["id"]))
    done = await executed(api, done)
    await executed(api, running)
    clock.now = datetime(2026, 6, 2, tzinfo=UTC)
    await run(api, clock)
    cases = [
        (signed, "AGENT_SIGNED", "BREACH"),
        (done, "EXECUTED", "CLIENT_AGREEMENT_TERMINATED"),
        (running, "ACTIVE", "UNPROFESSIONAL_CONDUCT"),
    ]
    for csa, status, reason in cases:
        found = await details(api, csa["id"])
        assert found["events"]["edges"][-1]["node"]["toStatus"] == status
        variables = {"id": csa["id"], "v": 1, "r": reason, "n": None}
        ended = (await api.ok(TERMINATE, variables, token=staff(api)))["terminateCsa"]
        assert (ended["status"], ended["terminationReason"]) == ("TERMINATED", reason)
        last = (await details(api, csa["id"]))["events"]["edges"][-1]["node"]
        assert (last["type"], last["fromStatus"], last["reason"]) == ("TERMINATED", status, reason)
    unknown = {"id": done["id"], "v": 1, "r": "BORED", "n": None}
    body = await api.post(TERMINATE, unknown, token=staff(api))
    assert body.get("data") is None, body
    assert "BORED" in body["errors"][0]["message"]


RENEW = f"""
mutation($id: ID!, $v: Int!, $t: CsaTermsPatch) {{
  renewCsa(id: $id, expectedVersion: $v, terms: $t) {{ {CSA_FIELDS} }}
}}
"""


async def test_renewal_starts_the_day_after_expiry_and_links_both_ways(api: Api) -> None:
    _, sow, agents = await setup(api, agents=2)
    first, second = await produce(api, sow["id"], agents)
    done = await executed(api, first)

    data = await api.ok(RENEW, {"id": done["id"], "v": 1}, token=staff(api))
    renewal = data["renewCsa"]
    assert (renewal["status"], renewal["version"]) == ("DRAFT", 1)
    assert renewal["terms"]["effectiveDate"] == "2026-09-01"
    assert renewal["terms"]["expirationDate"] == "2026-11-30"
    assert renewal["renewalOf"] == {"id": done["id"]}
    assert renewal["agent"]["id"] == done["agent"]["id"]
    assert renewal["number"] != done["number"]
    old = await api.ok(
        "query($id: ID!) { csa(id: $id) { renewedBy { id renewalOf { id } } } }",
        {"id": done["id"]},
        token=agent_token(api, done["agent"]["id"]),
    )
    assert old["csa"]["renewedBy"] == {"id": renewal["id"], "renewalOf": {"id": done["id"]}}

    twice = await api.error(RENEW, {"id": done["id"], "v": 1}, token=staff(api))
    refused(twice, "BAD_USER_INPUT", field="id")

    draft = await api.error(RENEW, {"id": second["id"], "v": 1}, token=staff(api))
    refused(draft, "INVALID_TRANSITION", **{"from": "DRAFT"})

    other = await executed(api, second)
    patch = {"payRate": {"amount": "17.25", "currency": "USD", "unit": "PER_HOUR"}}
    data = await api.ok(RENEW, {"id": other["id"], "v": 1, "t": patch}, token=staff(api))
    assert data["renewCsa"]["terms"]["payRate"]["amount"] == "17.25"
    too_long = {"expirationDate": "2027-03-31"}
    _, sow2, (agent,) = await setup(api, client="Beta")
    third = await executed(api, (await produce(api, sow2["id"], [agent]))[0])
    error = await api.error(RENEW, {"id": third["id"], "v": 1, "t": too_long}, token=staff(api))
    refused(error, "BAD_USER_INPUT", field="terms.expirationDate")


async def test_two_processes_racing_to_renew_one_csa_make_one_renewal(
    settings: Settings, clock: Clock
) -> None:
    async with (
        serve(settings, clock) as one,
        serve(settings, clock) as two,
    ):
        _, sow, (agent,) = await setup(one)
        done = await executed(one, (await produce(one, sow["id"], [agent]))[0])
        bodies = await asyncio.gather(
            *(api.post(RENEW, {"id": done["id"], "v": 1}, token=staff(api)) for api in (one, two))
        )
        winners = [body["data"]["renewCsa"] for body in bodies if not body.get("errors")]
        errors = [body["errors"] for body in bodies if body.get("errors")]
        assert (len(winners), len(errors)) == (1, 1), bodies
        refused(errors[0][0], "BAD_USER_INPUT", field="id")
        listed = await two.ok(
            "query($a: ID!) { csas(filter: { agentId: $a }) { edges { node { id renewalOf { id } "
            "renewedBy { id } } } } }",
            {"a": agent},
            token=staff(two),
        )
        nodes = {edge["node"]["id"]: edge["node"] for edge in listed["csas"]["edges"]}
        assert set(nodes) == {done["id"], winners[0]["id"]}
        assert nodes[done["id"]]["renewedBy"] == {"id": winners[0]["id"]}
        assert nodes[winners[0]["id"]]["renewalOf"] == {"id": done["id"]}


async def test_a_renewal_overlapping_another_csa_of_the_agent_is_refused(api: Api) -> None:
    _, sow, (agent,) = await setup(api)
    (first,) = await produce(api, sow["id"], [agent])
    (later,) = await produce(
        api, sow["id"], [agent], effectiveDate="2026-10-01", expirationDate="2026-12-31"
    )
    done = await executed(api, first)
    before = await stored(api)
    error = await api.error(RENEW, {"id": done["id"], "v": 1}, token=staff(api))
    refused(error, "BAD_USER_INPUT", field="id")
    assert "overlapping" in error["message"]
    assert await stored(api) == before
    # Once the other one is withdrawn, the period is free again.
    await step(api, "withdrawCsa", later, staff(api), reason="Replaced by a renewal")
    renewal = (await api.ok(RENEW, {"id": done["id"], "v": 1}, token=staff(api)))["renewCsa"]
    assert renewal["renewalOf"] == {"id": done["id"]}


async def test_the_client_never_reaches_a_csa_mutation(api: Api) -> None:
    csa = await first_csa(api)
    client = api.token(Role.CLIENT, client_id="65f0000000000000000000c1")
    error = await api.error(transition("sendCsa"), {"id": csa["id"], "v": 1}, token=client)
    assert error["extensions"]["code"] == "FORBIDDEN"
