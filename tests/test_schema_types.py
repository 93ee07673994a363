"""What codegen reads from the schema beyond names: statuses and currencies as enums and
scalars, typed terms of every version, a CSA's SOW, and one wire form per date scalar."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from graphql import GraphQLScalarType, build_schema

from api.app import schema_for
from api.cli import export_schema_sdl
from api.settings import Settings
from domain.csa import CsaStatus
from domain.occurrence import OccurrenceStatus
from domain.party import Role
from domain.sow import SowStatus
from schema.enums import ContractStatus
from tests.conftest import Api
from tests.csa_helpers import agent_token, produce, setup, staff
from tests.sow_helpers import create_client, create_sow

SCHEMA = schema_for(Settings.model_construct())._schema
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_contract_status_is_every_status_of_every_document_once() -> None:
    statuses = {s.value for e in (SowStatus, CsaStatus, OccurrenceStatus) for s in e}
    assert {s.value for s in ContractStatus} == statuses
    assert len(ContractStatus) == len(statuses)


def test_dates_and_currencies_name_their_specification() -> None:
    printed = build_schema(export_schema_sdl())
    urls = {
        name: scalar.specified_by_url
        for name in ("Date", "DateTime", "Currency")
        if isinstance(scalar := printed.type_map[name], GraphQLScalarType)
    }
    assert urls == {
        "Date": "https://datatracker.ietf.org/doc/html/rfc3339",
        "DateTime": "https://datatracker.ietf.org/doc/html/rfc3339",
        "Currency": "https://www.iso.org/iso-4217-currency-codes.html",
    }


def test_a_datetime_is_sent_in_utc_with_milliseconds_and_z() -> None:
    scalar = SCHEMA.type_map["DateTime"]
    assert isinstance(scalar, GraphQLScalarType)
    berlin = timezone(timedelta(hours=1))
    assert scalar.serialize(datetime(2026, 12, 5, 8, 20, 30, 123456, berlin)) == (
        "2026-12-05T07:20:30.123Z"
    )
    assert scalar.serialize(datetime(2026, 12, 5, 7, 20, 30, tzinfo=UTC)) == (
        "2026-12-05T07:20:30.000Z"
    )
    # Stored instants are UTC; one read back without a zone is taken as UTC, not local time.
    assert scalar.serialize(datetime(2026, 12, 5, 7, 20, 30)) == "2026-12-05T07:20:30.000Z"


SOW_VERSIONS = """
query($id: ID!) {
  sow(id: $id) {
    createdAt
    terms { pricing { amount rate currency } }
    versions {
      number at sowTerms { title pricing { amount unit currency } } csaTerms { effectiveDate }
    }
    events { edges { node { type fromStatus toStatus at } } }
  }
}
"""
UPDATE = """
mutation($id: ID!, $v: Int!, $t: SowTermsPatch!) {
  updateSow(id: $id, expectedVersion: $v, terms: $t) { version }
}
"""


async def test_a_sows_versions_carry_typed_terms_and_its_events_typed_statuses(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    token = api.token(Role.CLIENT, client_id=client_id)
    pricing = {"rate": "21.00", "unit": "PER_MINUTE", "currency": "EUR"}
    await api.ok(UPDATE, {"id": sow["id"], "v": 1, "t": {"pricing": pricing}}, token=token)

    found = (await api.ok(SOW_VERSIONS, {"id": sow["id"]}, token=token))["sow"]
    assert found["terms"]["pricing"] == {"amount": "21.00", "rate": "21.00", "currency": "EUR"}
    first, second = found["versions"]
    assert (first["sowTerms"]["pricing"], second["sowTerms"]["pricing"]) == (
        {"amount": "18.50", "unit": "PER_HOUR", "currency": "USD"},
        {"amount": "21.00", "unit": "PER_MINUTE", "currency": "EUR"},
    )
    assert first["csaTerms"] is None
    events = [edge["node"] for edge in found["events"]["edges"]]
    assert [(e["type"], e["fromStatus"], e["toStatus"]) for e in events] == [
        ("CREATED", None, "DRAFT"),
        ("TERMS_UPDATED", "DRAFT", "DRAFT"),
    ]
    stamps = [found["createdAt"], *(v["at"] for v in found["versions"])]
    stamps += [e["at"] for e in events]
    assert all(DATETIME.fullmatch(stamp) for stamp in stamps), stamps


CSA = """
query($id: ID!) {
  csa(id: $id) {
    sowId
    sow { id number }
    versions { csaTerms { payRate { amount currency unit } } sowTerms { title } }
  }
}
"""
CSA_WITHOUT_SOW = "query($id: ID!) { csa(id: $id) { id versions { csaTerms { obligations } } } }"


async def test_a_csa_shows_its_sow_to_compliance_and_refuses_it_to_its_agent(api: Api) -> None:
    _, sow, (agent_id,) = await setup(api)
    (csa,) = await produce(api, sow["id"], [agent_id])

    found = (await api.ok(CSA, {"id": csa["id"]}, token=staff(api)))["csa"]
    assert found["sow"] == {"id": sow["id"], "number": sow["number"]}
    assert found["versions"] == [
        {
            "csaTerms": {"payRate": {"amount": "15.75", "currency": "USD", "unit": "PER_HOUR"}},
            "sowTerms": None,
        }
    ]

    body = await api.post(CSA, {"id": csa["id"]}, token=agent_token(api, agent_id))
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["csa", "sow"]
    assert body["data"]["csa"]["sow"] is None
    assert body["data"]["csa"]["sowId"] == sow["id"]
    # Without `sow`, the agent reads their CSA's typed terms as before.
    own: dict[str, Any] = await api.ok(
        CSA_WITHOUT_SOW, {"id": csa["id"]}, token=agent_token(api, agent_id)
    )
    assert own["csa"]["versions"][0]["csaTerms"]["obligations"]


async def test_a_currency_outside_iso_4217_is_refused_naming_its_field(api: Api) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    token = api.token(Role.CLIENT, client_id=client_id)
    pricing = {"rate": "21.00", "unit": "PER_MINUTE", "currency": "eur"}
    error = await api.error(UPDATE, {"id": sow["id"], "v": 1, "t": {"pricing": pricing}}, token)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "terms.pricing.currency"
