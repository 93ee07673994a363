"""Client Service Agreements: types, inputs, queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

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
from schema.commands import (
    ChangeSummary,
    CsaId,
    ExpectedVersion,
    Reason,
    SowId,
    revision,
    run,
)
from schema.connection import After, Before, Connection, Last, PageSize, page_connection
from schema.document import copies_field
from schema.enums import CsaFlag, CsaStatus, CsaTerminationReason, PricingUnit, SlaMetric
from schema.ids import Node, global_id
from schema.inputs import input_to_dict, patch_field
from schema.mapping import from_fields
from schema.party import Agent
from schema.scalars import Currency
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

if TYPE_CHECKING:
    from schema.sow import Sow


@strawberry.type(description="What the operator pays the agent: an amount per unit.")
class PayRate:
    amount: Decimal = strawberry.field(
        description='The pay for one `unit`, a decimal string ("18.50"), in `currency`.'
    )
    currency: Currency = strawberry.field(description="The currency of `amount`.")
    unit: PricingUnit = strawberry.field(description="What one `amount` pays for.")

    @staticmethod
    def from_domain(rate: domain.PayRate) -> PayRate:
        return from_fields(PayRate, rate)


@strawberry.type(description="The terms of a CSA version: what the agent agreed to.")
class CsaTerms:
    obligations: list[str] = strawberry.field(
        description="What the agent undertakes, one clause each."
    )
    performance_expectations: list[SlaTarget] = strawberry.field(
        description="The targets the agent's results are judged against (`performance`)."
    )
    hours_of_service: ServiceHours = strawberry.field(description="When the agent works.")
    pay_rate: PayRate = strawberry.field(description="What the agent is paid.")
    effective_date: date = strawberry.field(
        description="The first day: an EXECUTED CSA becomes ACTIVE that day."
    )
    expiration_date: date = strawberry.field(
        description="The day it ends: an ACTIVE CSA becomes EXPIRED that day."
    )
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


@strawberry.input(description="What the operator pays the agent: an amount per unit.")
class PayRateInput:
    amount: Decimal = strawberry.field(
        description='The pay for one `unit`, a decimal string ("18.50"), above 0, at most 6 '
        "decimals."
    )
    currency: Currency = strawberry.field(description="The currency of `amount`.")
    unit: PricingUnit = strawberry.field(description="What one `amount` pays for.")


@strawberry.input(description="The terms of new CSAs.")
class CsaTermsInput:
    obligations: list[str] = strawberry.field(
        description="What the agent undertakes: at most 50 clauses, each 1 to 20,000 characters."
    )
    performance_expectations: list[SlaTargetInput] = strawberry.field(
        description="Targets for the agent's results, one per metric at most."
    )
    hours_of_service: ServiceHoursInput = strawberry.field(description="When the agent works.")
    pay_rate: PayRateInput = strawberry.field(description="What the agent is paid.")
    effective_date: date = strawberry.field(
        description="The first day; the term must last three to four months (the policy)."
    )
    expiration_date: date = strawberry.field(description="The day it ends.")


def _patch(field: str) -> Any:
    return patch_field(field, "CsaTermsInput")


@strawberry.input(description="The fields of CsaTermsInput to change; absent fields stay.")
class CsaTermsPatch:
    obligations: list[str] | None = _patch("obligations")
    performance_expectations: list[SlaTargetInput] | None = _patch("performanceExpectations")
    hours_of_service: ServiceHoursInput | None = _patch("hoursOfService")
    pay_rate: PayRateInput | None = _patch("payRate")
    effective_date: date | None = _patch("effectiveDate")
    expiration_date: date | None = _patch("expirationDate")


@strawberry.input(description="Which CSAs to list: every condition given must hold.")
class CsaFilter:
    status: list[CsaStatus] | None = strawberry.field(
        default=None, description="In one of these statuses."
    )
    agent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Of this agent (compliance; an agent sees their own anyway)."
    )
    sow_id: strawberry.ID | None = strawberry.field(
        default=None, description="Produced under this SOW."
    )
    expiring_before: date | None = strawberry.field(
        default=None, description="expirationDate strictly before this day."
    )

    def query(self) -> CsaQuery:
        agent_id = optional_raw_id(self.agent_id, "Agent", "filter.agentId")
        sow_id = optional_raw_id(self.sow_id, "Sow", "filter.sowId")
        return CsaQuery(self.status, agent_id, sow_id, self.expiring_before)


@strawberry.type(description="A Client Service Agreement between the operator and one agent.")
class Csa(Node):
    id: strawberry.ID = strawberry.field(description="The CSA's global id.")
    number: str = strawberry.field(description="Human-readable, unique: CSA-2026-0001.")
    sow_id: strawberry.ID = strawberry.field(
        description="The id of the SOW it serves (`sow`, for those who may see it)."
    )
    sow_version: int = strawberry.field(description="The SOW version it was produced from.")
    program_name: str = strawberry.field(description="The SOW's program the agent works on.")
    status: CsaStatus = strawberry.field(description="Where it stands.")
    version: int = strawberry.field(
        description="Number of the current terms version; `expectedVersion` must equal it."
    )
    terms: CsaTerms = strawberry.field(description="The current terms.")
    termination_reason: CsaTerminationReason | None = strawberry.field(
        description="Why it was TERMINATED; null unless it was."
    )
    signatures: list[Signature] = strawberry.field(
        description="Every signature, oldest first: the agent's, then the operator's."
    )
    created_at: datetime = strawberry.field(description="When it was produced.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
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

    @strawberry.field(graphql_type=Agent, description="The agent it is with.")
    def agent(self, info: Info[Context, Any]) -> Soon[Agent | None]:
        return then(at_once(info.context.loaders.agent, self.source.agent_id), Agent.from_domain)

    @strawberry.field(
        graphql_type=Annotated["Sow", strawberry.lazy("schema.sow")] | None,
        permission_classes=allowed(Read.SOW),
        description="The SOW it serves, for those who may see it as `sow(id:)` does: "
        "compliance; FORBIDDEN for an agent.",
    )
    def sow(self, info: Info[Context, Any]) -> Soon[object]:
        found = resolve.sow_of(info.context, viewer_of(info), self.source)
        # schema.sow imports this module: its type is imported when a CSA's SOW is resolved.
        from schema.sow import Sow

        return then(found, Sow.from_domain)

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
    @strawberry.field(
        permission_classes=allowed(Read.CSA),
        description="One CSA: an agent's own, any for compliance (NOT_FOUND otherwise).",
    )
    async def csa(self, info: Info[Context, Any], id: CsaId) -> Csa:
        return Csa.from_domain(
            await resolve.csa(info.context, viewer_of(info), raw_id(id, "Csa", "id"))
        )

    @strawberry.field(
        permission_classes=allowed(Read.CSAS),
        description="CSAs, newest first: an agent's own, every one for compliance.",
    )
    async def csas(
        self,
        info: Info[Context, Any],
        filter: Annotated[
            CsaFilter | None, strawberry.argument(description="Which CSAs; null: all.")
        ] = None,
        first: PageSize = None,
        after: After = None,
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


PatchTerms = Annotated[
    CsaTermsPatch, strawberry.argument(description="The terms to change; the others stay.")
]


@strawberry.type
class CsaMutations:
    @strawberry.mutation(
        permission_classes=allowed(commands.ProduceCsas),
        description="One DRAFT per agent from a SIGNED or ACTIVE SOW's effective version, "
        "all or none.",
    )
    async def produce_csas(
        self,
        info: Info[Context, Any],
        sow_id: SowId,
        agent_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="The agents, each once, at most 500."),
        ],
        terms: Annotated[
            CsaTermsInput, strawberry.argument(description="The terms every CSA gets.")
        ],
    ) -> list[Csa]:
        command = commands.ProduceCsas(
            sow_id=sow_id, agent_ids=tuple(agent_ids), terms=input_to_dict(terms)
        )
        return [Csa.from_domain(csa) for csa in await run(info, command)]

    @strawberry.mutation(
        permission_classes=allowed(commands.UpdateCsaDraft),
        description="Edit a DRAFT CSA's terms: a new version.",
    )
    async def update_csa_draft(
        self,
        info: Info[Context, Any],
        id: CsaId,
        expected_version: ExpectedVersion,
        terms: PatchTerms,
        change_summary: ChangeSummary = None,
    ) -> Csa:
        update = revision(commands.UpdateCsaDraft, id, expected_version, terms, change_summary)
        return Csa.from_domain(await run(info, update))

    @strawberry.mutation(
        permission_classes=allowed(commands.SendCsa),
        description="Send a DRAFT CSA to its agent: SENT.",
    )
    async def send_csa(
        self, info: Info[Context, Any], id: CsaId, expected_version: ExpectedVersion
    ) -> Csa:
        return Csa.from_domain(
            await run(info, commands.SendCsa(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.SignCsa),
        description="The agent's signature: a SENT CSA becomes AGENT_SIGNED.",
    )
    async def sign_csa(
        self, info: Info[Context, Any], id: CsaId, expected_version: ExpectedVersion
    ) -> Csa:
        return Csa.from_domain(
            await run(info, commands.SignCsa(id=id, expected_version=expected_version))
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.DeclineCsa),
        description="The agent declines a SENT CSA: DECLINED.",
    )
    async def decline_csa(
        self, info: Info[Context, Any], id: CsaId, expected_version: ExpectedVersion, reason: Reason
    ) -> Csa:
        command = commands.DeclineCsa(id=id, expected_version=expected_version, reason=reason)
        return Csa.from_domain(await run(info, command))

    @strawberry.mutation(
        permission_classes=allowed(commands.CountersignCsa),
        description="The operator's signature: an AGENT_SIGNED CSA becomes EXECUTED, and both "
        "parties get the final copy.",
    )
    async def countersign_csa(
        self, info: Info[Context, Any], id: CsaId, expected_version: ExpectedVersion
    ) -> Csa:
        command = commands.CountersignCsa(id=id, expected_version=expected_version)
        return Csa.from_domain(await run(info, command))

    @strawberry.mutation(
        permission_classes=allowed(commands.WithdrawCsa),
        description="Compliance withdraws a DRAFT or SENT CSA: WITHDRAWN.",
    )
    async def withdraw_csa(
        self, info: Info[Context, Any], id: CsaId, expected_version: ExpectedVersion, reason: Reason
    ) -> Csa:
        command = commands.WithdrawCsa(id=id, expected_version=expected_version, reason=reason)
        return Csa.from_domain(await run(info, command))

    @strawberry.mutation(
        permission_classes=allowed(commands.RenewCsa),
        description="A new DRAFT CSA starting the day after this one expires, linked both "
        "ways (`renewalOf`, `renewedBy`). Returns the new CSA.",
    )
    async def renew_csa(
        self,
        info: Info[Context, Any],
        id: CsaId,
        expected_version: ExpectedVersion,
        terms: Annotated[
            CsaTermsPatch | None,
            strawberry.argument(
                description="Terms to change from this CSA's; null: the same terms, moved to "
                "the new term."
            ),
        ] = None,
    ) -> Csa:
        patch = None if terms is None else input_to_dict(terms)
        command = commands.RenewCsa(id=id, expected_version=expected_version, patch=patch)
        return Csa.from_domain(await run(info, command))

    @strawberry.mutation(
        permission_classes=allowed(commands.TerminateCsa),
        description="End an AGENT_SIGNED, EXECUTED or ACTIVE CSA early: TERMINATED.",
    )
    async def terminate_csa(
        self,
        info: Info[Context, Any],
        id: CsaId,
        expected_version: ExpectedVersion,
        reason: Annotated[CsaTerminationReason, strawberry.argument(description="Why.")],
        note: Annotated[
            str | None,
            strawberry.argument(description="More detail, kept in the event; null: none."),
        ] = None,
    ) -> Csa:
        command = commands.TerminateCsa(
            id=id, expected_version=expected_version, reason=reason, note=note
        )
        return Csa.from_domain(await run(info, command))
