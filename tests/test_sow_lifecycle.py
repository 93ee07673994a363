"""The SOW status machine, its roles and scopes, signatures and events, through GraphQL."""

from __future__ import annotations

from typing import Any

import pytest

from domain.party import Role
from tests.conftest import Api, iso
from tests.sow_helpers import create_client, create_sow, signed_sow, transition
from tests.terms import SOW_TERMS

DETAIL = """
query($id: ID!) { sow(id: $id) {
  status version
  signatures { party signer { id role } version hash at }
  versions { number hash }
  events { totalCount edges { node { type fromStatus toStatus version actor { id role } reason } } }
} }
"""

# Every mutation that moves a status: its extra argument, if any, and who may call it.
MOVES: dict[str, tuple[tuple[str, ...], Role]] = {
    "submitSow": ((), Role.CLIENT),
    "startSowReview": ((), Role.COMPLIANCE),
    "requestSowChanges": (("reason",), Role.COMPLIANCE),
    "signSow": ((), Role.COMPLIANCE),
    "terminateSow": (("reason",), Role.COMPLIANCE),
}


class Parties:
    def __init__(self, api: Api, client_id: str) -> None:
        self.api = api
        self.client_id = client_id
        self.client = api.token(Role.CLIENT, client_id=client_id)
        self.staff = api.token(Role.COMPLIANCE)

    def token(self, role: Role) -> str:
        return self.client if role is Role.CLIENT else self.staff

    async def move(self, sow: dict[str, Any], name: str) -> dict[str, Any]:
        arguments, role = MOVES[name]
        variables = {"id": sow["id"], "v": sow["version"], **dict.fromkeys(arguments, "why")}
        data = await self.api.ok(transition(name, *arguments), variables, token=self.token(role))
        moved: dict[str, Any] = data[name]
        return moved

    async def refused(self, sow: dict[str, Any], name: str, token: str) -> dict[str, Any]:
        arguments, _ = MOVES[name]
        variables = {"id": sow["id"], "v": sow["version"], **dict.fromkeys(arguments, "why")}
        return await self.api.error(transition(name, *arguments), variables, token=token)

    async def detail(self, sow: dict[str, Any]) -> dict[str, Any]:
        data = await self.api.ok(DETAIL, {"id": sow["id"]}, token=self.staff)
        found: dict[str, Any] = data["sow"]
        return found


@pytest.fixture
async def parties(api: Api) -> Parties:
    return Parties(api, await create_client(api))


# A walk to each status, from a fresh draft.
PATHS: dict[str, tuple[str, ...]] = {
    "DRAFT": (),
    "SUBMITTED": ("submitSow",),
    "UNDER_REVIEW": ("submitSow", "startSowReview"),
    "CHANGES_REQUESTED": ("submitSow", "startSowReview", "requestSowChanges"),
    "SIGNED": ("submitSow", "startSowReview", "signSow"),
    "TERMINATED": ("submitSow", "startSowReview", "signSow", "terminateSow"),
}
ALLOWED = {
    ("DRAFT", "submitSow"): "SUBMITTED",
    ("CHANGES_REQUESTED", "submitSow"): "SUBMITTED",
    ("SUBMITTED", "startSowReview"): "UNDER_REVIEW",
    ("UNDER_REVIEW", "requestSowChanges"): "CHANGES_REQUESTED",
    ("UNDER_REVIEW", "signSow"): "SIGNED",
    ("SIGNED", "terminateSow"): "TERMINATED",
}
TARGET = {
    "submitSow": "SUBMITTED",
    "startSowReview": "UNDER_REVIEW",
    "requestSowChanges": "CHANGES_REQUESTED",
    "signSow": "SIGNED",
    "terminateSow": "TERMINATED",
}


async def walk(parties: Parties, status: str) -> dict[str, Any]:
    sow = await create_sow(parties.api, parties.client_id)
    for name in PATHS[status]:
        sow = await parties.move(sow, name)
    assert sow["status"] == status
    return sow


@pytest.mark.parametrize(("status", "name"), sorted(ALLOWED))
async def test_each_allowed_transition_moves_and_writes_one_event(
    parties: Parties, status: str, name: str
) -> None:
    sow = await walk(parties, status)
    before = (await parties.detail(sow))["events"]["totalCount"]

    moved = await parties.move(sow, name)

    assert moved["status"] == ALLOWED[status, name]
    detail = await parties.detail(sow)
    assert detail["events"]["totalCount"] == before + 1
    last = detail["events"]["edges"][-1]["node"]
    assert (last["fromStatus"], last["toStatus"]) == (status, ALLOWED[status, name])


