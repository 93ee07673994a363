"""Statements of Work: types, inputs, queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import strawberry
from strawberry.types import Info

from domain import commands
from domain import csa as csa_domain
from domain import sow as domain
from domain.access import Read
from domain.ids import optional_raw_id, raw_id
from resolvers import sow as resolve
from resolvers.context import Context
from resolvers.loaders import Soon, at_once, then
from resolvers.paging import window
from schema import sla
from schema.access import allowed, viewer_of
from schema.commands import revision, run
from schema.connection import Before, Connection, Last, PageSize, page_connection
from schema.csa import Csa
from schema.document import copies_field
from schema.enums import BillingTerm, Channel, DisputeResolution, PricingUnit, SlaMetric, SowStatus
from schema.ids import Node
from schema.inputs import input_to_dict
from schema.mapping import from_fields
from schema.obligation import ObligationInput, ObligationTerm, occurrences_field
from schema.party import Client
from schema.terms import (
    ServiceHours,
    ServiceHoursInput,
    Signature,
    SlaTarget,
    SlaTargetInput,
    TermsVersion,
)
from schema.versioned import (
    diff_field,
    document_fields,
    events_field,
    terms_version_field,
    versions_field,
)
from storage.sows import SowQuery


@strawberry.type
class Pricing:
    rate: Decimal
    unit: PricingUnit
    currency: str = strawberry.field(description="ISO 4217 code.")

    @staticmethod
    def from_domain(pricing: domain.Pricing) -> Pricing:
        return from_fields(Pricing, pricing)


@strawberry.type(
    name="ServiceCreditTerm",
    description="A term: the credit owed when a metric is missed (`ServiceCredit` is one owed).",
)
class ServiceCreditTerm:
    metric: SlaMetric
    percent_of_fees: float = strawberry.field(description="Percent of the period's fees.")
    cap_percent: float

    @staticmethod
    def from_domain(credit: domain.ServiceCredit) -> ServiceCreditTerm:
        return from_fields(ServiceCreditTerm, credit)


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
    service_credits: list[ServiceCreditTerm]
    confidentiality: str | None
    termination_clause: str | None
    dispute_resolution: DisputeResolution
    obligations: list[ObligationTerm] = strawberry.field(
        description="What the operator must deliver, and when."
    )
    holidays: list[date] = strawberry.field(
        description="Local dates that are not business days for the obligations' deadlines."
    )

    @staticmethod
    def from_domain(terms: domain.SowTerms) -> SowTerms:
        return from_fields(
            SowTerms,
            terms,
            scope=list(terms.scope),
            languages=list(terms.languages),
            service_hours=ServiceHours.from_domain(terms.service_hours),
            pricing=Pricing.from_domain(terms.pricing),
            sla_targets=SlaTarget.all_from_domain(terms.sla_targets),
            service_credits=[ServiceCreditTerm.from_domain(c) for c in terms.service_credits],
            obligations=ObligationTerm.all_from_domain(terms.obligations),
            holidays=list(terms.holidays),
        )


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
    obligations: list[ObligationInput] | None = strawberry.field(
        default=None, description="At most 50, keys unique; none when absent."
    )
    holidays: list[date] | None = strawberry.field(
        default=None,
        description="Local dates within goLiveDate to endDate that are not business days.",
    )


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
    obligations: list[ObligationInput] | None = strawberry.field(
        default=strawberry.UNSET, description="The whole new list (null: none)."
    )
    holidays: list[date] | None = strawberry.field(
        default=strawberry.UNSET, description="The whole new list (null: none)."
    )


@strawberry.type(description="A proposed amendment, not in force until the other party accepts.")
class SowAmendment:
    version: TermsVersion
    terms: SowTerms

    @staticmethod
    def from_domain(amendment: domain.Amendment | None) -> SowAmendment | None:
        if amendment is None:
            return None
        return SowAmendment(
            version=TermsVersion.from_domain(amendment.version),
            terms=SowTerms.from_domain(amendment.terms),
        )


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
        client_id = optional_raw_id(self.client_id, "Client", "filter.clientId")
        return SowQuery(self.status, client_id, search, self.go_live_from, self.go_live_to)


@strawberry.type(description="How many agents are contracted (EXECUTED or ACTIVE CSAs) and active.")
class Staffing:
    contracted: int
    active: int

    @staticmethod
    def from_domain(counts: csa_domain.Staffing) -> Staffing:
        return from_fields(Staffing, counts)


@strawberry.type(description="A Statement of Work between a client and the operator.")
class Sow(Node):
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
    source: strawberry.Private[domain.Sow]
    latest_version: strawberry.Private[int]

    @staticmethod
    def from_domain(sow: domain.Sow) -> Sow:
        return from_fields(
            Sow,
            sow,
            terms=SowTerms.from_domain(sow.terms),
            pending_amendment=SowAmendment.from_domain(sow.pending_amendment),
            **document_fields(sow),
        )

    @strawberry.field(graphql_type=Client)
    def client(self, info: Info[Context, Any]) -> Soon[Client | None]:
        return then(at_once(info.context.loaders.client, self.source.client_id), Client.from_domain)

    versions = versions_field("Every version, proposals included, oldest first.")

    terms_version = terms_version_field(
        "One version by number. DESIGN.md's `version(number)`: `version` is "
        "already the effective version's number, so the lookup is named termsVersion."
    )

    diff = diff_field()

    @strawberry.field(graphql_type=Staffing, description="CSA counts; no agent data.")
    def staffing(self, info: Info[Context, Any]) -> Soon[Staffing | None]:
        return then(at_once(info.context.loaders.staffing, self.source.id), Staffing.from_domain)

    @strawberry.field(
        permission_classes=allowed(Read.SOW_CSAS), description="Compliance only; oldest first."
    )
    async def csas(self, info: Info[Context, Any]) -> list[Csa]:
        found = await info.context.loaders.sow_csas.load(self.source.id)
        return [Csa.from_domain(csa) for csa in found or ()]

    events = events_field("This SOW's events, oldest first.")

    scorecard = sla.scorecard_field()

    scorecards = sla.scorecards_field()

    statement = sla.statement_field()

    documents = copies_field(
        Read.SOW_DOCUMENTS,
        "Signed copies (one per version signed) and evidence uploaded by compliance "
        "(`uploadSowEvidence`), newest first.",
    )

    occurrences = occurrences_field()


@strawberry.type
class SowQueries:
    @strawberry.field(permission_classes=allowed(Read.SOW))
    async def sow(self, info: Info[Context, Any], id: strawberry.ID) -> Sow:
        return Sow.from_domain(
            await resolve.sow(info.context, viewer_of(info), raw_id(id, "Sow", "id"))
        )

    @strawberry.field(permission_classes=allowed(Read.SOWS), description="Newest first.")
    async def sows(
        self,
        info: Info[Context, Any],
        filter: SowFilter | None = None,
        first: PageSize = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Sow]:
        ctx, viewer = info.context, viewer_of(info)
        where = (filter or SowFilter()).query()
        page = await resolve.sows(ctx, viewer, where, window(ctx, first, after, last, before))

        async def count() -> int:
            return await resolve.count_sows(ctx, viewer, where)

        prefetch = partial(resolve.prefetch, ctx)
        return await page_connection(info, page, prefetch, count, Sow.from_domain)


@strawberry.type
class SowMutations:
    @strawberry.mutation(permission_classes=allowed(commands.CreateSow))
    async def create_sow(
        self, info: Info[Context, Any], terms: SowTermsInput, client_id: strawberry.ID | None = None
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.CreateSow(client_id=client_id, terms=input_to_dict(terms)))
        )

    @strawberry.mutation(permission_classes=allowed(commands.UpdateSow))
    async def update_sow(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        terms: SowTermsPatch,
        change_summary: str | None = None,
    ) -> Sow:
        update = revision(commands.UpdateSow, id, expected_version, terms, change_summary)
        return Sow.from_domain(await run(info, update))

    @strawberry.mutation(
        permission_classes=allowed(commands.SubmitSow), description="The client's signature."
    )
    async def submit_sow(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.SubmitSow(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(permission_classes=allowed(commands.StartSowReview))
    async def start_sow_review(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.StartSowReview(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(permission_classes=allowed(commands.RequestSowChanges))
    async def request_sow_changes(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Sow:
        return Sow.from_domain(
            await run(
                info,
                commands.RequestSowChanges(id=id, expected_version=expected_version, reason=reason),
            )
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.SignSow), description="The operator's signature."
    )
    async def sign_sow(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.SignSow(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(permission_classes=allowed(commands.ProposeSowAmendment))
    async def propose_sow_amendment(
        self,
        info: Info[Context, Any],
        id: strawberry.ID,
        expected_version: int,
        terms: SowTermsPatch,
        change_summary: str,
    ) -> Sow:
        proposal = revision(
            commands.ProposeSowAmendment, id, expected_version, terms, change_summary
        )
        return Sow.from_domain(await run(info, proposal))

    @strawberry.mutation(permission_classes=allowed(commands.AcceptSowAmendment))
    async def accept_sow_amendment(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.AcceptSowAmendment(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(permission_classes=allowed(commands.RejectSowAmendment))
    async def reject_sow_amendment(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Sow:
        return Sow.from_domain(
            await run(
                info,
                commands.RejectSowAmendment(
                    id=id, expected_version=expected_version, reason=reason
                ),
            )
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.TerminateSow),
        description="Ends the SOW and every CSA under it not yet ended, in one transaction.",
    )
    async def terminate_sow(
        self, info: Info[Context, Any], id: strawberry.ID, expected_version: int, reason: str
    ) -> Sow:
        command = commands.TerminateSow(id=id, expected_version=expected_version, reason=reason)
        return Sow.from_domain(await run(info, command))
