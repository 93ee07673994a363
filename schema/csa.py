"""Client Service Agreements: types, inputs, queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import strawberry
from strawberry.types import Info

from domain import commands
from domain import csa as domain
from domain.access import Read
from domain.ids import optional_raw_id, raw_id
from resolvers import csa as resolve
from resolvers.context import Context
from resolvers.loaders import Soon, at_once, then
from resolvers.paging import window
from schema import sla
from schema.access import allowed, viewer_of
from schema.commands import revision, run
from schema.connection import Before, Connection, Last, PageSize, page_connection
from schema.document import copies_field
from schema.enums import CsaFlag, CsaStatus, CsaTerminationReason, PricingUnit, SlaMetric
from schema.ids import Node, global_id
from schema.inputs import input_to_dict
from schema.mapping import from_fields
from schema.party import Agent
from schema.terms import (
    ServiceHours,
    ServiceHoursInput,
    Signature,
    SlaTarget,
    SlaTargetInput,
)
from schema.versioned import (
    diff_field,
    document_fields,
    events_field,
    terms_version_field,
    versions_field,
)
from storage.csas import CsaQuery


@strawberry.type
class PayRate:
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code.")
    unit: PricingUnit

    @staticmethod
    def from_domain(rate: domain.PayRate) -> PayRate:
        return from_fields(PayRate, rate)


@strawberry.type
class CsaTerms:
    obligations: list[str]
    performance_expectations: list[SlaTarget]
    hours_of_service: ServiceHours
    pay_rate: PayRate
    effective_date: date
    expiration_date: date
    service_level_metrics: list[SlaMetric] = strawberry.field(
        description="The metrics of performanceExpectations."
    )

    @staticmethod
    def from_domain(terms: domain.CsaTerms) -> CsaTerms:
        expected = terms.performance_expectations
        return from_fields(
            CsaTerms,
            terms,
            obligations=list(terms.obligations),
            performance_expectations=SlaTarget.all_from_domain(expected),
            hours_of_service=ServiceHours.from_domain(terms.hours_of_service),
            pay_rate=PayRate.from_domain(terms.pay_rate),
            service_level_metrics=[target.metric for target in expected],
        )


@strawberry.input
class PayRateInput:
    amount: Decimal
    currency: str
    unit: PricingUnit


@strawberry.input
class CsaTermsInput:
    obligations: list[str]
    performance_expectations: list[SlaTargetInput]
    hours_of_service: ServiceHoursInput
    pay_rate: PayRateInput
    effective_date: date
    expiration_date: date


@strawberry.input(description="The fields of CsaTermsInput to change; absent fields stay.")
class CsaTermsPatch:
    obligations: list[str] | None = strawberry.UNSET
    performance_expectations: list[SlaTargetInput] | None = strawberry.UNSET
    hours_of_service: ServiceHoursInput | None = strawberry.UNSET
    pay_rate: PayRateInput | None = strawberry.UNSET
    effective_date: date | None = strawberry.UNSET
    expiration_date: date | None = strawberry.UNSET


@strawberry.input
class CsaFilter:
    status: list[CsaStatus] | None = None
    agent_id: strawberry.ID | None = None
    sow_id: strawberry.ID | None = None
    expiring_before: date | None = strawberry.field(
        default=None, description="expirationDate strictly before this day."
    )

    def query(self) -> CsaQuery:
        agent_id = optional_raw_id(self.agent_id, "Agent", "filter.agentId")
        sow_id = optional_raw_id(self.sow_id, "Sow", "filter.sowId")
        return CsaQuery(self.status, agent_id, sow_id, self.expiring_before)


@strawberry.type(description="A Client Service Agreement between the operator and one agent.")
class Csa(Node):
    id: strawberry.ID
    number: str = strawberry.field(description="Human-readable, unique: CSA-2026-0001.")
    sow_id: strawberry.ID
    sow_version: int = strawberry.field(description="The SOW version it was produced from.")
    program_name: str
    status: CsaStatus
    version: int = strawberry.field(
        description="Number of the current terms version; `expectedVersion` must equal it."
    )
    terms: CsaTerms
    termination_reason: CsaTerminationReason | None
    signatures: list[Signature]
    created_at: datetime
    updated_at: datetime
    source: strawberry.Private[domain.Csa]
    latest_version: strawberry.Private[int]

    @staticmethod
    def from_domain(csa: domain.Csa) -> Csa:
        return from_fields(
            Csa,
            csa,
            sow_id=global_id("Sow", csa.sow_id),
            terms=CsaTerms.from_domain(csa.terms),
            **document_fields(csa),
        )

    @strawberry.field(graphql_type=Agent)
    def agent(self, info: Info[Context, Any]) -> Soon[Agent | None]:
        return then(at_once(info.context.loaders.agent, self.source.agent_id), Agent.from_domain)

    @strawberry.field(description="Timeline checks: delivery and production lead times.")
    def flags(self, info: Info[Context, Any]) -> list[CsaFlag]:
        return resolve.flags(info.context, self.source)

    @strawberry.field(description="The CSA this one renews.")
    async def renewal_of(self, info: Info[Context, Any]) -> Csa | None:
        return await _linked(info, self.source.renewal_of)

    @strawberry.field(description="The CSA renewing this one.")
    async def renewed_by(self, info: Info[Context, Any]) -> Csa | None:
        return await _linked(info, self.source.renewed_by)

    versions = versions_field("Every version, oldest first.")

    terms_version = terms_version_field("One version by number (DESIGN.md's `version(number)`).")

    diff = diff_field()

    events = events_field("This CSA's events, oldest first.")

    performance = sla.performance_field()

    documents = copies_field(Read.CSA_DOCUMENTS, "Executed copies, newest first.")


async def _linked(info: Info[Context, Any], id: str | None) -> Csa | None:
    """A CSA linked from one the viewer sees (a renewal), by id."""
    found = None if id is None else await info.context.loaders.csa.load(id)
    return None if found is None else Csa.from_domain(found)


@strawberry.type
class CsaQueries:
    @strawberry.field(permission_classes=allowed(Read.CSA))
    async def csa(self, info: Info[Context, Any], id: strawberry.ID) -> Csa:
        return Csa.from_domain(
            await resolve.csa(info.context, viewer_of(info), raw_id(id, "Csa", "id"))
        )

    @strawberry.field(
        permission_classes=allowed(Read.CSAS), description="Newest first; an agent's own."
    )
    async def csas(
        self,
        info: Info[Context, Any],
        filter: CsaFilter | None = None,
        first: PageSize = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Csa]:
        ctx, viewer = info.context, viewer_of(info)
        where = (filter or CsaFilter()).query()
        page = await resolve.csas(ctx, viewer, where, window(ctx, first, after, last, before))

        async def count() -> int:
            return await resolve.count_csas(ctx, viewer, where)

        prefetch = partial(resolve.prefetch, ctx)
        return await page_connection(info, page, prefetch, count, Csa.from_domain)


@strawberry.type
class CsaMutations:
    @strawberry.mutation(
        permission_classes=allowed(commands.ProduceCsas),
        description="One DRAFT per agent, or none.",
    )
    async def produce_csas(
        self,
        info: Info[Context, Any],
        sow_id: strawberry.ID,
        agent_ids: list[strawberry.ID],
        terms: CsaTermsInput,
    ) -> list[Csa]:
        command = commands.ProduceCsas(
            sow_id=sow_id, agent_ids=tuple(agent_ids), terms=input_to_dict(terms)
        )
        return [Csa.from_domain(csa) for csa in await run(info, command)]

    @strawberry.mutation(permission_classes=allowed(commands.UpdateCsaDraft))
    async def update_csa_draft(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        terms: CsaTermsPatch,
        change_summary: str | None = None,
    ) -> Csa:
        update = revision(commands.UpdateCsaDraft, id, expected_version, terms, change_summary)
        return Csa.from_domain(await run(info, update))

    @strawberry.mutation(permission_classes=allowed(commands.SendCsa))
    async def send_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Csa:
        return Csa.from_domain(
            await run(info, commands.SendCsa(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.SignCsa), description="The agent's signature."
    )
    async def sign_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Csa:
        return Csa.from_domain(
            await run(info, commands.SignCsa(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(permission_classes=allowed(commands.DeclineCsa))
    async def decline_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Csa:
        command = commands.DeclineCsa(id=id, expected_version=expected_version, reason=reason)
        return Csa.from_domain(await run(info, command))

    @strawberry.mutation(
        permission_classes=allowed(commands.CountersignCsa),
        description="The operator's signature: EXECUTED.",
    )
    async def countersign_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Csa:
        command = commands.CountersignCsa(id=id, expected_version=expected_version)
        return Csa.from_domain(await run(info, command))

    @strawberry.mutation(permission_classes=allowed(commands.WithdrawCsa))
    async def withdraw_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Csa:
        command = commands.WithdrawCsa(id=id, expected_version=expected_version, reason=reason)
        return Csa.from_domain(await run(info, command))

    @strawberry.mutation(
        permission_classes=allowed(commands.RenewCsa), description="Returns the new CSA."
    )
    async def renew_csa(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        terms: CsaTermsPatch | None = None,
    ) -> Csa:
        patch = None if terms is None else input_to_dict(terms)
        command = commands.RenewCsa(id=id, expected_version=expected_version, patch=patch)
        return Csa.from_domain(await run(info, command))

    @strawberry.mutation(permission_classes=allowed(commands.TerminateCsa))
    async def terminate_csa(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        reason: CsaTerminationReason,
        note: str | None = None,
    ) -> Csa:
        command = commands.TerminateCsa(
            id=id, expected_version=expected_version, reason=reason, note=note
        )
        return Csa.from_domain(await run(info, command))