@pytest.mark.parametrize(
    ("status", "name"),
    [(s, n) for s in PATHS for n in MOVES if (s, n) not in ALLOWED],
)
async def test_each_disallowed_transition_is_invalid_and_changes_nothing(
    parties: Parties, status: str, name: str
) -> None:
    sow = await walk(parties, status)
    before = await parties.detail(sow)

    error = await parties.refused(sow, name, parties.token(MOVES[name][1]))

    assert error["extensions"] == {"code": "INVALID_TRANSITION", "from": status, "to": TARGET[name]}
    assert await parties.detail(sow) == before


async def test_the_full_path_with_a_round_of_changes(parties: Parties) -> None:
    sow = await create_sow(parties.api, parties.client_id)
    statuses = []
    for name in ("submitSow", "startSowReview", "requestSowChanges", "submitSow"):
        sow = await parties.move(sow, name)
        statuses.append(sow["status"])
    for name in ("startSowReview", "signSow"):
        sow = await parties.move(sow, name)
        statuses.append(sow["status"])

    assert statuses == [
        "SUBMITTED", "UNDER_REVIEW", "CHANGES_REQUESTED", "SUBMITTED", "UNDER_REVIEW", "SIGNED"
    ]  # fmt: skip
    events = [e["node"] for e in (await parties.detail(sow))["events"]["edges"]]
    assert [e["type"] for e in events] == [
        "CREATED", "SUBMITTED", "REVIEW_STARTED", "CHANGES_REQUESTED", "SUBMITTED",
        "REVIEW_STARTED", "SIGNED",
    ]  # fmt: skip
    assert events[3]["reason"] == "why"
    assert events[1]["actor"] == {"id": f"client-{parties.client_id}", "role": "CLIENT"}


@pytest.mark.parametrize("name", sorted(MOVES))
async def test_the_wrong_role_is_forbidden(parties: Parties, name: str) -> None:
    sow = await walk(parties, "UNDER_REVIEW" if name != "submitSow" else "DRAFT")
    allowed = MOVES[name][1]
    wrong = [parties.client if allowed is Role.COMPLIANCE else parties.staff]
    wrong.append(parties.api.token(Role.AGENT, agent_id="0" * 24))
    for token in wrong:
        error = await parties.refused(sow, name, token)
        assert error["extensions"]["code"] == "FORBIDDEN", error


