"""Client Service Agreements: types, inputs, queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, cast

import strawberry
from strawberry.types import Info

from domain import csa as domain
from domain import party
from resolvers import csa as resolve
from resolvers.context import Context
from resolvers.loaders import Soon, at_once
from schema.access import GUARDED, viewer_of
from schema.connection import Connection, PageSize, page_connection
from schema.document import copies_field
from schema.enums import CsaFlag, CsaStatus, CsaTerminationReason, PricingUnit, SlaMetric
from schema.inputs import input_to_dict
from schema.party import Agent
from schema.terms import (
    ServiceHours,
    ServiceHoursInput,
    Signature,
    SlaTarget,
    SlaTargetInput,
)
from schema.versioned import diff_field, events_field, terms_version_field, versions_field
from storage.csas import CsaQuery


@strawberry.type
class PayRate:
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code.")
    unit: PricingUnit


@strawberry.type
class CsaTerms:
    obligations: list[str]
    performance_expectations: list[SlaTarget]
    hours_of_service: ServiceHours
    pay_rate: PayRate
    effective_date: date
    expiration_date: date

    @strawberry.field(description="The metrics of performanceExpectations.")
    def service_level_metrics(self, parent: strawberry.Parent[domain.CsaTerms]) -> list[SlaMetric]:
        return [target.metric for target in parent.performance_expectations]


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
        return CsaQuery(self.status, self.agent_id, self.sow_id, self.expiring_before)


@strawberry.type(description="A Client Service Agreement between the operator and one agent.")
class Csa:
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

    @strawberry.field(graphql_type=Agent)
    def agent(
        self, parent: strawberry.Parent[domain.Csa], info: Info[Context, Any]
    ) -> Soon[party.Agent | None]:
        return at_once(info.context.loaders.agent, parent.agent_id)

    @strawberry.field(description="Timeline checks: delivery and production lead times.")
    def flags(
        self, parent: strawberry.Parent[domain.Csa], info: Info[Context, Any]
    ) -> list[CsaFlag]:
        return resolve.flags(info.context, parent)

    @strawberry.field(description="The CSA this one renews.")
    async def renewal_of(
        self, parent: strawberry.Parent[domain.Csa], info: Info[Context, Any]
    ) -> Csa | None:
        if parent.renewal_of is None:
            return None
        return cast(Csa | None, await info.context.loaders.csa.load(parent.renewal_of))

    @strawberry.field(description="The CSA renewing this one.")
    async def renewed_by(
        self, parent: strawberry.Parent[domain.Csa], info: Info[Context, Any]
    ) -> Csa | None:
        if parent.renewed_by is None:
            return None
        return cast(Csa | None, await info.context.loaders.csa.load(parent.renewed_by))

    versions = versions_field("Every version, oldest first.")

    terms_version = terms_version_field("One version by number (DESIGN.md's `version(number)`).")

    diff = diff_field()

    events = events_field("This CSA's events, oldest first.")

    documents = copies_field("Executed copies, newest first.")


def _csa(value: domain.Csa) -> Csa:
    return cast(Csa, value)


@strawberry.type
class CsaQueries:
    @strawberry.field(permission_classes=GUARDED)
    async def csa(self, info: Info[Context, Any], id: strawberry.ID) -> Csa:
        return _csa(await resolve.csa(info.context, viewer_of(info), id))

    @strawberry.field(permission_classes=GUARDED, description="Newest first; an agent's own.")
    async def csas(
        self,
        info: Info[Context, Any],
        filter: CsaFilter | None = None,
        first: PageSize = None,
        after: str | None = None,
    ) -> Connection[Csa]:
        ctx, viewer = info.context, viewer_of(info)
        where = (filter or CsaFilter()).query()
        page = await resolve.csas(ctx, viewer, where, first, after)

        async def count() -> int:
            return await resolve.count_csas(ctx, viewer, where)

        connection = await page_connection(info, page, partial(resolve.prefetch, ctx), count)
        return cast(Connection[Csa], connection)


@strawberry.type
class CsaMutations:
    @strawberry.mutation(permission_classes=GUARDED, description="One DRAFT per agent, or none.")
    async def produce_csas(
        self,
        info: Info[Context, Any],
        sow_id: strawberry.ID,
        agent_ids: list[strawberry.ID],
        terms: CsaTermsInput,
    ) -> list[Csa]:
        produced = await resolve.produce_csas(
            info.context, viewer_of(info), sow_id, list(agent_ids), input_to_dict(terms)
        )
        return cast(list[Csa], produced)

    @strawberry.mutation(permission_classes=GUARDED)
    async def update_csa_draft(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        terms: CsaTermsPatch,
        change_summary: str | None = None,
    ) -> Csa:
        return _csa(
            await resolve.update_csa_draft(
                info.context,
                viewer_of(info),
                id,
                expected_version,
                input_to_dict(terms),
                change_summary,
            )
        )

    @strawberry.mutation(permission_classes=GUARDED)
    async def send_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Csa:
        return _csa(await resolve.send_csa(info.context, viewer_of(info), id, expected_version))

    @strawberry.mutation(permission_classes=GUARDED, description="The agent's signature.")
    async def sign_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Csa:
        return _csa(await resolve.sign_csa(info.context, viewer_of(info), id, expected_version))

    @strawberry.mutation(permission_classes=GUARDED)
    async def decline_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Csa:
        return _csa(
            await resolve.decline_csa(info.context, viewer_of(info), id, expected_version, reason)
        )

    @strawberry.mutation(
        permission_classes=GUARDED, description="The operator's signature: EXECUTED."
    )
    async def countersign_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Csa:
        return _csa(
            await resolve.countersign_csa(info.context, viewer_of(info), id, expected_version)
        )

    @strawberry.mutation(permission_classes=GUARDED)
    async def withdraw_csa(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Csa:
        return _csa(
            await resolve.withdraw_csa(info.context, viewer_of(info), id, expected_version, reason)
        )

    @strawberry.mutation(permission_classes=GUARDED, description="Returns the new CSA.")
    async def renew_csa(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        terms: CsaTermsPatch | None = None,
    ) -> Csa:
        patch = None if terms is None else input_to_dict(terms)
        return _csa(
            await resolve.renew_csa(info.context, viewer_of(info), id, expected_version, patch)
        )

    @strawberry.mutation(permission_classes=GUARDED)
    async def terminate_csa(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        reason: CsaTerminationReason,
        note: str | None = None,
    ) -> Csa:
        return _csa(
            await resolve.terminate_csa(
                info.context, viewer_of(info), id, expected_version, reason, note
            )
        )
