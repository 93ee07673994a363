"""Statements of Work: types, inputs, queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

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
from schema.commands import ChangeSummary, ExpectedVersion, Reason, SowId, revision, run
from schema.connection import After, Before, Connection, Last, PageSize, page_connection
from schema.csa import Csa
from schema.document import copies_field
from schema.enums import (
    BillingTerm,
    Channel,
    DisputeResolution,
    EntityType,
    PricingUnit,
    SlaMetric,
    SowStatus,
)
from schema.ids import Node
from schema.inputs import input_to_dict, patch_field
from schema.mapping import from_fields
from schema.obligation import ObligationInput, ObligationTerm, occurrences_field
from schema.party import Client
from schema.scalars import Currency
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


@strawberry.type(description="What the client pays: an amount per unit, in a currency.")
class Pricing:
    amount: Decimal = strawberry.field(
        description='The price of one `unit`, a decimal string ("18.50"), in `currency`.'
    )
    rate: Decimal = strawberry.field(
        description="The price of one `unit`: the same as `amount`.",
        deprecation_reason="Use `amount`, as `PayRate.amount` is named.",
    )
    unit: PricingUnit = strawberry.field(description="What one `amount` buys.")
    currency: Currency = strawberry.field(description="The currency of `amount`.")

    @staticmethod
    def from_domain(pricing: domain.Pricing) -> Pricing:
        return from_fields(Pricing, pricing, amount=pricing.rate)


@strawberry.type(
    name="ServiceCreditTerm",
    description="A term: the credit owed when a metric is missed (`ServiceCredit` is one owed).",
)
class ServiceCreditTerm:
    metric: SlaMetric = strawberry.field(description="The metric whose miss it credits.")
    percent_of_fees: float = strawberry.field(
        description="Percent of the period's fees credited per consecutive missed period."
    )
    cap_percent: float = strawberry.field(
        description="The most a period's credit for the metric may reach, in percent of fees."
    )

    @staticmethod
    def from_domain(credit: domain.ServiceCredit) -> ServiceCreditTerm:
        return from_fields(ServiceCreditTerm, credit)


@strawberry.type(description="The terms of a SOW version: what the parties agreed.")
class SowTerms:
    title: str = strawberry.field(description="The SOW's title.")
    program_name: str = strawberry.field(
        description="The client's program the agents work on; its CSAs carry it."
    )
    scope: list[Channel] = strawberry.field(description="The channels the operator serves.")
    languages: list[str] = strawberry.field(description="BCP 47 tags: `en-US`, `es`.")
    service_hours: ServiceHours = strawberry.field(description="When the service runs.")
    agents_required: int = strawberry.field(description="How many agents the program needs.")
    go_live_date: date = strawberry.field(
        description="Live calls start: the SOW becomes ACTIVE that day."
    )
    end_date: date = strawberry.field(
        description="The day it ends: an ACTIVE SOW becomes EXPIRED that day."
    )
    billing_term: BillingTerm = strawberry.field(description="How often the client is billed.")
    pricing: Pricing = strawberry.field(description="What the client pays.")
    payment_terms_days: int = strawberry.field(description="Days the client has to pay an invoice.")
    sla_targets: list[SlaTarget] = strawberry.field(
        description="The service levels the operator promises, one per metric."
    )
    service_credits: list[ServiceCreditTerm] = strawberry.field(
        description="What the operator credits when a target is missed."
    )
    confidentiality: str | None = strawberry.field(
        description="The confidentiality clause; null: none."
    )
    termination_clause: str | None = strawberry.field(
        description="The termination clause; null: none."
    )
    dispute_resolution: DisputeResolution = strawberry.field(
        description="How disputes are settled."
    )
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


@strawberry.input(description="What the client pays: an amount per unit, in a currency.")
class PricingInput:
    rate: Decimal = strawberry.field(
        description='The price of one `unit`, a decimal string ("18.50"), above 0, at most 6 '
        "decimals."
    )
    unit: PricingUnit = strawberry.field(description="What one `rate` buys.")
    currency: Currency = strawberry.field(description="The currency of `rate`.")


@strawberry.input(description="What the operator credits when a target is missed.")
class ServiceCreditInput:
    metric: SlaMetric = strawberry.field(
        description="A metric of the SOW's slaTargets; each at most once."
    )
    percent_of_fees: float = strawberry.field(
        description="Percent (0 to 100) of the period's fees per consecutive missed period, "
        "at most capPercent."
    )
    cap_percent: float = strawberry.field(
        description="The most a period's credit may reach, in percent (0 to 100) of fees."
    )


@strawberry.input(description="The terms of a new SOW.")
class SowTermsInput:
    title: str = strawberry.field(description="1 to 200 characters.")
    program_name: str = strawberry.field(description="The client's program, 1 to 200 characters.")
    scope: list[Channel] = strawberry.field(description="At least one channel, each once.")
    languages: list[str] = strawberry.field(description="At least one BCP 47 tag: `en-US`.")
    service_hours: ServiceHoursInput = strawberry.field(description="When the service runs.")
    agents_required: int = strawberry.field(description="How many agents, 1 to 100,000.")
    go_live_date: date = strawberry.field(description="The day live calls start.")
    end_date: date = strawberry.field(description="The day it ends, after goLiveDate.")
    billing_term: BillingTerm = strawberry.field(description="How often the client is billed.")
    pricing: PricingInput = strawberry.field(description="What the client pays.")
    payment_terms_days: int = strawberry.field(
        description="Days (0 to 365) the client has to pay an invoice."
    )
    sla_targets: list[SlaTargetInput] = strawberry.field(
        description="Service levels, one per metric at most."
    )
    service_credits: list[ServiceCreditInput] = strawberry.field(
        description="Credits for missed targets, one per metric of slaTargets at most."
    )
    confidentiality: str | None = strawberry.field(
        default=None, description="The confidentiality clause, at most 20,000 characters."
    )
    termination_clause: str | None = strawberry.field(
        default=None, description="The termination clause, at most 20,000 characters."
    )
    dispute_resolution: DisputeResolution = strawberry.field(
        description="How disputes are settled."
    )
    obligations: list[ObligationInput] | None = strawberry.field(
        default=None, description="At most 50, keys unique; none when absent."
    )
    holidays: list[date] | None = strawberry.field(
        default=None,
        description="Local dates within goLiveDate to endDate that are not business days.",
    )


def _patch(field: str) -> Any:
    return patch_field(field, "SowTermsInput")


@strawberry.input(description="The fields of SowTermsInput to change; absent fields stay.")
class SowTermsPatch:
    title: str | None = _patch("title")
    program_name: str | None = _patch("programName")
    scope: list[Channel] | None = _patch("scope")
    languages: list[str] | None = _patch("languages")
    service_hours: ServiceHoursInput | None = _patch("serviceHours")
    agents_required: int | None = _patch("agentsRequired")
    go_live_date: date | None = _patch("goLiveDate")
    end_date: date | None = _patch("endDate")
    billing_term: BillingTerm | None = _patch("billingTerm")
    pricing: PricingInput | None = _patch("pricing")
    payment_terms_days: int | None = _patch("paymentTermsDays")
    sla_targets: list[SlaTargetInput] | None = _patch("slaTargets")
    service_credits: list[ServiceCreditInput] | None = _patch("serviceCredits")
    confidentiality: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new clause; null: none."
    )
    termination_clause: str | None = strawberry.field(
        default=strawberry.UNSET, description="The new clause; null: none."
    )
    dispute_resolution: DisputeResolution | None = _patch("disputeResolution")
    obligations: list[ObligationInput] | None = strawberry.field(
        default=strawberry.UNSET, description="The whole new list (null: none)."
    )
    holidays: list[date] | None = strawberry.field(
        default=strawberry.UNSET, description="The whole new list (null: none)."
    )


@strawberry.type(description="A proposed amendment, not in force until the other party accepts.")
class SowAmendment:
    version: TermsVersion = strawberry.field(description="The PROPOSED version.")
    terms: SowTerms = strawberry.field(description="The terms it proposes, whole.")

    @staticmethod
    def from_domain(amendment: domain.Amendment | None) -> SowAmendment | None:
        if amendment is None:
            return None
        return SowAmendment(
            version=TermsVersion.from_domain(amendment.version, EntityType.SOW),
            terms=SowTerms.from_domain(amendment.terms),
        )


@strawberry.input(description="Which SOWs to list: every condition given must hold.")
class SowFilter:
    status: list[SowStatus] | None = strawberry.field(
        default=None, description="In one of these statuses."
    )
    client_id: strawberry.ID | None = strawberry.field(
        default=None, description="Of this client (compliance; a client sees its own anyway)."
    )
    search: str | None = strawberry.field(
        default=None, description="Words of the title, program name or number."
    )
    go_live_from: date | None = strawberry.field(
        default=None, description="goLiveDate on or after this day."
    )
    go_live_to: date | None = strawberry.field(
        default=None, description="goLiveDate on or before this day."
    )

    def query(self) -> SowQuery:
        search = (self.search or "").strip()[:200] or None
        client_id = optional_raw_id(self.client_id, "Client", "filter.clientId")
        return SowQuery(self.status, client_id, search, self.go_live_from, self.go_live_to)


@strawberry.type(description="How many agents are contracted (EXECUTED or ACTIVE CSAs) and active.")
class Staffing:
    contracted: int = strawberry.field(description="CSAs under the SOW EXECUTED or ACTIVE.")
    active: int = strawberry.field(description="CSAs under the SOW ACTIVE.")

    @staticmethod
    def from_domain(counts: csa_domain.Staffing) -> Staffing:
        return from_fields(Staffing, counts)


@strawberry.type(description="A Statement of Work between a client and the operator.")
class Sow(Node):
    id: strawberry.ID = strawberry.field(description="The SOW's global id.")
    number: str = strawberry.field(description="Human-readable, unique: SOW-2026-0001.")
    status: SowStatus = strawberry.field(description="Where it stands.")
    version: int = strawberry.field(
        description="Number of the effective terms version; `expectedVersion` must equal it."
    )
    terms: SowTerms = strawberry.field(description="The effective terms.")
    pending_amendment: SowAmendment | None = strawberry.field(
        description="The amendment waiting for the other party; null: none."
    )
    signatures: list[Signature] = strawberry.field(
        description="Every signature, oldest first: the client's and the operator's, per "
        "version signed."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
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

    @strawberry.field(graphql_type=Client, description="The client company.")
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
    @strawberry.field(
        permission_classes=allowed(Read.SOW),
        description="One SOW: a client's own, any for compliance (NOT_FOUND otherwise).",
    )
    async def sow(self, info: Info[Context, Any], id: SowId) -> Sow:
        return Sow.from_domain(
            await resolve.sow(info.context, viewer_of(info), raw_id(id, "Sow", "id"))
        )

    @strawberry.field(
        permission_classes=allowed(Read.SOWS),
        description="SOWs, newest first: a client's own, every one for compliance.",
    )
    async def sows(
        self,
        info: Info[Context, Any],
        filter: Annotated[
            SowFilter | None, strawberry.argument(description="Which SOWs; null: all.")
        ] = None,
        first: PageSize = None,
        after: After = None,
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


PatchTerms = Annotated[
    SowTermsPatch, strawberry.argument(description="The terms to change; the others stay.")
]


@strawberry.type
class SowMutations:
    @strawberry.mutation(
        permission_classes=allowed(commands.CreateSow),
        description="A new SOW in DRAFT, its terms version 1: a client's for itself, "
        "compliance's for any client.",
    )
    async def create_sow(
        self,
        info: Info[Context, Any],
        terms: Annotated[SowTermsInput, strawberry.argument(description="Its terms.")],
        client_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The client: required of compliance; a client's own when left out."
            ),
        ] = None,
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.CreateSow(client_id=client_id, terms=input_to_dict(terms)))
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.UpdateSow),
        description="Edit a DRAFT or CHANGES_REQUESTED SOW's terms: a new version.",
    )
    async def update_sow(
        self,
        info: Info[Context, Any],
        id: SowId,
        expected_version: ExpectedVersion,
        terms: PatchTerms,
        change_summary: ChangeSummary = None,
    ) -> Sow:
        update = revision(commands.UpdateSow, id, expected_version, terms, change_summary)
        return Sow.from_domain(await run(info, update))

    @strawberry.mutation(
        permission_classes=allowed(commands.SubmitSow),
        description="The client's signature: a DRAFT or CHANGES_REQUESTED SOW becomes SUBMITTED.",
    )
    async def submit_sow(
        self, info: Info[Context, Any], id: SowId, expected_version: ExpectedVersion
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.SubmitSow(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.StartSowReview),
        description="Compliance takes a SUBMITTED SOW into review: UNDER_REVIEW.",
    )
    async def start_sow_review(
        self, info: Info[Context, Any], id: SowId, expected_version: ExpectedVersion
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.StartSowReview(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.RequestSowChanges),
        description="Compliance sends a SOW under review back to the client: CHANGES_REQUESTED.",
    )
    async def request_sow_changes(
        self, info: Info[Context, Any], id: SowId, expected_version: ExpectedVersion, reason: Reason
    ) -> Sow:
        return Sow.from_domain(
            await run(
                info,
                commands.RequestSowChanges(id=id, expected_version=expected_version, reason=reason),
            )
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.SignSow),
        description="The operator's signature: a SOW under review becomes SIGNED.",
    )
    async def sign_sow(
        self, info: Info[Context, Any], id: SowId, expected_version: ExpectedVersion
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.SignSow(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.ProposeSowAmendment),
        description="Propose new terms for a SIGNED or ACTIVE SOW: a PROPOSED version, in "
        "force only once the other party accepts it.",
    )
    async def propose_sow_amendment(
        self,
        info: Info[Context, Any],
        id: SowId,
        expected_version: ExpectedVersion,
        terms: PatchTerms,
        change_summary: Annotated[
            str, strawberry.argument(description="What the amendment changes, and why.")
        ],
    ) -> Sow:
        proposal = revision(
            commands.ProposeSowAmendment, id, expected_version, terms, change_summary
        )
        return Sow.from_domain(await run(info, proposal))

    @strawberry.mutation(
        permission_classes=allowed(commands.AcceptSowAmendment),
        description="The other party accepts the pending amendment: its version becomes effective.",
    )
    async def accept_sow_amendment(
        self, info: Info[Context, Any], id: SowId, expected_version: ExpectedVersion
    ) -> Sow:
        return Sow.from_domain(
            await run(info, commands.AcceptSowAmendment(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.RejectSowAmendment),
        description="The other party rejects the pending amendment: its version is REJECTED.",
    )
    async def reject_sow_amendment(
        self, info: Info[Context, Any], id: SowId, expected_version: ExpectedVersion, reason: Reason
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
        self, info: Info[Context, Any], id: SowId, expected_version: ExpectedVersion, reason: Reason
    ) -> Sow:
        command = commands.TerminateSow(id=id, expected_version=expected_version, reason=reason)
        return Sow.from_domain(await run(info, command))
