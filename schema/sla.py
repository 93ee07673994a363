"""Performance against the contract: interval rows in, scorecards, statements and an agent's
performance out, and the `Sow` and `Csa` fields that show them.

Results are exact fractions in the domain; the wire shows them as floats, money as Decimal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Protocol

import strawberry
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from domain import commands
from domain import csa as csa_domain
from domain import sla as domain
from domain import sow as sow_domain
from domain import statement as statement_domain
from domain.access import Read
from domain.sla import MAX_BATCH_ROWS, RenewalRecommendation
from domain.statement import PeriodFigures
from resolvers import sla as resolve
from resolvers.context import Context
from schema.access import allowed
from schema.commands import SowId, run
from schema.enums import Channel, PricingUnit, SlaMetric
from schema.mapping import from_fields
from schema.scalars import Currency


@strawberry.input(
    description=(
        "One interval row of the contact-center platform's export: the queue's (agentId "
        "unset) or one agent's. Its key is (SOW, channel, intervalStart, agentId)."
    )
)
class SlaIntervalInput:
    channel: Channel = strawberry.field(description="A channel of the SOW's scope.")
    interval_start: datetime = strawberry.field(
        description="UTC, aligned to intervalMinutes (e.g. 14:15 for 15 minutes)."
    )
    interval_minutes: int = strawberry.field(description="15, 30 or 60.")
    agent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The agent of an agent's row, with a CSA under the SOW covering the day; "
        "null: the queue's row.",
    )
    offered: int = strawberry.field(description="Contacts offered to the queue.")
    answered: int = strawberry.field(
        description="Contacts answered; with abandoned, at most offered."
    )
    abandoned: int = strawberry.field(description="Contacts abandoned before an answer.")
    answered_within_threshold: int = strawberry.field(
        description="Contacts answered within thresholdSeconds; at most answered."
    )
    threshold_seconds: int = strawberry.field(
        description="The answer threshold answeredWithinThreshold was counted at: the SOW's."
    )
    wait_seconds_answered: int = strawberry.field(
        description="Total queue wait of the answered contacts only."
    )
    handle_seconds: int = strawberry.field(description="Talk, hold and after-call work.")
    staffed_seconds: int = strawberry.field(description="Agents' logged-in time.")
    first_contact_resolutions: int = strawberry.field(
        description="Answered contacts resolved at first contact; at most answered."
    )
    csat_responses: int = strawberry.field(description="Satisfaction surveys answered.")
    csat_satisfied: int = strawberry.field(description="Surveys scoring 4 or 5 of 5.")


# (attribute, GraphQL name) of every input field: a batch of 10,000 rows converts without
# walking each object's dataclass fields.
_INPUT_NAMES = tuple(
    (field.name, to_camel_case(field.name)) for field in dataclasses.fields(SlaIntervalInput)
)


def _row(item: SlaIntervalInput) -> dict[str, Any]:
    return {key: getattr(item, name) for name, key in _INPUT_NAMES}


@strawberry.type(description="What recording a batch did: each row is one of the three.")
class SlaIngestResult:
    inserted: int = strawberry.field(description="Keys not stored before.")
    updated: int = strawberry.field(description="Corrections: a stored key with new values.")
    unchanged: int = strawberry.field(description="A stored key with the very same values.")


@strawberry.type(
    description="One metric: target and actual in percent or seconds; actual and met null "
    "when the metric is not measured (its denominator is 0), target and met null without a "
    "target."
)
class SlaResult:
    metric: SlaMetric = strawberry.field(description="The metric.")
    target: float | None = strawberry.field(
        description="The target, in percent or seconds; null: the terms set none."
    )
    actual: float | None = strawberry.field(
        description="The result, in percent or seconds; null: not measured (no contacts)."
    )
    met: bool | None = strawberry.field(
        description="Whether the target was met; null without a target or a result."
    )

    @staticmethod
    def from_domain(result: domain.SlaResult) -> SlaResult:
        return from_fields(
            SlaResult,
            result,
            target=None if result.target is None else float(result.target),
            actual=None if result.actual is None else float(result.actual),
        )

    @staticmethod
    def all_from_domain(results: Iterable[domain.SlaResult]) -> list[SlaResult]:
        return [SlaResult.from_domain(result) for result in results]


@strawberry.type(
    description="A SOW's results for one month in its time zone, over the queue rows; "
    "provisional until closed."
)
class SlaScorecard:
    period: str = strawberry.field(description="YYYY-MM.")
    closed: bool = strawberry.field(
        description="Whether the period is closed: its figures are then final."
    )
    terms_version: int = strawberry.field(
        description="The terms version that judges the period: in effect at its end."
    )
    offered: int = strawberry.field(description="Contacts offered in the period.")
    answered: int = strawberry.field(description="Contacts answered in the period.")
    abandoned: int = strawberry.field(description="Contacts abandoned in the period.")
    results: list[SlaResult] = strawberry.field(description="One per metric the SOW targets.")

    @staticmethod
    def from_domain(card: domain.Scorecard) -> SlaScorecard:
        return SlaScorecard(
            period=str(card.period),
            closed=card.closed,
            terms_version=card.terms_version,
            offered=card.counts.offered,
            answered=card.counts.answered,
            abandoned=card.counts.abandoned,
            results=SlaResult.all_from_domain(card.results),
        )


@strawberry.type(description="The credit owed for one missed metric of a statement.")
class ServiceCredit:
    metric: SlaMetric = strawberry.field(description="The metric missed.")
    consecutive_misses: int = strawberry.field(
        description="Periods in a row, up to and including this one, the metric was missed."
    )
    percent: float = strawberry.field(
        description="Percent of the period's fees: percentOfFees times the misses, up to the cap."
    )
    amount: Decimal = strawberry.field(
        description="The credit, in the statement's currency, rounded half up to its minor unit."
    )

    @staticmethod
    def from_domain(credit: statement_domain.Credit) -> ServiceCredit:
        return from_fields(ServiceCredit, credit, percent=float(credit.percent))


@strawberry.type(
    description="A period's fees, service credits and amount due, in the SOW's currency, "
    "rounded half up to its minor unit; provisional until closed, then frozen."
)
class SlaStatement:
    period: str = strawberry.field(description="The month, YYYY-MM, in the SOW's time zone.")
    closed: bool = strawberry.field(description="Whether it is closed: then frozen.")
    terms_version: int = strawberry.field(
        description="The terms version that priced it: in effect at the period's end."
    )
    currency: Currency = strawberry.field(description="The currency of every amount.")
    unit: PricingUnit = strawberry.field(description="What the pricing bills.")
    quantity: Decimal = strawberry.field(
        description="Answered contacts, handle minutes or staffed hours, as `unit` prices."
    )
    fees: Decimal = strawberry.field(description="quantity times the pricing's amount.")
    credits: list[ServiceCredit] = strawberry.field(
        description="One per credited metric missed; empty when none."
    )
    total_credits: Decimal = strawberry.field(description="The credits' sum.")
    amount_due: Decimal = strawberry.field(description="Fees less credits, never below zero.")
    closed_at: datetime | None = strawberry.field(
        description="When it was closed; null while provisional."
    )

    @staticmethod
    def from_domain(figures: PeriodFigures) -> SlaStatement:
        owed = figures.statement
        return from_fields(
            SlaStatement,
            owed,
            period=str(figures.period),
            closed=figures.scorecard.closed,
            terms_version=figures.scorecard.terms_version,
            credits=[ServiceCredit.from_domain(credit) for credit in owed.credits],
            closed_at=figures.closed_at,
        )


@strawberry.type(
    description="An agent's results over a CSA's term so far, against its "
    "performanceExpectations (AVERAGE_HANDLE_TIME, FIRST_CALL_RESOLUTION and "
    "CUSTOMER_SATISFACTION are measured per agent)."
)
class AgentScorecard:
    from_: date = strawberry.field(name="from", description="The CSA's effective date.")
    to: date = strawberry.field(
        description="The last day counted: today in the CSA's time zone, its expiration date "
        "or the day it was terminated, whichever is first."
    )
    answered: int = strawberry.field(description="Contacts the agent answered.")
    results: list[SlaResult] = strawberry.field(
        description="One per performance expectation measured per agent."
    )
    recommendation: RenewalRecommendation = strawberry.field(
        description="What the results advise about renewing."
    )

    @staticmethod
    def from_domain(found: domain.AgentPerformance) -> AgentScorecard:
        return AgentScorecard(
            from_=found.first,
            to=found.last,
            answered=found.counts.answered,
            results=SlaResult.all_from_domain(found.results),
            recommendation=found.recommendation,
        )


class _OfSow(Protocol):
    @property
    def source(self) -> sow_domain.Sow: ...


class _OfCsa(Protocol):
    @property
    def source(self) -> csa_domain.Csa: ...


Period = Annotated[
    str, strawberry.argument(description="A month of the SOW's term, YYYY-MM, in its time zone.")
]


async def _sow_scorecard(
    parent: strawberry.Parent[_OfSow], info: Info[Context, Any], period: Period
) -> SlaScorecard:
    return SlaScorecard.from_domain(await resolve.scorecard(info.context, parent.source, period))


async def _sow_scorecards(
    parent: strawberry.Parent[_OfSow],
    info: Info[Context, Any],
    from_: Annotated[
        str | None,
        strawberry.argument(name="from", description="The first month, YYYY-MM; null: go-live's."),
    ] = None,
    to: Annotated[
        str | None,
        strawberry.argument(description="The last month, YYYY-MM; null: this month."),
    ] = None,
) -> list[SlaScorecard]:
    cards = await resolve.scorecards(info.context, parent.source, from_, to)
    return [SlaScorecard.from_domain(card) for card in cards]


async def _sow_statement(
    parent: strawberry.Parent[_OfSow], info: Info[Context, Any], period: Period
) -> SlaStatement:
    return SlaStatement.from_domain(await resolve.statement(info.context, parent.source, period))


async def _csa_performance(
    parent: strawberry.Parent[_OfCsa], info: Info[Context, Any]
) -> AgentScorecard:
    return AgentScorecard.from_domain(await resolve.performance(info.context, parent.source))


def _guarded(resolver: Any, operation: Read, description: str) -> Any:
    return strawberry.field(
        resolver=resolver, permission_classes=allowed(operation), description=description
    )


def scorecard_field() -> Any:
    return _guarded(
        _sow_scorecard,
        Read.SOW_SCORECARD,
        "The scorecard of one month (YYYY-MM) of the SOW's term.",
    )


def scorecards_field() -> Any:
    return _guarded(
        _sow_scorecards,
        Read.SOW_SCORECARDS,
        "Each month from `from` (default: the go-live month) to `to` (default and at the "
        "latest: this month), within the SOW's term, oldest first.",
    )


def statement_field() -> Any:
    return _guarded(
        _sow_statement,
        Read.SOW_STATEMENT,
        "Fees, service credits and the amount due of one month (YYYY-MM).",
    )


def performance_field() -> Any:
    return _guarded(
        _csa_performance,
        Read.CSA_PERFORMANCE,
        "The agent's scorecard over the term so far, with a renewal recommendation. The "
        "agent's own, and compliance.",
    )


@strawberry.type
class SlaMutations:
    @strawberry.mutation(
        permission_classes=allowed(commands.RecordSlaIntervals),
        description=(
            f"Compliance: store a batch of at most {MAX_BATCH_ROWS:,} interval rows of one "
            "SOW (larger batches are refused with BAD_USER_INPUT: send several), all or "
            "nothing. A stored key gets the new values (a correction); identical values "
            "change nothing. A bad row is refused with BAD_USER_INPUT naming its index and "
            "field (`intervals[3].answered`); a row of a closed period with CONFLICT."
        ),
    )
    async def record_sla_intervals(
        self,
        info: Info[Context, Any],
        sow_id: SowId,
        intervals: Annotated[
            list[SlaIntervalInput],
            strawberry.argument(description=f"The rows, at most {MAX_BATCH_ROWS:,}."),
        ],
    ) -> SlaIngestResult:
        rows = tuple(_row(item) for item in intervals)
        merged = await run(info, commands.RecordSlaIntervals(sow_id=sow_id, intervals=rows))
        return SlaIngestResult(
            inserted=len(merged.inserts), updated=len(merged.updates), unchanged=merged.unchanged
        )

    @strawberry.mutation(
        permission_classes=allowed(commands.CloseSlaPeriod),
        description="Compliance: freeze the statement of a month (YYYY-MM) that has ended, "
        "with SLA_PERIOD_CLOSED and one SLA_BREACHED per missed metric; CONFLICT if closed.",
    )
    async def close_sla_period(
        self, info: Info[Context, Any], sow_id: SowId, period: Period
    ) -> SlaStatement:
        closed = await run(info, commands.CloseSlaPeriod(sow_id=sow_id, period=period))
        return SlaStatement.from_domain(closed)
