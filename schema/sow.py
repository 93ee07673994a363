"""Statements of Work: types, inputs, queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, cast

import strawberry
from strawberry.types import Info

from domain import party
from domain import sow as domain
from resolvers import sow as resolve
from resolvers.context import Context
from resolvers.loaders import Soon, at_once
from schema.access import GUARDED, viewer_of
from schema.connection import Connection, PageSize, page_connection
from schema.csa import Csa
from schema.document import copies_field
from schema.enums import BillingTerm, Channel, DisputeResolution, PricingUnit, SlaMetric, SowStatus
from schema.inputs import input_to_dict
from schema.party import Client
from schema.terms import (
    ServiceHours,
    ServiceHoursInput,
    Signature,
    SlaTarget,
    SlaTargetInput,
    TermsVersion,
)
from schema.versioned import diff_field, events_field, terms_version_field, versions_field
from storage.csas import Staffing as StaffingCounts
from storage.sows import SowQuery


@strawberry.type
class Pricing:
    rate: Decimal
    unit: PricingUnit
    currency: str = strawberry.field(description="ISO 4217 code.")


@strawberry.type
class ServiceCredit:
    metric: SlaMetric
    percent_of_fees: float = strawberry.field(description="Percent of the period's fees.")
    cap_percent: float


@strawberry.type
class SowTerms:
    title: str
    program_name: str
    scope: list[Channel]
    languages: list[str] = strawberry.field(description="BCP 47 tags.")
    service_hours: ServiceHours
    agents_required: int
    go_live_date: date = strawberry.field(description="Live calls start.")
    end_date: date
    billing_term: BillingTerm
    pricing: Pricing
    payment_terms_days: int
    sla_targets: list[SlaTarget]
    service_credits: list[ServiceCredit]
    confidentiality: str | None
    termination_clause: str | None
    dispute_resolution: DisputeResolution


@strawberry.input
class PricingInput:
    rate: Decimal
    unit: PricingUnit
    currency: str


@strawberry.input
class ServiceCreditInput:
    metric: SlaMetric
    percent_of_fees: float
    cap_percent: float


@strawberry.input
class SowTermsInput:
    title: str
    program_name: str
    scope: list[Channel]
    languages: list[str]
    service_hours: ServiceHoursInput
    agents_required: int
    go_live_date: date
    end_date: date
    billing_term: BillingTerm
    pricing: PricingInput
    payment_terms_days: int
    sla_targets: list[SlaTargetInput]
    service_credits: list[ServiceCreditInput]
    confidentiality: str | None = None
    termination_clause: str | None = None
    dispute_resolution: DisputeResolution


@strawberry.input(description="The fields of SowTermsInput to change; absent fields stay.")
class SowTermsPatch:
    title: str | None = strawberry.UNSET
    program_name: str | None = strawberry.UNSET
    scope: list[Channel] | None = strawberry.UNSET
    languages: list[str] | None = strawberry.UNSET
    service_hours: ServiceHoursInput | None = strawberry.UNSET
    agents_required: int | None = strawberry.UNSET
    go_live_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    billing_term: BillingTerm | None = strawberry.UNSET
    pricing: PricingInput | None = strawberry.UNSET
    payment_terms_days: int | None = strawberry.UNSET
    sla_targets: list[SlaTargetInput] | None = strawberry.UNSET
    service_credits: list[ServiceCreditInput] | None = strawberry.UNSET
    confidentiality: str | None = strawberry.UNSET
    termination_clause: str | None = strawberry.UNSET
    dispute_resolution: DisputeResolution | None = strawberry.UNSET


@strawberry.type(description="A proposed amendment, not in force until the other party accepts.")
class SowAmendment:
    @strawberry.field
    def version(self, parent: strawberry.Parent[domain.Amendment]) -> TermsVersion:
        return cast(TermsVersion, parent.version)

    @strawberry.field
    def terms(self, parent: strawberry.Parent[domain.Amendment]) -> SowTerms:
        return cast(SowTerms, parent.terms)


@strawberry.input
class SowFilter:
    status: list[SowStatus] | None = None
    client_id: strawberry.ID | None = None
    search: str | None = strawberry.field(
        default=None, description="Words of the title, program name or number."
    )
    go_live_from: date | None = None
    go_live_to: date | None = None

    def query(self) -> SowQuery:
        search = (self.search or "").strip()[:200] or None
        return SowQuery(self.status, self.client_id, search, self.go_live_from, self.go_live_to)


@strawberry.type(description="How many agents are contracted (EXECUTED or ACTIVE CSAs) and active.")
class Staffing:
    contracted: int
    active: int


@strawberry.type(description="A Statement of Work between a client and the operator.")
class Sow:
    id: strawberry.ID
    number: str = strawberry.field(description="Human-readable, unique: SOW-2026-0001.")
    status: SowStatus
    version: int = strawberry.field(
        description="Number of the effective terms version; `expectedVersion` must equal it."
    )
    terms: SowTerms = strawberry.field(description="The effective terms.")
    pending_amendment: SowAmendment | None
    signatures: list[Signature]
    created_at: datetime
    updated_at: datetime

    @strawberry.field(graphql_type=Client)
    def client(
        self, parent: strawberry.Parent[domain.Sow], info: Info[Context, Any]
    ) -> Soon[party.Client | None]:
        return at_once(info.context.loaders.client, parent.client_id)

    versions = versions_field("Every version, proposals included, oldest first.")

    terms_version = terms_version_field(
        "One version by number. DESIGN.md's `version(number)`: `version` is "
        "already the effective version's number, so the lookup is named termsVersion."
    )

    diff = diff_field()

    @strawberry.field(graphql_type=Staffing, description="CSA counts; no agent data.")
    def staffing(
        self, parent: strawberry.Parent[domain.Sow], info: Info[Context, Any]
    ) -> Soon[StaffingCounts | None]:
        return at_once(info.context.loaders.staffing, parent.id)

    @strawberry.field(permission_classes=GUARDED, description="Compliance only; oldest first.")
    async def csas(
        self, parent: strawberry.Parent[domain.Sow], info: Info[Context, Any]
    ) -> list[Csa]:
        return cast(list[Csa], await info.context.loaders.sow_csas.load(parent.id))

    events = events_field("This SOW's events, oldest first.")

    documents = copies_field("Signed copies, newest first (one per version signed).")


def _sow(value: domain.Sow) -> Sow:
    return cast(Sow, value)


async def _change(info: Info[Context, Any], id: str, expected_version: int, *arguments: Any) -> Sow:
    """The SOW mutation being resolved (named by its GraphQL field, e.g. `submitSow`)."""
    ctx, viewer = info.context, viewer_of(info)
    return _sow(
        await resolve.change_sow(ctx, viewer, info.field_name, id, expected_version, *arguments)
    )


@strawberry.type
class SowQueries:
    @strawberry.field(permission_classes=GUARDED)
    async def sow(self, info: Info[Context, Any], id: strawberry.ID) -> Sow:
        return _sow(await resolve.sow(info.context, viewer_of(info), id))

    @strawberry.field(permission_classes=GUARDED, description="Newest first.")
    async def sows(
        self,
        info: Info[Context, Any],
        filter: SowFilter | None = None,
        first: PageSize = None,
        after: str | None = None,
    ) -> Connection[Sow]:
        ctx, viewer = info.context, viewer_of(info)
        where = (filter or SowFilter()).query()
        page = await resolve.sows(ctx, viewer, where, first, after)

        async def count() -> int:
            return await resolve.count_sows(ctx, viewer, where)

        connection = await page_connection(info, page, partial(resolve.prefetch, ctx), count)
        return cast(Connection[Sow], connection)


@strawberry.type
class SowMutations:
    @strawberry.mutation(permission_classes=GUARDED)
    async def create_sow(
        self, info: Info[Context, Any], terms: SowTermsInput, client_id: strawberry.ID | None = None
    ) -> Sow:
        return _sow(
            await resolve.create_sow(info.context, viewer_of(info), client_id, input_to_dict(terms))
        )

    @strawberry.mutation(permission_classes=GUARDED)
    async def update_sow(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        terms: SowTermsPatch,
        change_summary: str | None = None,
    ) -> Sow:
        return await _change(info, id, expected_version, input_to_dict(terms), change_summary)

    @strawberry.mutation(permission_classes=GUARDED, description="The client's signature.")
    async def submit_sow(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Sow:
        return await _change(info, id, expected_version)

    @strawberry.mutation(permission_classes=GUARDED)
    async def start_sow_review(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Sow:
        return await _change(info, id, expected_version)

    @strawberry.mutation(permission_classes=GUARDED)
    async def request_sow_changes(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Sow:
        return await _change(info, id, expected_version, reason)

    @strawberry.mutation(permission_classes=GUARDED, description="The operator's signature.")
    async def sign_sow(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Sow:
        return await _change(info, id, expected_version)

    @strawberry.mutation(permission_classes=GUARDED)
    async def propose_sow_amendment(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        terms: SowTermsPatch,
        change_summary: str,
    ) -> Sow:
        return await _change(info, id, expected_version, input_to_dict(terms), change_summary)

    @strawberry.mutation(permission_classes=GUARDED)
    async def accept_sow_amendment(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Sow:
        return await _change(info, id, expected_version)

    @strawberry.mutation(permission_classes=GUARDED)
    async def reject_sow_amendment(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Sow:
        return await _change(info, id, expected_version, reason)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Ends the SOW and every CSA under it not yet ended, in one transaction.",
    )
    async def terminate_sow(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Sow:
        return _sow(
            await resolve.terminate_sow(info.context, viewer_of(info), id, expected_version, reason)
        )