async def test_another_companys_sow_is_not_found(parties: Parties) -> None:
    sow = await create_sow(parties.api, parties.client_id)
    other = parties.api.token(Role.CLIENT, client_id=await create_client(parties.api, "Other"))

    error = await parties.refused(sow, "submitSow", other)
    assert error["extensions"]["code"] == "NOT_FOUND"
    update = await parties.api.error(
        'mutation($id: ID!) { updateSow(id: $id, expectedVersion: 1, terms: {title: "x"}) { id } }',
        {"id": sow["id"]},
        token=other,
    )
    assert update["extensions"]["code"] == "NOT_FOUND"
    read = await parties.api.post(
        "query($id: ID!) { sow(id: $id) { id } }", {"id": sow["id"]}, other
    )
    assert read["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await parties.detail(sow))["status"] == "DRAFT"


async def test_a_client_creates_for_its_own_company_only(parties: Parties) -> None:
    other = await create_client(parties.api, "Other")
    error = await parties.api.error(
        "mutation($t: SowTermsInput!, $c: ID) { createSow(terms: $t, clientId: $c) { id } }",
        {"t": dict(SOW_TERMS), "c": other},
        token=parties.client,
    )
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_compliance_creates_for_a_named_existing_client(parties: Parties) -> None:
    create = (
        "mutation($t: SowTermsInput!, $c: ID) "
        "{ createSow(terms: $t, clientId: $c) { id client { id } } }"
    )
    data = await parties.api.ok(
        create, {"t": dict(SOW_TERMS), "c": parties.client_id}, parties.staff
    )
    assert data["createSow"]["client"]["id"] == parties.client_id
    missing = await parties.api.error(create, {"t": dict(SOW_TERMS)}, parties.staff)
    assert missing["extensions"] == {"code": "BAD_USER_INPUT", "field": "clientId"}
    unknown = await parties.api.error(create, {"t": dict(SOW_TERMS), "c": "0" * 24}, parties.staff)
    assert unknown["extensions"] == {"code": "BAD_USER_INPUT", "field": "clientId"}


async def test_an_agent_sees_no_sows(parties: Parties) -> None:
    sow = await create_sow(parties.api, parties.client_id)
    agent = parties.api.token(Role.AGENT, agent_id="0" * 24)
    read = await parties.api.post(
        "query($id: ID!) { sow(id: $id) { id } }", {"id": sow["id"]}, agent
    )
    assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_submit_and_sign_record_signatures_bound_to_the_version(
    parties: Parties, clock: Any
) -> None:
    sow = await create_sow(parties.api, parties.client_id)
    submitted_at = clock.now
    sow = await parties.move(sow, "submitSow")
    sow = await parties.move(sow, "startSowReview")
    clock.advance(days=2)
    sow = await parties.move(sow, "signSow")

    detail = await parties.detail(sow)
    version = detail["versions"][0]
    client, operator = detail["signatures"]
    assert client == {
        "party": "CLIENT",
        "signer": {"id": f"client-{parties.client_id}", "role": "CLIENT"},
        "version": 1,
        "hash": version["hash"],
        "at": iso(submitted_at),
    }
    assert operator["party"] == "OPERATOR"
    assert operator["signer"]["role"] == "COMPLIANCE"
    assert (operator["version"], operator["hash"]) == (1, version["hash"])
    assert operator["at"] == iso(clock.now)


async def test_terminate_records_the_reason(parties: Parties) -> None:
    sow = await signed_sow(parties.api, parties.client_id)

    ended = await parties.move(sow, "terminateSow")

    assert ended["status"] == "TERMINATED"
    last = (await parties.detail(sow))["events"]["edges"][-1]["node"]
    assert (last["type"], last["reason"]) == ("TERMINATED", "why")


async def test_resubmission_signs_the_changed_version(parties: Parties) -> None:
    sow = await walk(parties, "CHANGES_REQUESTED")
    await parties.api.ok(
        "mutation($id: ID!) { updateSow(id: $id, expectedVersion: 1, terms: {agentsRequired: 30})"
        " { version } }",
        {"id": sow["id"]},
        parties.client,
    )
    stale = await parties.refused(sow, "submitSow", parties.client)
    assert stale["extensions"]["code"] == "CONFLICT"

    await parties.move({**sow, "version": 2}, "submitSow")

    detail = await parties.detail(sow)
    assert [(s["party"], s["version"]) for s in detail["signatures"]] == [
        ("CLIENT", 1),
        ("CLIENT", 2),
    ]
    assert detail["signatures"][1]["hash"] == detail["versions"][1]["hash"]


@pytest.mark.parametrize("name", ["requestSowChanges", "terminateSow"])
async def test_a_reason_is_required(parties: Parties, name: str) -> None:
    sow = await walk(parties, "UNDER_REVIEW" if name == "requestSowChanges" else "SIGNED")
    for reason in ("", " \n ", "x" * 2001):
        error = await parties.api.error(
            transition(name, "reason"),
            {"id": sow["id"], "v": sow["version"], "reason": reason},
            token=parties.staff,
        )
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "reason"}


AGENT_REFUSED = [
    'createSow(terms: $t) { id }',
    'updateSow(id: $id, expectedVersion: 1, terms: {title: "x"}) { id }',
    'proposeSowAmendment(id: $id, expectedVersion: 1, terms: {title: "x"}, changeSummary: "x")'
    " { id }",
    "acceptSowAmendment(id: $id, expectedVersion: 1) { id }",
    'rejectSowAmendment(id: $id, expectedVersion: 1, reason: "x") { id }',
    *(f"{name}(id: $id, expectedVersion: 1{', reason: \"x\"' * bool(args)}) {{ id }}"
      for name, (args, _) in MOVES.items()),
]  # fmt: skip


@pytest.mark.parametrize("field", AGENT_REFUSED)
async def test_an_agent_may_not_touch_a_sow(parties: Parties, field: str) -> None:
    sow = await signed_sow(parties.api, parties.client_id)
    agent = parties.api.token(Role.AGENT, agent_id="0" * 24)
    if "$t" in field:
        query, variables = f"mutation($t: SowTermsInput!) {{ {field} }}", {"t": SOW_TERMS}
    else:
        query, variables = f"mutation($id: ID!) {{ {field} }}", {"id": sow["id"]}
    error = await parties.api.error(query, variables, agent)
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_compliance_may_edit_a_draft(parties: Parties) -> None:
    sow = await create_sow(parties.api, parties.client_id)
    data = await parties.api.ok(
        'mutation($id: ID!) { updateSow(id: $id, expectedVersion: 1, terms: {title: "Staff"})'
        " { version terms { title } } }",
        {"id": sow["id"]},
        parties.staff,
    )
    assert data["updateSow"] == {"version": 2, "terms": {"title": "Staff"}}
