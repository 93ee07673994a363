"""SOW terms validation: every refusal is BAD_USER_INPUT naming the field, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from domain.party import Role
from tests.conftest import Api
from tests.sow_helpers import CREATE, create_client, create_sow
from tests.terms import SOW_TERMS

PRICING = SOW_TERMS["pricing"]
HOURS = SOW_TERMS["serviceHours"]
SLA = SOW_TERMS["slaTargets"][0]
CREDIT = SOW_TERMS["serviceCredits"][0]
COUNTS = "{ sows { totalCount } events { totalCount } }"

# (changes to the valid terms, the field the error must name)
INVALID: list[tuple[dict[str, Any], str]] = [
    ({"goLiveDate": "2026-02-30"}, "terms.goLiveDate"),
    ({"endDate": "2027-13-01"}, "terms.endDate"),
    ({"goLiveDate": "next monday"}, "terms.goLiveDate"),
    ({"endDate": "2026-06-01"}, "terms.endDate"),
    ({"endDate": "2026-05-01"}, "terms.endDate"),
    ({"pricing": {**PRICING, "rate": 18.5}}, "terms.pricing.rate"),
    ({"pricing": {**PRICING, "rate": "abc"}}, "terms.pricing.rate"),
    ({"pricing": {**PRICING, "rate": "NaN"}}, "terms.pricing.rate"),
    ({"pricing": {**PRICING, "rate": "1e3"}}, "terms.pricing.rate"),
    ({"pricing": {**PRICING, "rate": " 18.50"}}, "terms.pricing.rate"),
    ({"pricing": {**PRICING, "rate": "18.50\n"}}, "terms.pricing.rate"),
    ({"pricing": {**PRICING, "rate": "18.1234567"}}, "terms.pricing.rate"),
    ({"pricing": {**PRICING, "rate": "0"}}, "terms.pricing.rate"),
    ({"pricing": {**PRICING, "rate": "-1.00"}}, "terms.pricing.rate"),
    ({"pricing": {**PRICING, "currency": "XYZ"}}, "terms.pricing.currency"),
    ({"pricing": {**PRICING, "currency": "usd"}}, "terms.pricing.currency"),
    ({"pricing": {**PRICING, "unit": "PER_DAY"}}, "terms.pricing.unit"),
    (
        {"serviceCredits": [{**CREDIT, "percentOfFees": 101}]},
        "terms.serviceCredits[0].percentOfFees",
    ),
    ({"serviceCredits": [{**CREDIT, "capPercent": -1}]}, "terms.serviceCredits[0].capPercent"),
    (
        {"serviceCredits": [{**CREDIT, "percentOfFees": 20}]},
        "terms.serviceCredits[0].percentOfFees",
    ),
    (
        {"serviceCredits": [{**CREDIT, "metric": "AVERAGE_HANDLE_TIME"}]},
        "terms.serviceCredits[0].metric",
    ),
    ({"slaTargets": [{**SLA, "target": 100.5}]}, "terms.slaTargets[0].target"),
    ({"slaTargets": [{**SLA, "target": -1}]}, "terms.slaTargets[0].target"),
    ({"slaTargets": [{**SLA, "thresholdSeconds": None}]}, "terms.slaTargets[0].thresholdSeconds"),
    ({"serviceHours": {**HOURS, "timeZone": "Mars/Olympus"}}, "terms.serviceHours.timeZone"),
    ({"serviceHours": {**HOURS, "opensAt": "8:00"}}, "terms.serviceHours.opensAt"),
    ({"serviceHours": {**HOURS, "opensAt": "24:00"}}, "terms.serviceHours.opensAt"),
    ({"serviceHours": {**HOURS, "closesAt": "20:60"}}, "terms.serviceHours.closesAt"),
    ({"serviceHours": {**HOURS, "closesAt": "08:00"}}, "terms.serviceHours.closesAt"),
    ({"serviceHours": {**HOURS, "days": []}}, "terms.serviceHours.days"),
    ({"title": "x" * 201}, "terms.title"),
    ({"title": "   "}, "terms.title"),
    ({"programName": ""}, "terms.programName"),
    ({"confidentiality": "x" * 20_001}, "terms.confidentiality"),
    ({"languages": ["english!"]}, "terms.languages[0]"),
    ({"languages": ["en-US", "en-US"]}, "terms.languages"),
    ({"scope": []}, "terms.scope"),
    ({"agentsRequired": 0}, "terms.agentsRequired"),
    ({"paymentTermsDays": 366}, "terms.paymentTermsDays"),
    ({"nonsense": 1}, "terms.nonsense"),
    ({"pricing": {**PRICING, "discount": "5"}}, "terms.pricing.discount"),
]


async def counts(api: Api) -> dict[str, Any]:
    return await api.ok(COUNTS, token=api.token(Role.COMPLIANCE))


@pytest.mark.parametrize(("changes", "field"), INVALID)
async def test_create_refuses_invalid_terms_naming_the_field(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    client_id = await create_client(api)
    before = await counts(api)

    error = await api.error(
        CREATE, {"t": {**SOW_TERMS, **changes}}, api.token(Role.CLIENT, client_id=client_id)
    )

    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    assert await counts(api) == before


UPDATE = """
mutation($id: ID!, $v: Int!, $t: SowTermsPatch!) {
  updateSow(id: $id, expectedVersion: $v, terms: $t) { version }
}
"""


@pytest.mark.parametrize(("changes", "field"), INVALID[:16])
async def test_update_refuses_invalid_patches_naming_the_field(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    before = await counts(api)

    error = await api.error(
        UPDATE,
        {"id": sow["id"], "v": 1, "t": changes},
        api.token(Role.CLIENT, client_id=client_id),
    )

    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    assert await counts(api) == before


async def test_a_patch_is_checked_against_the_terms_it_lands_on(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    error = await api.error(
        UPDATE,
        {"id": sow["id"], "v": 1, "t": {"goLiveDate": "2027-06-01"}},
        api.token(Role.CLIENT, client_id=client_id),
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "terms.endDate"}


async def test_valid_terms_come_back_as_sent(api: Api) -> None:
    client_id = await create_client(api)
    terms = {**SOW_TERMS, "confidentiality": "  NDA  ", "pricing": {**PRICING, "rate": "0.015"}}
    data = await api.ok(
        "mutation($t: SowTermsInput!) { createSow(terms: $t) { terms { confidentiality"
        " pricing { rate unit currency } serviceHours { timeZone opensAt closesAt } } } }",
        {"t": terms},
        api.token(Role.CLIENT, client_id=client_id),
    )
    assert data["createSow"]["terms"] == {
        "confidentiality": "NDA",
        "pricing": {"rate": "0.015", "unit": "PER_HOUR", "currency": "USD"},
        "serviceHours": {"timeZone": "America/New_York", "opensAt": "08:00", "closesAt": "20:00"},
    }


@pytest.mark.parametrize("summary", ["", "   ", "x" * 2001])
async def test_a_change_summary_is_bounded(api: Api, summary: str) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    before = await counts(api)

    error = await api.error(
        UPDATE.replace("$t: SowTermsPatch!", "$t: SowTermsPatch!, $s: String").replace(
            "terms: $t", "terms: $t, changeSummary: $s"
        ),
        {"id": sow["id"], "v": 1, "t": {"title": "Tier 2"}, "s": summary},
        api.token(Role.CLIENT, client_id=client_id),
    )

    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "changeSummary"}
    assert await counts(api) == before


LITERAL = (
    "mutation($id: ID!{declared}) "
    "{{ updateSow(id: $id, expectedVersion: 1, terms: {terms}) {{ id }} }}"
)


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ('{pricing: {rate: 18.5, unit: PER_HOUR, currency: "USD"}}', "terms.pricing.rate"),
        ("{title: 7}", "terms.title"),
        ("{unknown: 1}", "terms.unknown"),
        ('{slaTargets: [{metric: SERVICE_LEVEL, target: "high"}]}', "terms.slaTargets[0].target"),
        ("{pricing: $p}", "terms.pricing.rate"),
    ],
)
async def test_refused_literals_and_nested_variables_name_the_field(
    api: Api, terms: str, field: str
) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    declared = ", $p: PricingInput!" if "$p" in terms else ""
    variables = {"id": sow["id"], "p": {**PRICING, "rate": 18.5}} if declared else {"id": sow["id"]}

    error = await api.error(
        LITERAL.format(declared=declared, terms=terms),
        variables,
        api.token(Role.CLIENT, client_id=client_id),
    )

    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_a_decimal_literal_may_be_a_string(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    data = await api.ok(
        LITERAL.format(
            declared="", terms='{pricing: {rate: "18.5", unit: PER_HOUR, currency: "USD"}}'
        ).replace("{ id }", "{ terms { pricing { rate } } }"),
        {"id": sow["id"]},
        api.token(Role.CLIENT, client_id=client_id),
    )
    assert data["updateSow"]["terms"]["pricing"]["rate"] == "18.5"
