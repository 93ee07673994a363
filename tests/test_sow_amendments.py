"""Amendments of SIGNED SOWs: proposed by one party, answered by the other, effective on accept."""

from __future__ import annotations

from typing import Any

import pytest

from domain.party import Role
from tests.conftest import Api
from tests.sow_helpers import create_client, create_sow, signed_sow, transition

PROPOSE = """
mutation($id: ID!, $v: Int!, $t: SowTermsPatch!, $s: String!) {
  proposeSowAmendment(id: $id, expectedVersion: $v, terms: $t, changeSummary: $s) {
    version terms { billingTerm }
    pendingAmendment {
      version { number state changeSummary author { role } } terms { billingTerm }
    }
  }
}
"""
STATE = """
query($id: ID!) { sow(id: $id) {
  status version terms { billingTerm } pendingAmendment { version { number } }
  versions { number state hash }
  signatures { party version hash }
  events { edges { node { type version reason } } }
} }
"""
ANNUAL = {"billingTerm": "ANNUAL"}


class Sides:
    def __init__(self, api: Api, client_id: str, sow: dict[str, Any]) -> None:
        self.api = api
        self.id = sow["id"]
        self.tokens = {
            Role.CLIENT: api.token(Role.CLIENT, client_id=client_id),
            Role.COMPLIANCE: api.token(Role.COMPLIANCE),
        }

    def other(self, role: Role) -> Role:
        return Role.COMPLIANCE if role is Role.CLIENT else Role.CLIENT

    async def propose(self, role: Role, patch: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.api.post(
            PROPOSE,
            {"id": self.id, "v": 1, "t": patch or ANNUAL, "s": "monthly to annual"},
            self.tokens[role],
        )

    async def answer(self, name: str, role: Role, version: int = 1) -> dict[str, Any]:
        arguments = ("reason",) if name == "rejectSowAmendment" else ()
        variables = {"id": self.id, "v": version, **dict.fromkeys(arguments, "too costly")}
        return await self.api.post(transition(name, *arguments), variables, self.tokens[role])

    async def state(self) -> dict[str, Any]:
        data = await self.api.ok(STATE, {"id": self.id}, self.tokens[Role.COMPLIANCE])
        sow: dict[str, Any] = data["sow"]
        return sow


@pytest.fixture
async def sides(api: Api) -> Sides:
    client_id = await create_client(api)
    return Sides(api, client_id, await signed_sow(api, client_id))


@pytest.mark.parametrize("proposer", [Role.CLIENT, Role.COMPLIANCE])
async def test_an_accepted_amendment_becomes_the_effective_version(
    sides: Sides, proposer: Role
) -> None:
    proposed = (await sides.propose(proposer))["data"]["proposeSowAmendment"]
    assert proposed["version"] == 1
    assert proposed["terms"] == {"billingTerm": "MONTHLY"}
    assert proposed["pendingAmendment"] == {
        "version": {
            "number": 2,
            "state": "PROPOSED",
            "changeSummary": "monthly to annual",
            "author": {"role": proposer.name},
        },
        "terms": ANNUAL,
    }
    assert (await sides.state())["terms"] == {"billingTerm": "MONTHLY"}

    accepted = await sides.answer("acceptSowAmendment", sides.other(proposer))

    assert accepted["data"]["acceptSowAmendment"]["version"] == 2
    state = await sides.state()
    assert (state["status"], state["version"], state["terms"]) == ("SIGNED", 2, ANNUAL)
    assert state["pendingAmendment"] is None
    assert [(v["number"], v["state"]) for v in state["versions"]] == [
        (1, "EFFECTIVE"),
        (2, "EFFECTIVE"),
    ]
    amended = state["versions"][1]["hash"]
    assert [(s["party"], s["version"], s["hash"]) for s in state["signatures"][2:]] == [
        (proposer.name if proposer is Role.CLIENT else "OPERATOR", 2, amended),
        ("CLIENT" if proposer is Role.COMPLIANCE else "OPERATOR", 2, amended),
    ]
    types = [e["node"]["type"] for e in state["events"]["edges"]]
    assert types[-2:] == ["AMENDMENT_PROPOSED", "AMENDMENT_ACCEPTED"]


async def test_a_rejected_amendment_leaves_the_terms_and_keeps_its_number(sides: Sides) -> None:
    await sides.propose(Role.CLIENT)
    rejected = await sides.answer("rejectSowAmendment", Role.COMPLIANCE)
    assert not rejected.get("errors"), rejected

    state = await sides.state()
    assert (state["version"], state["terms"], state["pendingAmendment"]) == (
        1,
        {"billingTerm": "MONTHLY"},
        None,
    )
    assert [(v["number"], v["state"]) for v in state["versions"]] == [
        (1, "EFFECTIVE"),
        (2, "REJECTED"),
    ]
    last = state["events"]["edges"][-1]["node"]
    assert (last["type"], last["version"], last["reason"]) == (
        "AMENDMENT_REJECTED",
        2,
        "too costly",
    )

    again = (await sides.propose(Role.CLIENT, {"paymentTermsDays": 45}))["data"]
    assert again["proposeSowAmendment"]["pendingAmendment"]["version"]["number"] == 3


async def test_one_amendment_pending_at_a_time(sides: Sides) -> None:
    await sides.propose(Role.CLIENT)
    second = await sides.propose(Role.COMPLIANCE, {"paymentTermsDays": 45})
    assert second["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    assert (await sides.state())["pendingAmendment"] == {"version": {"number": 2}}


@pytest.mark.parametrize("name", ["acceptSowAmendment", "rejectSowAmendment"])
async def test_the_proposer_cannot_answer_its_own_amendment(sides: Sides, name: str) -> None:
    await sides.propose(Role.COMPLIANCE)
    body = await sides.answer(name, Role.COMPLIANCE)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await sides.state())["pendingAmendment"] == {"version": {"number": 2}}


@pytest.mark.parametrize("name", ["acceptSowAmendment", "rejectSowAmendment"])
async def test_nothing_to_answer_without_a_proposal(sides: Sides, name: str) -> None:
    body = await sides.answer(name, Role.CLIENT)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


async def test_an_amendment_is_validated_and_must_change_something(sides: Sides) -> None:
    bad = await sides.propose(Role.CLIENT, {"endDate": "2026-01-01"})
    same = await sides.propose(Role.CLIENT, {"billingTerm": "MONTHLY"})
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "terms.endDate"}
    assert same["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "terms"}
    assert len((await sides.state())["versions"]) == 1


async def test_a_stale_answer_is_a_conflict(sides: Sides) -> None:
    await sides.propose(Role.CLIENT)
    body = await sides.answer("acceptSowAmendment", Role.COMPLIANCE, version=2)
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert (await sides.state())["version"] == 1


async def test_a_draft_is_not_amended(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    body = await Sides(api, client_id, sow).propose(Role.CLIENT)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"


async def test_terminating_drops_the_pending_amendment(sides: Sides) -> None:
    await sides.propose(Role.CLIENT)
    body = await sides.api.post(
        transition("terminateSow", "reason"),
        {"id": sides.id, "v": 1, "reason": "breach"},
        sides.tokens[Role.COMPLIANCE],
    )
    assert not body.get("errors"), body
    state = await sides.state()
    assert (state["status"], state["pendingAmendment"]) == ("TERMINATED", None)
    assert [(v["number"], v["state"]) for v in state["versions"]] == [
        (1, "EFFECTIVE"),
        (2, "REJECTED"),
    ]


@pytest.mark.parametrize("name", ["acceptSowAmendment", "rejectSowAmendment"])
async def test_another_company_cannot_answer_or_propose(api: Api, sides: Sides, name: str) -> None:
    await sides.propose(Role.COMPLIANCE)
    stranger = Sides(api, await create_client(api, "Other"), {"id": sides.id})

    answered = await stranger.answer(name, Role.CLIENT)
    proposed = await stranger.propose(Role.CLIENT, {"billingTerm": "MONTHLY", "title": "x"})

    for result in (answered, proposed):
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND", result
    state = await sides.state()
    assert (state["version"], state["pendingAmendment"]) == (1, {"version": {"number": 2}})
