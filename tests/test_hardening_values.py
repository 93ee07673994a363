"""Inputs a contract system must refuse (issue 22, item 5): control and bidirectional
formatting characters in text, dates outside the sane window, CSA dates outside their
SOW's term, non-ASCII digits in a Decimal, several operations and no `operationName`.
Each is BAD_USER_INPUT naming the field, and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.party import Role
from tests.conftest import Api
from tests.csa_helpers import PRODUCE, produce, setup, staff, step
from tests.csa_helpers import transition as csa_transition
from tests.sla_helpers import ACCEPT, PROPOSE
from tests.sow_helpers import CREATE as CREATE_SOW
from tests.sow_helpers import create_client, create_sow, signed_sow, transition
from tests.terms import CSA_TERMS, SOW_TERMS
from tests.test_subscriptions import eventually, hub
from tests.ws import connected, receive, websocket_client

CREATE_CLIENT = "mutation($n: String!) { createClient(name: $n) { id } }"
COUNT_CLIENTS = "{ clients { totalCount } }"


def refused(body: dict[str, Any], field: str) -> str:
    error = body["errors"][0]
    assert body["data"] is None, body
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == field, error
    message: str = error["message"]
    return message


@pytest.mark.parametrize(
    "name", ["Acme\x00", "Ac\x1b[31mme", "Acme \u202eevil", "A\u2066b\u2069", "A\nB"]
)
async def test_a_name_with_a_control_or_bidi_character_is_refused(api: Api, name: str) -> None:
    staff_token = api.token(Role.COMPLIANCE)
    # As a variable and as a literal alike.
    refused(await api.post(CREATE_CLIENT, {"n": name}, token=staff_token), "name")
    literal = f"mutation {{ createClient(name: {json.dumps(name)}) {{ id }} }}"
    refused(await api.post(literal, token=staff_token), "name")
    assert (await api.ok(COUNT_CLIENTS, token=staff_token))["clients"]["totalCount"] == 0


async def test_text_in_an_input_is_refused_with_its_path(api: Api) -> None:
    client_id = await create_client(api)
    token = api.token(Role.CLIENT, client_id=client_id)
    body = await api.post(CREATE_SOW, {"t": {**SOW_TERMS, "title": "Tier\u202e1"}}, token=token)
    assert "U+202E" in refused(body, "terms.title")


async def test_line_breaks_are_kept_in_a_multiline_field(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    client = api.token(Role.CLIENT, client_id=client_id)
    staff_token = api.token(Role.COMPLIANCE)
    submitted = await api.ok(
        transition("submitSow"), {"id": sow["id"], "v": sow["version"]}, token=client
    )
    sow = submitted["submitSow"]
    reviewing = await api.ok(
        transition("startSowReview"), {"id": sow["id"], "v": sow["version"]}, token=staff_token
    )
    sow = reviewing["startSowReview"]
    ask = transition("requestSowChanges", "reason")
    variables = {"id": sow["id"], "v": sow["version"]}
    bad = await api.post(ask, {**variables, "reason": "fix\x1b the rate"}, token=staff_token)
    refused(bad, "reason")
    done = await api.ok(ask, {**variables, "reason": "Fix:\n\t- the rate"}, token=staff_token)
    assert done["requestSowChanges"]["status"] == "CHANGES_REQUESTED"


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-10-01"])
async def test_dates_outside_the_window_are_refused(api: Api, day: str) -> None:
    client_id = await create_client(api)
    token = api.token(Role.CLIENT, client_id=client_id)
    body = await api.post(CREATE_SOW, {"t": {**SOW_TERMS, "goLiveDate": day}}, token=token)
    assert "2000-01-01" in refused(body, "terms.goLiveDate")


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "26-01-01", "9999-10-01"])
async def test_a_date_literal_its_type_refuses_is_bad_user_input(api: Api, day: str) -> None:
    query = f'{{ csas(filter: {{ expiringBefore: "{day}" }}, first: 1) {{ totalCount }} }}'
    refused(await api.post(query, token=staff(api)), "filter.expiringBefore")


async def test_produce_csas_in_year_9999_is_bad_user_input(api: Api) -> None:
    _, sow, agents = await setup(api)
    terms = {**CSA_TERMS, "effectiveDate": "9999-10-01", "expirationDate": "9999-12-31"}
    body = await api.post(PRODUCE, {"s": sow["id"], "a": agents, "t": terms}, token=staff(api))
    refused(body, "terms.effectiveDate")


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        (("2026-05-01", "2026-07-31"), "terms.effectiveDate"),
        (("2027-03-01", "2027-06-30"), "terms.expirationDate"),
    ],
)
async def test_csa_dates_outside_the_sows_term_are_refused(
    api: Api, dates: tuple[str, str], field: str
) -> None:
    _, sow, agents = await setup(api)
    terms = {**CSA_TERMS, "effectiveDate": dates[0], "expirationDate": dates[1]}
    body = await api.post(PRODUCE, {"s": sow["id"], "a": agents, "t": terms}, token=staff(api))
    assert "SOW" in refused(body, field)


@pytest.mark.parametrize("rate", ["\uff11\uff18.50", "18.\uff150", "\u0661\u0668.50"])
async def test_a_decimal_takes_ascii_digits_only(api: Api, rate: str) -> None:
    client_id = await create_client(api)
    token = api.token(Role.CLIENT, client_id=client_id)
    pricing = {**SOW_TERMS["pricing"], "rate": rate}
    body = await api.post(CREATE_SOW, {"t": {**SOW_TERMS, "pricing": pricing}}, token=token)
    refused(body, "terms.pricing.rate")


async def test_several_operations_without_an_operation_name_are_refused(api: Api) -> None:
    token = api.token(Role.COMPLIANCE)
    document = 'query A { clients { totalCount } } mutation B { createClient(name: "x") { id } }'
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/graphql-response+json",
    }
    response = await api.http.post("/graphql", json={"query": document}, headers=headers)
    assert response.status_code == 400, response.text
    assert "data" not in response.json()
    refused(await api.post(document, token=token), "operationName")
    async with websocket_client(api) as sockets, connected(sockets, token) as ws:
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": document}})
        answer = await receive(ws)
        assert answer["type"] == "error", answer
        assert answer["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await api.ok(COUNT_CLIENTS, token=token))["clients"]["totalCount"] == 0


# Who acted, as each party sees it -----------------------------------------------------------

WHO_ACTED = """
query($id: ID!) {
  sow(id: $id) {
    signatures { party signer { id role } }
    versions { author { id role } }
    events { edges { node { type actor { id role } } } }
  }
}
"""


def actors(sow: dict[str, Any]) -> set[tuple[str, str | None]]:
    found = [signature["signer"] for signature in sow["signatures"]]
    found += [version["author"] for version in sow["versions"]]
    found += [edge["node"]["actor"] for edge in sow["events"]["edges"]]
    return {(actor["id"], actor["role"]) for actor in found}


async def test_a_client_sees_compliance_staff_as_a_display_identity(api: Api) -> None:
    client_id = await create_client(api)
    sow = await signed_sow(api, client_id)
    staff_subject = "jane.doe@compliance.example"
    staff_token = api.token(Role.COMPLIANCE, subject=staff_subject)
    client = api.token(Role.CLIENT, client_id=client_id)
    end = transition("terminateSow", "reason")
    variables = {"id": sow["id"], "v": sow["version"], "reason": "ended"}
    await api.ok(end, variables, token=staff_token)

    seen_by_staff = actors((await api.ok(WHO_ACTED, {"id": sow["id"]}, token=staff_token))["sow"])
    assert (staff_subject, "COMPLIANCE") in seen_by_staff
    seen_by_client = actors((await api.ok(WHO_ACTED, {"id": sow["id"]}, token=client))["sow"])
    # The client's own users keep their subjects; compliance staff are "compliance".
    assert ("compliance", "COMPLIANCE") in seen_by_client
    assert all(role != "COMPLIANCE" or id == "compliance" for id, role in seen_by_client)
    assert any(role == "CLIENT" and id != "client" for id, role in seen_by_client)


async def test_a_draft_cannot_be_moved_before_its_sows_go_live(api: Api) -> None:
    _, sow, agents = await setup(api)
    (csa,) = await produce(api, sow["id"], agents)
    update = csa_transition("updateCsaDraft", ("terms", "CsaTermsPatch!"))
    patch = {"effectiveDate": "2026-05-01", "expirationDate": "2026-07-31"}
    body = await api.post(update, {"id": csa["id"], "v": 1, "terms": patch}, token=staff(api))
    assert "goLiveDate" in refused(body, "terms.effectiveDate")


async def test_live_events_show_a_client_the_display_identity_too(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    client = api.token(Role.CLIENT, client_id=client_id)
    staff_token = api.token(Role.COMPLIANCE, subject="jane.doe@compliance.example")
    submitted = await api.ok(
        transition("submitSow"), {"id": sow["id"], "v": sow["version"]}, token=client
    )
    version = submitted["submitSow"]["version"]
    query = "subscription($e: ID) { contractEvents(entityId: $e) { type actor { id role } } }"
    payload = {"query": query, "variables": {"e": sow["id"]}}
    async with (
        websocket_client(api) as sockets,
        connected(sockets, client) as theirs,
        connected(sockets, staff_token) as ours,
    ):
        await theirs.send_json({"id": "c", "type": "subscribe", "payload": payload})
        await ours.send_json({"id": "s", "type": "subscribe", "payload": payload})
        await eventually(lambda: hub(api).subscribers == 2)
        await api.ok(
            transition("startSowReview"), {"id": sow["id"], "v": version}, token=staff_token
        )
        seen = {}
        for party, ws in (("client", theirs), ("compliance", ours)):
            message = await receive(ws)
            seen[party] = message["payload"]["data"]["contractEvents"]["actor"]
    assert seen["client"] == {"id": "compliance", "role": "COMPLIANCE"}
    assert seen["compliance"] == {"id": "jane.doe@compliance.example", "role": "COMPLIANCE"}


async def test_a_draft_cannot_be_moved_past_its_sows_end(api: Api) -> None:
    _, sow, agents = await setup(api)
    (csa,) = await produce(api, sow["id"], agents)
    update = csa_transition("updateCsaDraft", ("terms", "CsaTermsPatch!"))
    # The SOW ends 2027-05-31; the draft's four months would run past it.
    patch = {"effectiveDate": "2027-03-01", "expirationDate": "2027-06-30"}
    body = await api.post(update, {"id": csa["id"], "v": 1, "terms": patch}, token=staff(api))
    assert "endDate" in refused(body, "terms.expirationDate")
    found = await api.ok(
        "query($id: ID!) { csa(id: $id) { version } }", {"id": csa["id"]}, token=staff(api)
    )
    assert found["csa"]["version"] == 1


async def test_an_amendment_cannot_leave_a_csa_outside_the_sows_term(api: Api) -> None:
    client_id, sow, agents = await setup(api, agents=2)
    await produce(api, sow["id"], agents[:1])  # June to August 2026
    client = api.token(Role.CLIENT, client_id=client_id)
    variables = {"id": sow["id"], "v": sow["version"]}
    for patch, field in (
        ({"endDate": "2026-07-31"}, "terms.endDate"),
        ({"goLiveDate": "2026-07-01"}, "terms.goLiveDate"),
    ):
        body = await api.post(PROPOSE, {**variables, "t": patch}, token=staff(api))
        assert "CSA-" in refused(body, field)
    # Proposed while no CSA ran past October; one produced since does, so it is not accepted.
    await api.ok(PROPOSE, {**variables, "t": {"endDate": "2026-10-31"}}, token=staff(api))
    dates = {"effectiveDate": "2026-09-01", "expirationDate": "2026-12-31"}
    (later,) = await produce(api, sow["id"], agents[1:], **dates)
    assert "2026-12-31" in refused(await api.post(ACCEPT, variables, token=client), "id")
    # Once that CSA has ended, the amendment is accepted.
    await step(api, "withdrawCsa", later, staff(api), reason="Not needed")
    await api.ok(ACCEPT, variables, token=client)
    terms = await api.ok(
        "query($id: ID!) { sow(id: $id) { terms { endDate } } }", {"id": sow["id"]}, token=client
    )
    assert terms["sow"]["terms"]["endDate"] == "2026-10-31"
